"""Transfers to the archive through the pages: the package is downloaded, and a transferred
record, its batch and the batch's filed document say "transferred", never "destroyed"."""

from __future__ import annotations

import io
import re
import tarfile
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from retention.models import DisposalItem
from tests.conftest import World, sign_in
from tests.retention.disposal_helpers import with_records_management
from tests.retention.disposal_world import queue_due

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def rm(world: World) -> World:
    return with_records_management(world)


def _post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', client.get("/").text)
    assert token
    return client.post(path, data={**data, "csrf_token": token.group(1)})


def _exported(client: FlaskClient, rm: World) -> str:
    """The invoice approved for transfer and written to a package; the transfer's page."""
    queue_due(rm.runtime)
    with rm.runtime.uow() as s:
        item = s.scalars(
            select(DisposalItem).where(DisposalItem.document_id == rm.docs["invoice"])
        ).one()
        item.action = "transfer"
        item_id = item.id
    sign_in(client, "recman")
    data = {"item": str(item_id), "decision": "approve", "reason": "Selected for preservation"}
    _post(client, "/records-management/queue/decide", data)
    written = _post(client, "/records-management/transfers/export", {})
    location: str = written.headers["Location"]
    return location


def test_a_records_manager_downloads_the_transfer_package_as_a_tar_of_the_bag(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 8: the transfer page offers the package for download (not a server
    path), and the download is the whole bag as .tar.gz."""
    transfer_url = _exported(client, rm)
    bag_id = transfer_url.rsplit("/", 1)[1]
    page = client.get(transfer_url).text
    assert f'href="{transfer_url}/package"' in page
    assert "/transfers/edrm-" not in page.replace(transfer_url, "")  # no server path shown
    response = client.get(f"{transfer_url}/package")
    assert response.status_code == 200
    assert f'filename="{bag_id}.tar.gz"' in response.headers["Content-Disposition"]
    with tarfile.open(fileobj=io.BytesIO(response.data), mode="r:gz") as tar:
        names = tar.getnames()
        assert f"{bag_id}/bagit.txt" in names and f"{bag_id}/manifest-sha256.txt" in names
        content = [n for n in names if "/content/" in n]
        assert content
        member = tar.extractfile(content[0])
        assert member is not None and b"Acme" in member.read()


def test_a_transferred_record_its_batch_and_its_receipt_say_transferred_not_destroyed(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 8: once the archive's receipt is recorded, the record's stub says
    "Transferred to The National Archives on …", its batch is a transfer and files a
    transfer receipt, not a certificate of destruction."""
    transfer_url = _exported(client, rm)
    _post(client, transfer_url, {"receipt": "TNA accession 2040/12"})
    transfer_page = client.get(transfer_url).text
    assert "Transferred to The National Archives on" in transfer_page
    stub = client.get(f"/documents/{rm.docs['invoice']}").text
    assert "Transferred to The National Archives on" in stub
    assert "This record has been destroyed" not in stub
    listing = client.get("/records-management/certificates").text
    assert "Transfer receipt: batch" in listing and "Download the transfer receipt" in listing
    assert "Certificate of destruction: batch" not in listing
    batch_url = re.search(r'href="(/records-management/certificates/\d+)"', listing)
    assert batch_url
    batch = client.get(batch_url.group(1)).text
    assert "Transferred to The National Archives: 1 record" in batch
    assert "TNA accession 2040/12" in batch and "The transfer receipt" in batch
