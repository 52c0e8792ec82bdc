"""An office document's PDF rendition by LibreOffice headless (`soffice`), when installed.

Optional: without `soffice` on PATH no PDF is made and `NO_CONVERTER` says why (the document
keeps it as its rendition note, `edrm doc show` says so, and a log line too).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

NO_CONVERTER = "no converter: LibreOffice (soffice) is not installed, so no PDF rendition was made"
TIMEOUT_SECONDS = 120


class ConversionError(RuntimeError):
    """soffice ran but made no PDF (or took too long)."""


def converter() -> str | None:
    """The soffice (or libreoffice) program on PATH, None when there is none."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def office_pdf(source: Path, name: str, program: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The PDF LibreOffice makes of `source` (given the file name `name`, whose extension
    tells LibreOffice the format), in a profile folder of its own (two at once do not clash)."""
    with tempfile.TemporaryDirectory(prefix="edrm-soffice-") as work:
        folder = Path(work)
        copy = folder / (Path(name).name or "document")
        shutil.copyfile(source, copy)
        out = folder / "out"
        command = [
            program,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(copy),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ConversionError(f"LibreOffice took longer than {timeout:g} seconds") from None
        made = list(out.glob("*.pdf"))
        if not made:
            raise ConversionError("LibreOffice made no PDF of it")
        return made[0].read_bytes()
