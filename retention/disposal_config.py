"""config/disposal.toml: where certificates of destruction are filed, in which format, and how
the execution of approved disposal divides its work (chunks and batches)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from edrm.errors import InvalidInputError
from edrm.settings import Settings


@dataclass(frozen=True)
class DisposalConfig:
    """config/disposal.toml: where certificates are filed and how work is divided."""

    certificate_class: str = "INFO-IM-DSP"
    certificate_format: str = "pdf"  # pdf | html (the CSV schedule always goes with it)
    chunk_size: int = 500  # items per transaction / blob sweep / index call
    batch_size: int = 1000  # items per batch (one certificate each)
    review_years: int = 1  # an approved `review` item's next review date, if none was given


def load_config(settings: Settings) -> DisposalConfig:
    path = settings.config_path("disposal.toml")
    if not path.is_file():
        return DisposalConfig()
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    known = DisposalConfig.__dataclass_fields__
    values = {k: v for k, v in data.items() if k in known}
    config = DisposalConfig(**values)
    if config.certificate_format not in ("pdf", "html"):
        raise InvalidInputError(f"{path}: certificate_format must be 'pdf' or 'html'")
    return config
