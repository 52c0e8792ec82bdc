"""A real S3-compatible server on 127.0.0.1 for the tests (moto's standalone server, in a thread
of the test process, on a free port), and a fresh bucket per test."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

#: moto accepts any key pair; the store is given this one explicitly (no ~/.aws, no env).
KEYS = {"aws_access_key_id": "edrm-test", "aws_secret_access_key": "edrm-test-secret"}
REGION = "eu-west-2"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def client(self) -> Any:
        return _client(self.endpoint_url)

    def new_bucket(self) -> str:
        name = f"edrm-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        return name

    def keys(self, bucket: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def settings(self, bucket: str, prefix: str = "") -> dict[str, Any]:
        """The edrm settings that choose this bucket as the blob store."""
        return {
            "blob_store": "s3",
            "s3_endpoint_url": self.endpoint_url,
            "s3_bucket": bucket,
            "s3_prefix": prefix,
            "s3_region": REGION,
            "s3_access_key_id": KEYS["aws_access_key_id"],
            "s3_secret_access_key": KEYS["aws_secret_access_key"],
        }


@functools.lru_cache
def _client(endpoint_url: str) -> Any:
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=REGION, **KEYS
    )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield S3Server(f"http://{host}:{port}")
    server.stop()
