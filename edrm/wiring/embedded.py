"""The embedded default: ingest workers, the drop-folder watcher and the scheduler running as
threads inside `edrm serve`, so one process is a whole edrm on one machine."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edrm.runtime import Runtime

log = logging.getLogger(__name__)
DROP_FOLDER_POLL_SECONDS = 2.0
INDEXER_POLL_SECONDS = 0.25
WEBHOOK_POLL_SECONDS = 5.0
NOTIFICATION_POLL_SECONDS = 5.0


@dataclass
class Background:
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    closers: list[Callable[[], Any]] = field(default_factory=list)

    def shutdown(self) -> None:
        self.stop.set()
        for close in self.closers:
            try:
                close()
            except Exception:
                log.exception("shutting down a background service failed")
        for thread in self.threads:
            thread.join(timeout=10)


def _every(
    background: Background,
    name: str,
    seconds: float,
    work: Callable[[Runtime], Any],
    runtime: Runtime,
) -> None:
    """A thread that runs one pass of `work` every `seconds` until the background stops."""

    def loop() -> None:
        while not background.stop.wait(seconds):
            try:
                work(runtime)
            except Exception:
                log.exception("%s pass failed", name)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    background.threads.append(thread)
    thread.start()


def start_background(runtime: Runtime) -> Background:
    from edrm.ingest.dropfolder import DropFolder
    from edrm.ingest.worker import Worker

    background = Background()
    for n in range(runtime.settings.service_workers):
        worker = Worker(runtime)
        worker.stop_event = background.stop
        thread = threading.Thread(target=worker.run_forever, name=f"ingest-{n}", daemon=True)
        background.threads.append(thread)
        background.closers.append(worker.close)
        thread.start()
    drop = DropFolder(runtime)

    def watch() -> None:
        while not background.stop.wait(DROP_FOLDER_POLL_SECONDS):
            try:
                drop.poll()
            except Exception:
                log.exception("drop folder pass failed")

    thread = threading.Thread(target=watch, name="drop-folder", daemon=True)
    background.threads.append(thread)
    thread.start()

    def index() -> None:
        from edrm.search_indexer import apply_outbox, reindex

        try:
            if runtime.search.needs_rebuild():
                log.warning("the search index is missing or old: rebuilding it")
                reindex(runtime.sessions, runtime.search)
        except Exception:
            log.exception("search index rebuild failed")
        while not background.stop.wait(INDEXER_POLL_SECONDS):
            try:
                apply_outbox(runtime.sessions, runtime.search)
            except Exception:
                log.exception("indexing pass failed")

    thread = threading.Thread(target=index, name="indexer", daemon=True)
    background.threads.append(thread)
    thread.start()

    def send_webhooks() -> None:
        from edrm.webhooks.delivery import deliver_due

        while not background.stop.wait(WEBHOOK_POLL_SECONDS):
            try:
                deliver_due(runtime)
            except Exception:
                log.exception("webhook delivery pass failed")

    thread = threading.Thread(target=send_webhooks, name="webhooks", daemon=True)
    background.threads.append(thread)
    thread.start()

    from edrm.notifications.delivery import deliver_due as send_notifications

    _every(background, "notifications", NOTIFICATION_POLL_SECONDS, send_notifications, runtime)
    if runtime.settings.scheduler:
        from edrm.wiring.scheduler import start_scheduler

        scheduler = start_scheduler(runtime)
        background.closers.append(lambda: scheduler.shutdown(wait=False))
    log.info(
        "background: %d ingest worker(s), drop folder %s, scheduler %s",
        runtime.settings.service_workers,
        runtime.settings.inbox_dir,
        "on" if runtime.settings.scheduler else "off",
    )
    return background
