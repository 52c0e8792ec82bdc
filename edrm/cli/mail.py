"""`edrm mail`: e-mail in. `serve` takes mail for the capture address by SMTP (with ingest
workers of its own, so one process files what it takes); `poll` reads the capture mailbox over
IMAP once (the mail-in-poll job does so every minute)."""

from __future__ import annotations

import logging
import signal
import threading

import click

from edrm.cli.common import CliError, _json_out, friendly_errors, runtime
from edrm.logs import configure_logging
from edrm.runtime import Runtime


@click.group("mail")
def mail() -> None:
    """File by e-mail: the SMTP listener and the mailbox poller."""


def _need_capture(rt: Runtime) -> str:
    address = rt.settings.mail_capture_address
    if not address:
        raise CliError("e-mail in is off: set mail_capture_address (e.g. records@dept.gov.uk)")
    return address


@mail.command("serve")
@click.option("--host", default=None, help="Address to listen on (setting 'mail_listen_host').")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Port ('mail_listen_port')."
)
@click.option(
    "--workers",
    type=click.IntRange(0, 16),
    default=None,
    help="Ingest worker threads in this process (default: setting 'service_workers'; 0: none).",
)
@friendly_errors
def mail_serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Take mail for the capture address by SMTP until stopped (Ctrl-C)."""
    from edrm.ingest.worker import Worker  # heavy: the format readers and the classifier
    from edrm.mailin.listener import start_listener

    with runtime() as rt:
        configure_logging(rt.settings)
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: every command
        address = _need_capture(rt)
        host = host or rt.settings.mail_listen_host
        port = port or rt.settings.mail_listen_port
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        count = rt.settings.service_workers if workers is None else workers
        pool = [Worker(rt) for _ in range(count)]
        threads = [threading.Thread(target=w.run_forever, daemon=True) for w in pool]
        for thread in threads:
            thread.start()
        try:
            listener = start_listener(rt, host, port)
        except OSError as exc:
            for w in pool:
                w.close()
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        click.echo(
            f"edrm: taking mail for {address} on smtp://{host}:{port} with {count} ingest "
            "worker(s) (Ctrl-C stops)"
        )
        try:
            while not stop.wait(1):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            listener.stop()
            for w in pool:
                w.close()
            for thread in threads:
                thread.join(timeout=10)


@mail.command("poll")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def mail_poll(as_json: bool) -> None:
    """Read the capture mailbox (IMAP) once: file what its senders may file, refuse the rest."""
    from edrm.mailin.mailbox import poll

    with runtime() as rt:
        _need_capture(rt)
        result = poll(rt)
    if as_json:
        _json_out(
            {
                "filed_jobs": result.filed,
                "already_taken": result.again,
                "refused": result.refused,
                "left": result.left,
            }
        )
        return
    click.echo(f"edrm: mail: {result.summary()}")
