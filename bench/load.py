"""Load benchmark: a real server under concurrent clients. Prints figures; asserts nothing.

    .venv/bin/python bench/load.py [--seconds 300] [--clients 16] [--documents 160]
                                   [--database-url postgresql://...]

Starts, on 127.0.0.1 with a fresh EDRM_HOME loaded with the demo, a real `edrm serve` (its
embedded ingest workers switched off) and a separate `edrm worker`, creates an API token for
asmith, and drives the server with `--clients` threads (one requests.Session each, signed in
through the sign-in form for the web pages) for `--seconds`: uploads, API searches, the search
page, document pages, file-plan pages, API calls and expert queries. First, as the plain
baseline in the same run, the same client loop against /healthz. Prints requests per second,
p50/p95/p99 per route, every error by kind, and the server's and worker's RSS at start and end.

For the run, the per-token rate limit is raised (it measures the server, not the limiter) and
the session cookie is not marked Secure (plain http on loopback).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo-password-2025"  # edrm.demo.loader.DEMO_PASSWORD
USER = "asmith"
QUERIES = ["flood", "invoice", "policy", "complaint", "grant", "minutes", "contract", "budget"]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="csrf')


@dataclass
class Tally:
    """What the clients saw: latencies (seconds) by route, errors by kind, in one lock."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    jobs: list[int] = field(default_factory=list)  # ingest jobs the uploads queued
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, route: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[route].append(seconds)
            if error:
                self.errors[error] += 1

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


@dataclass
class Target:
    base: str
    token: str
    document_ids: list[int]
    codes: list[str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def edrm(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "edrm", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"edrm {' '.join(args)} failed: {done.stderr.strip() or done.stdout}")
    return done.stdout


def environment(home: Path, port: int, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDRM_")}
    env.update(
        EDRM_HOME=str(home),
        EDRM_HOST="127.0.0.1",
        EDRM_PORT=str(port),
        EDRM_SERVICE_WORKERS="0",  # the separate `edrm worker` ingests
        EDRM_API_TOKEN_REQUESTS_PER_MINUTE="1000000",
        EDRM_COOKIE_SECURE="false",  # plain http on loopback: the session cookie must travel
        EDRM_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
    )
    if database_url:
        env["EDRM_DATABASE_URL"] = database_url
    return env


def wait_ready(base: str, server: subprocess.Popen[bytes], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"edrm serve exited with {server.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise SystemExit("edrm serve did not answer /healthz in time")


def discover(base: str, token: str) -> Target:
    """Document ids and file-plan codes asmith may see, from the API."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    ids: set[int] = set()
    for q in QUERIES:
        answer = s.get(f"{base}/api/v1/search", params={"q": q, "limit": "50"}, timeout=30)
        ids.update(int(hit["id"]) for hit in answer.json().get("items", []))
    plan = s.get(f"{base}/api/v1/fileplan", params={"limit": "100"}, timeout=30).json()
    codes = [item["code"] for item in plan.get("items", [])]
    if not ids or not codes:
        raise SystemExit("the demo gave no visible documents or file-plan nodes")
    return Target(base, token, sorted(ids), codes)


def sign_in(base: str) -> requests.Session:
    """A browser-like session signed in through the sign-in form (CSRF token from the page)."""
    s = requests.Session()
    page = s.get(f"{base}/sign-in", timeout=30).text
    found = CSRF.search(page)
    if found is None:
        raise SystemExit("no CSRF token on the sign-in page")
    form = {"csrf_token": found.group(1) or found.group(2), "username": USER, "password": PASSWORD}
    answer = s.post(f"{base}/sign-in", data=form, timeout=30, allow_redirects=False)
    if answer.status_code != 302:
        raise SystemExit(f"signing in answered {answer.status_code}")
    return s


Call = Callable[[requests.Session, requests.Session, Target, random.Random], requests.Response]


def _upload(
    web: requests.Session, api: requests.Session, t: Target, r: random.Random
) -> requests.Response:
    n = r.randrange(10**9)
    body = f"Load test note {n}\n\nFlood defence budget review, item {n}.\n".encode()
    files = {"files": (f"load-{n}.txt", body, "text/plain")}
    return api.post(f"{t.base}/api/v1/documents", files=files, timeout=60)


UPLOAD = "POST /api/v1/documents"
ROUTES: dict[str, tuple[int, Call]] = {
    # route: (weight, call)
    UPLOAD: (1, _upload),
    "GET /api/v1/search": (
        3,
        lambda w, a, t, r: a.get(f"{t.base}/api/v1/search", params={"q": r.choice(QUERIES)}),
    ),
    "GET /search (page)": (
        3,
        lambda w, a, t, r: w.get(f"{t.base}/search", params={"q": r.choice(QUERIES)}),
    ),
    "GET /documents/<id> (page)": (
        3,
        lambda w, a, t, r: w.get(f"{t.base}/documents/{r.choice(t.document_ids)}"),
    ),
    "GET /fileplan/<code> (page)": (
        2,
        lambda w, a, t, r: w.get(f"{t.base}/fileplan/{r.choice(t.codes)}"),
    ),
    "GET /api/v1/documents/<id>": (
        2,
        lambda w, a, t, r: a.get(f"{t.base}/api/v1/documents/{r.choice(t.document_ids)}"),
    ),
    "GET /api/v1/fileplan/<code>/documents": (
        1,
        lambda w, a, t, r: a.get(f"{t.base}/api/v1/fileplan/{r.choice(t.codes)}/documents"),
    ),
    "GET /api/v1/experts": (
        1,
        lambda w, a, t, r: a.get(f"{t.base}/api/v1/experts", params={"q": r.choice(QUERIES)}),
    ),
}


def healthz(
    w: requests.Session, a: requests.Session, t: Target, r: random.Random
) -> requests.Response:
    return w.get(f"{t.base}/healthz")


def client(
    seed: int,
    web: requests.Session,
    target: Target,
    routes: dict[str, tuple[int, Call]],
    until: float,
    tally: Tally,
) -> None:
    rng = random.Random(seed)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {target.token}"
    names = list(routes)
    weights = [routes[n][0] for n in names]
    while time.monotonic() < until:
        name = rng.choices(names, weights)[0]
        start = time.perf_counter()
        error = None
        try:
            answer = routes[name][1](web, api, target, rng)
            if answer.status_code >= 400:
                error = f"{name}: HTTP {answer.status_code}"
            elif name == UPLOAD:
                tally.jobs.append(int(answer.json()["job_id"]))
        except requests.RequestException as exc:
            error = f"{name}: {type(exc).__name__}"
        tally.add(name, time.perf_counter() - start, error)


BASELINE: dict[str, tuple[int, Call]] = {"GET /healthz (baseline)": (1, healthz)}


def drive(
    target: Target, routes: dict[str, tuple[int, Call]], clients: int, seconds: float
) -> Tally:
    """Sign each client in (not timed), then run them all for `seconds`."""
    tally = Tally()
    webs = [
        sign_in(target.base) if routes is not BASELINE else requests.Session()
        for _ in range(clients)
    ]
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client, args=(n, web, target, routes, until, tally), daemon=True)
        for n, web in enumerate(webs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(title: str, tally: Tally, seconds: float) -> None:
    rate = tally.requests / seconds
    print(f"{title}: {tally.requests} requests in {seconds:.0f} s = {rate:.1f} req/s")
    print(f"  {'route':<40} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for route, values in sorted(tally.latencies.items()):
        p50, p95, p99 = (percentile(values, p) * 1000 for p in (50, 95, 99))
        print(f"  {route:<40} {len(values):>7} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f}")
    print(f"  errors: {sum(tally.errors.values())}")
    for kind, count in tally.errors.most_common():
        print(f"    {count:>6}  {kind}")


def ingested(target: Target, jobs: list[int], wait: float) -> None:
    """Where the uploads' ingest jobs (done by the separate worker) have got to, after
    waiting up to `wait` seconds for the queue to drain."""
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {target.token}"
    deadline = time.monotonic() + wait
    while True:
        status = Counter(
            str(api.get(f"{target.base}/api/v1/jobs/{job}", timeout=30).json().get("status"))
            for job in jobs
        )
        pending = sum(n for s, n in status.items() if s in ("queued", "running"))
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(1)
    shown = ", ".join(f"{n} {s}" for s, n in status.most_common())
    print(f"ingest: {len(jobs)} uploads queued; after the load (waited ≤{wait:.0f} s): {shown}")


def rss_mb(process: subprocess.Popen[bytes]) -> float:
    try:
        return psutil.Process(process.pid).memory_info().rss / 2**20
    except psutil.Error:
        return float("nan")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(args: argparse.Namespace, home: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = environment(home, port, args.database_url)
    start = time.perf_counter()
    edrm(env, "init")
    edrm(env, "demo", "--documents", str(args.documents))
    token = re.search(
        r'"token":\s*"([^"]+)"',
        edrm(env, "token", "create", "--as", USER, "--scope", "read", "--scope", "write", "--json"),
    )
    assert token is not None
    took = time.perf_counter() - start
    print(f"setup (init, demo --documents {args.documents}, token): {took:.1f} s")
    logs = home.parent
    server = subprocess.Popen(
        [sys.executable, "-m", "edrm", "serve"],
        env=env,
        stdout=(logs / "serve.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "edrm", "worker"],
        env=env,
        stdout=(logs / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_ready(base, server)
        target = discover(base, token.group(1))
        print(
            f"database: {args.database_url.split('@')[-1] if args.database_url else 'SQLite'}; "
            f"{args.clients} clients; {len(target.document_ids)} documents and "
            f"{len(target.codes)} file-plan nodes to visit"
        )
        memory = (rss_mb(server), rss_mb(worker))
        baseline_seconds = min(args.baseline_seconds, args.seconds)
        report(
            "baseline /healthz",
            drive(target, BASELINE, args.clients, baseline_seconds),
            baseline_seconds,
        )
        after_baseline = (rss_mb(server), rss_mb(worker))
        mixed = drive(target, ROUTES, args.clients, args.seconds)
        report("mixed load", mixed, args.seconds)
        end = (rss_mb(server), rss_mb(worker))
        ingested(target, mixed.jobs, wait=30)
        for name, i in (("serve", 0), ("worker", 1)):
            print(
                f"RSS {name}: start {memory[i]:.0f} MB, after baseline "
                f"{after_baseline[i]:.0f} MB, end {end[i]:.0f} MB"
            )
    finally:
        stop(worker)
        stop(server)
    for name in ("serve.log", "worker.log"):
        lines = [
            line
            for line in (logs / name).read_text(errors="replace").splitlines()
            if "Traceback" in line
        ]
        if lines:
            print(f"{name}: {len(lines)} tracebacks (kept in {logs / name} with --keep)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--baseline-seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--documents", type=int, default=160)
    parser.add_argument("--database-url", default="", help="e.g. postgresql://…; SQLite if empty")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="edrm-load-"))
    try:
        run(args, tmp / "home")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
