"""The transfer bag carries the rendition as well as the original (issue 17 parts 1 and 5):
beside each record's versions, its searchable PDF/A, in the bag's manifest with the
rendition's own SHA-256, named in metadata.json; and it goes with the record when the
archive confirms the transfer."""

from __future__ import annotations

import json
from pathlib import Path

import bagit

from edrm import clock
from edrm.documents.models import Document
from edrm.renditions.models import Rendition
from retention.transfer import export_transfer
from retention.transfer_confirmation import confirm_transfer
from tests.conftest import World
from tests.retention.test_transfer import _approved_transfer, transferable  # noqa: F401


def test_the_transfer_bag_carries_each_rendition_beside_the_original(
    transferable: World,  # noqa: F811
) -> None:
    world, rt = transferable, transferable.runtime
    invoice = world.docs["invoice"]
    pdfa = rt.blobs.put_bytes(b"%PDF-1.7 searchable PDF/A of invoice 1001")
    with rt.uow() as s:
        document = s.get(Document, invoice)
        assert document is not None
        first = document.versions[0]
        s.add(
            Rendition(
                document_id=invoice,
                version_id=first.id,
                kind="pdfa",
                sha256=pdfa.sha256,
                size=pdfa.size,
                created_at=clock.now(),
            )
        )
        original = first.sha256
        stem = Path(first.filename).stem
    _approved_transfer(world, "invoice")

    transfer = export_transfer(rt, actor=world.people["recman"])

    bag_dir = Path(transfer.path)
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    record = bag_dir / "data" / f"EDRM-{invoice:07d}"
    (content,) = (record / "content" / "v1").iterdir()
    assert content.read_bytes() == rt.blobs.read_bytes(original)
    rendition = record / "renditions" / "v1" / f"{stem}.pdfa.pdf"
    assert rendition.read_bytes() == rt.blobs.read_bytes(pdfa.sha256)
    assert bag.entries[rendition.relative_to(bag_dir).as_posix()]["sha256"] == pdfa.sha256
    metadata = json.loads((record / "metadata.json").read_text())
    assert metadata["renditions"] == [
        {
            "kind": "pdfa",
            "of_version": 1,
            "file": f"renditions/v1/{stem}.pdfa.pdf",
            "sha256": pdfa.sha256,
            "size": pdfa.size,
        }
    ]

    confirm_transfer(rt, transfer.bag_id, actor=world.people["recman"], receipt="TNA 7")

    assert not rt.blobs.exists(pdfa.sha256)
