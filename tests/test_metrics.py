"""GET /metrics (issue 14 part 4): the Prometheus text format, with the counters of what this
installation did (uploads ingested, searches, sign-in failures, HTTP requests by route) and the
gauges read from its database at scrape time; only for the metrics token or an administrator's
token with the admin scope; and, with PROMETHEUS_MULTIPROC_DIR, the sum over every process."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from edrm.ingest.models import IngestJob
from edrm.ingest.worker import Worker
from edrm.people.tokens import TokenPolicy, create_token
from tests.conftest import World, create_app_for_tests, sign_in

#: The web layer over services tested on both engines (the gauges' queries are, below).
web_layer = pytest.mark.sqlite_only

METRICS_TOKEN = "a-metrics-token-for-tests"


def make_token(world: World, who: str, *scopes: str) -> str:
    with world.runtime.uow() as s:
        return create_token(s, world.people[who], list(scopes), policy=TokenPolicy()).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: FlaskClient, token: str) -> Samples:
    answer = client.get("/metrics", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    assert answer.mimetype == "text/plain"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def named(samples: Samples, name: str) -> list[dict[str, str]]:
    return [dict(labels) for (n, labels) in samples if n == name]


@web_layer
def test_a_scrape_counts_an_upload_a_search_and_a_failed_sign_in(
    world: World, client: FlaskClient
) -> None:
    admin = make_token(world, "admin", "read", "admin")
    clerk = make_token(world, "clerk", "read", "write")
    before = scrape(client, admin)

    upload = client.post(
        "/api/v1/documents",
        headers=bearer(clerk),
        data={"files": (io.BytesIO(b"Invoice 2002 from Acme Ltd.\n"), "invoice.txt")},
    )
    assert upload.status_code == 202
    queued = scrape(client, admin)
    assert value(queued, "edrm_ingest_queue_depth", status="queued") == 1
    assert value(queued, "edrm_ingest_queue_oldest_age_seconds") >= 0
    with world.runtime.uow() as s:
        batch = s.get_one(IngestJob, upload.get_json()["job_id"]).batch
    with Worker(world.runtime, ocr_processes=1, poll_seconds=0.05) as worker:
        [job] = worker.drain(batch)
    assert client.get("/api/v1/search?q=invoice", headers=bearer(clerk)).status_code == 200
    assert sign_in(client, "clerk", "not-the-password").status_code == 200
    after = scrape(client, admin)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("edrm_ingest_jobs_total", outcome=job.outcome or "", reason="") == 1
    assert grew("edrm_search_seconds_count", kind="text") >= 1
    assert grew("edrm_sign_in_failures_total", reason="credentials") == 1
    assert grew("edrm_http_requests_total", route="api.search", method="GET", status="200") == 1
    assert grew("edrm_http_requests_total", route="api.post_documents", method="POST", status="202")
    assert value(after, "edrm_ingest_queue_depth", status="queued") == 0
    for gauge in ("edrm_outbox_lag_seconds", "edrm_outbox_pending", "edrm_ingest_workers_live"):
        assert named(after, gauge) == [{}], gauge


@web_layer
def test_routes_are_labelled_by_endpoint_never_by_path(world: World, client: FlaskClient) -> None:
    admin = make_token(world, "admin", "read", "admin")
    sign_in(client, "clerk")
    client.get(f"/documents/{world.docs['invoice']}")
    client.get("/no-such-page-4711")
    asked = named(scrape(client, admin), "edrm_http_requests_total")
    routes = {labels["route"] for labels in asked}
    assert {"documents.show", "(unmatched)"} <= routes
    assert not [r for r in routes if "/" in r or "4711" in r]


@web_layer
def test_disposal_items_are_counted_by_status(world: World, client: FlaskClient) -> None:
    from tests.web_estate import _queue_item

    with world.runtime.uow() as s:
        _queue_item(s, world.docs["old"], "FIN-AP-INV", "destroy")
    samples = scrape(client, make_token(world, "admin", "read", "admin"))
    assert value(samples, "edrm_disposal_items", status="pending") == 1


@web_layer
def test_metrics_are_refused_to_an_ordinary_request(world: World, client: FlaskClient) -> None:
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    sign_in(client, "admin")
    assert client.get("/metrics").status_code == 401  # a browser session is not a scraper
    not_admin = make_token(world, "clerk", "read", "admin")
    assert client.get("/metrics", headers=bearer(not_admin)).status_code == 403
    no_scope = make_token(world, "admin", "read")
    assert client.get("/metrics", headers=bearer(no_scope)).status_code == 403
    assert client.get("/metrics", headers=bearer("guessed-metrics-token")).status_code == 401


@web_layer
def test_the_metrics_token_setting_lets_a_scraper_in(
    world: World, settings_overrides: dict[str, Any]
) -> None:
    app = create_app_for_tests({**settings_overrides, "metrics_token": METRICS_TOKEN})
    try:
        client = app.test_client()
        assert "edrm_outbox_lag_seconds" in str(scrape(client, METRICS_TOKEN))
        assert client.get("/metrics", headers=bearer(METRICS_TOKEN + "x")).status_code == 401
    finally:
        app.extensions["edrm"].close()


def test_every_database_gauge_reads_on_this_engine(world: World) -> None:
    from edrm.gauges import DatabaseCollector
    from edrm.ingest import heartbeats
    from edrm.wiring.observability import state_gauges

    with world.runtime.uow() as s:
        heartbeats.beat(s, "host:3:alive")
    with world.runtime.uow() as s:
        gauges = state_gauges(world.runtime)
        families = list(DatabaseCollector(s, gauges).collect())
    assert [f.name for f in families] == [g.name for g in gauges]  # none failed
    read = {f.name: f.samples for f in families}
    assert read["edrm_ingest_workers_live"][0].value == 1
    assert read["edrm_outbox_pending"][0].value > 0  # the world's documents, not yet indexed
    assert 0 <= read["edrm_outbox_lag_seconds"][0].value < 300


_COUNT_IN_A_PROCESS = (
    "from edrm import metrics; metrics.sign_in_failed('credentials'); "
    "metrics.http_request('home.index', 'GET', 200, 0.01)"
)
_SCRAPE_IN_A_PROCESS = (
    "import sys; from edrm import metrics; sys.stdout.buffer.write(metrics.exposition())"
)


def test_with_a_multiprocess_directory_every_process_is_counted(tmp_path: Path) -> None:
    """Two processes count (as a worker and the web server would), a third answers the scrape."""
    root = str(Path(__file__).resolve().parent.parent)
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": root}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", _COUNT_IN_A_PROCESS], env=env, check=True)
    out = subprocess.run(
        [sys.executable, "-c", _SCRAPE_IN_A_PROCESS], env=env, check=True, capture_output=True
    )
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(out.stdout.decode())
        for s in family.samples
    }
    assert value(samples, "edrm_sign_in_failures_total", reason="credentials") == 2
    labels = {"route": "home.index", "method": "GET", "status": "200"}
    assert value(samples, "edrm_http_requests_total", **labels) == 2


_COUNT_THEN_SCRAPE = """
import sys
from edrm import metrics
counted = 'prometheus_client' in sys.modules
for n in range(int(sys.argv[1])):
    metrics.sign_in_failed('credentials')
    metrics.http_request('home.index', 'GET', 200, 0.01 * n)
with metrics.search_timer('text'):
    pass
metrics.scheduled_job('outbox', 'ok', 2.0)
metrics.ingest_job_finished('filed', None)
print(counted, flush=True)
sys.stdout.buffer.write(metrics.exposition())
"""


@pytest.mark.parametrize("counts", [1, 300])
def test_counts_made_before_prometheus_client_is_imported_are_all_scraped(counts: int) -> None:
    """prometheus_client is imported when first needed (a one-file ingest never needs it);
    counts kept until then, or past the short list's length, are all in the scrape."""
    from prometheus_client import CONTENT_TYPE_LATEST

    from edrm import metrics

    assert metrics.CONTENT_TYPE == CONTENT_TYPE_LATEST
    root = str(Path(__file__).resolve().parent.parent)
    done = subprocess.run(
        [sys.executable, "-c", _COUNT_THEN_SCRAPE, str(counts)],
        env={"PYTHONPATH": root},
        check=True,
        capture_output=True,
    )
    imported_at_start, text = done.stdout.decode().split("\n", 1)
    assert imported_at_start == "False"
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert value(samples, "edrm_sign_in_failures_total", reason="credentials") == counts
    labels = {"route": "home.index", "method": "GET", "status": "200"}
    assert value(samples, "edrm_http_requests_total", **labels) == counts
    assert value(samples, "edrm_http_request_seconds_count", route="home.index") == counts
    expected_sum = sum(0.01 * n for n in range(counts))
    assert value(samples, "edrm_http_request_seconds_sum", route="home.index") == pytest.approx(
        expected_sum
    )
    assert value(samples, "edrm_search_seconds_count", kind="text") == 1
    assert value(samples, "edrm_scheduler_job_seconds_bucket", job="outbox", le="10.0") == 1
    assert value(samples, "edrm_ingest_jobs_total", outcome="filed", reason="") == 1
    assert value(samples, "edrm_ocr_pages_total") == 0  # made, though nothing counted it
