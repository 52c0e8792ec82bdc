"""Writing a transfer bag (BagIt): each record's content (every version, and every rendition beside
it) and metadata files into a staging directory (the future data/), then bagit makes the bag
(bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt) and the bag is fully
validated, each content file's manifest checksum compared with the version's SHA-256 in the
database.

Crash story: all of it happens in the staging directory, outside any transaction; the export
(retention.transfer) removes it on any failure, and records the Transfer only after the bag is
validated and renamed into place. A process killed meanwhile leaves only a `.staging-…` (or an
unrecorded bag) directory that nothing in the database refers to.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import bagit

from edrm.access import Principal
from edrm.errors import RefusedError
from edrm.runtime import Runtime
from edrm.storage import BlobMissingError
from retention.bag_records import BagRecord, BagVersion, rendition_file
from retention.closure import TNA_COLUMNS

#: The one checksum algorithm of our bags (the blob store is SHA-256 addressed too).
ALGORITHM = "sha256"


def version_path(record: BagRecord, version: BagVersion) -> PurePosixPath:
    """Where a version's bytes go, relative to data/."""
    return PurePosixPath(record.directory, "content", f"v{version.number}", version.filename)


def write_payload(
    rt: Runtime,
    staging: Path,
    records: Sequence[BagRecord],
    bag_id: str,
    now: datetime,
    actor: Principal,
    *,
    tna: bool = False,
) -> dict[str, str]:
    """Write every record's content and metadata into `staging` (the future data/ directory);
    with `tna`, also metadata.csv in the shape of The National Archives' transfer metadata (a
    line for each record's latest version, with its closure). Returns {bag path of each content
    file: the version's sha256}."""
    content: dict[str, str] = {}
    for record in records:
        for version in record.versions:
            relative = version_path(record, version)
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                rt.blobs.copy_to(version.sha256, target)
            except BlobMissingError as exc:
                raise RefusedError(
                    f"document {record.document_id} cannot be transferred: "
                    f"version {version.number}: {exc}"
                ) from None
            content[f"data/{relative}"] = version.sha256
        for rendition in record.renditions:  # beside the original: a scan's searchable PDF/A
            relative = PurePosixPath(record.directory, rendition_file(rendition))
            _copy(rt, rendition.sha256, staging / relative, record, f"its {rendition.kind}")
            content[f"data/{relative}"] = rendition.sha256
        record_dir = staging / record.directory
        _write_json(record_dir / "metadata.json", record.metadata)
        (record_dir / "dublin_core.xml").write_bytes(record.dublin_core)
        _write_json(record_dir / "audit_history.json", record.audit_history)
    _write_json(
        staging / "transfer.json",
        {
            "bag_id": bag_id,
            "source": rt.settings.service_name,
            "exported_at": now.isoformat(),
            "exported_by": actor.username,
            "records": [r.listing for r in records],
        },
    )
    if tna:
        _write_tna_csv(staging / "metadata.csv", records)
    return content


def _copy(rt: Runtime, sha256: str, target: Path, record: BagRecord, what: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        rt.blobs.copy_to(sha256, target)
    except BlobMissingError as exc:
        raise RefusedError(
            f"document {record.document_id} cannot be transferred: {what} rendition: {exc}"
        ) from None


def _write_tna_csv(path: Path, records: Sequence[BagRecord]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=TNA_COLUMNS)
        writer.writeheader()
        for record in records:
            latest = max(record.versions, key=lambda v: v.number)
            writer.writerow({"file_path": f"data/{version_path(record, latest)}", **record.tna})


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    path.write_text(text + "\n", encoding="utf-8")


# bagit.make_bag changes the process's working directory while it works, which would disturb
# the other threads of a web server or scheduler (the data directory may be a relative path):
# it runs in a child process of its own.
_MAKE_BAG = """
import json, sys, bagit
args = json.load(sys.stdin)
bagit.make_bag(args["path"], bag_info=args["info"], checksums=args["checksums"])
"""


def make_and_validate_bag(
    staging: Path,
    bag_id: str,
    now: datetime,
    actor: Principal,
    content: dict[str, str],
    source: str,
) -> None:
    records = len({p.split("/")[1] for p in content})
    info = {
        "Source-Organization": source,
        "External-Identifier": bag_id,
        "External-Description": f"{records} records transferred to the archive",
        "Contact-Name": actor.username,
        "Bagging-Date": now.date().isoformat(),
        "Bag-Software-Agent": f"edrm, bagit.py {bagit.VERSION}",
    }
    made = subprocess.run(
        [sys.executable, "-c", _MAKE_BAG],
        input=json.dumps({"path": str(staging.resolve()), "info": info, "checksums": [ALGORITHM]}),
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        lines = made.stderr.strip().splitlines() or ["no message"]
        raise RefusedError(f"the bag {bag_id} could not be made: {lines[-1]}")
    try:
        bag = validate_bag(staging)
    except bagit.BagError as exc:
        raise RefusedError(f"the bag {bag_id} failed validation: {exc}") from None
    # The copy is faithful: each content file's manifest checksum is the version's own.
    for path, expected in content.items():
        got = bag.entries.get(path, {}).get(ALGORITHM)
        if got != expected:
            raise RefusedError(
                f"the bag {bag_id} failed validation: {path} has checksum {got}, "
                f"the record's version has {expected}"
            )


def validate_bag(path: Path) -> bagit.Bag:
    """Open and fully validate a bag (bagit.BagValidationError says what is wrong)."""
    bag = bagit.Bag(str(path))
    bag.validate(processes=1)
    return bag
