"""E-mail in (issue 13 part 6) from a mailbox: `edrm mail poll` against a real IMAP server,
Debian's dovecot, started by the test as a throwaway instance on 127.0.0.1 (a passwd-file
user, plain authentication, maildir in a temporary folder), and refusals answered through a
real SMTP server (aiosmtpd)."""

from __future__ import annotations

import getpass
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient  # type: ignore[import-untyped]
from sqlalchemy import select

from edrm.mailin.mailbox import poll
from edrm.mailin.models import Transmission
from tests.conftest import Cli, World
from tests.test_mail_in import CAPTURE, _codes, _documents, file_all, free_port, message

# Real servers, one process each for the module; the services are tested on both engines in
# test_mail_in.py.
pytestmark = pytest.mark.sqlite_only

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "records", "mailbox-secret"
FILED, REFUSED = "edrm-filed", "edrm-refused"


@dataclass
class Dovecot:
    port: int
    root: Path


def _accounts() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid). dovecot's login processes refuse to
    run as root, so a root test run uses Debian's unprivileged dovecot users and mails as
    nobody; anyone else runs it all as themselves."""
    if os.geteuid() != 0:
        me = getpass.getuser()
        return me, me, os.getuid(), os.getgid()
    try:
        login, internal, nobody = (pwd.getpwnam(n) for n in ("dovenull", "dovecot", "nobody"))
    except KeyError as exc:
        pytest.skip(f"running as root, and the unprivileged user {exc} dovecot needs is missing")
    return login.pw_name, internal.pw_name, nobody.pw_uid, nobody.pw_gid


def _config(root: Path, port: int) -> Path:
    login, internal, uid, gid = _accounts()
    for folder in ("mail", "home"):
        (root / folder).mkdir()
        os.chown(root / folder, uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{root / 'home'}::\n")
    conf = root / "dovecot.conf"
    conf.write_text(
        f"""listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
default_login_user = {login}
default_internal_user = {internal}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    return conf


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        pytest.skip(f"dovecot is not installed ({DOVECOT})")
    root = Path(tempfile.mkdtemp(prefix="edrm-dovecot-"))
    root.chmod(0o755)  # its mail processes run as another user when the tests run as root
    port = free_port()
    conf = _config(root, port)
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=(root / "stderr.log").open("wb"),
    )
    try:
        _wait_for_login(process, root, port)
        yield Dovecot(port, root)
    finally:
        process.terminate()
        process.wait(20)
        shutil.rmtree(root, ignore_errors=True)


def _wait_for_login(process: subprocess.Popen[bytes], root: Path, port: int) -> None:
    for _ in range(200):
        if process.poll() is not None:
            log = (root / "stderr.log").read_text() + _read(root / "dovecot.log")
            pytest.skip(f"dovecot did not start here: {log.strip().splitlines()[-1:]}")
        try:
            with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=5) as client:
                client.login(USER, PASSWORD)
                return
        except (OSError, Exception):
            time.sleep(0.05)
    pytest.skip(f"dovecot started but did not let {USER} log in: {_read(root / 'dovecot.log')}")


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


@dataclass
class Replies:
    """A real SMTP server that keeps every message sent to it (the refusal replies)."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture(scope="module")
def replies() -> Iterator[Replies]:
    sink = Replies(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def settings_overrides(
    settings_overrides: dict[str, Any], dovecot: Dovecot, replies: Replies
) -> dict[str, Any]:
    return {**settings_overrides, **_mail_settings(dovecot, replies)}


def _mail_settings(dovecot: Dovecot, replies: Replies) -> dict[str, Any]:
    return {
        "mail_capture_address": CAPTURE,
        "mail_imap_host": "127.0.0.1",
        "mail_imap_port": dovecot.port,
        "mail_imap_ssl": False,
        "mail_imap_user": USER,
        "mail_imap_password": PASSWORD,
        "smtp_host": "127.0.0.1",
        "smtp_port": replies.port,
        "smtp_starttls": False,
    }


@pytest.fixture
def mailbox(dovecot: Dovecot, world: World) -> Iterator[IMAPClient]:
    """The capture mailbox, emptied, with the clerk's address on their account."""
    from tests.test_mail_in import CLERK, give_addresses

    give_addresses(world.runtime, clerk=CLERK)
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(USER, PASSWORD)
        for folder in ("INBOX", FILED, REFUSED):
            if client.folder_exists(folder):
                client.select_folder(folder)
                client.delete_messages(client.search())
                client.expunge()
        yield client


def _count(client: IMAPClient, folder: str) -> int:
    return int(client.select_folder(folder, readonly=True)[b"EXISTS"])


def test_a_polled_message_is_filed_and_never_filed_twice(
    world: World, mailbox: IMAPClient, cli: Cli, dovecot: Dovecot, replies: Replies, tmp_path: Path
) -> None:
    """Issue 13 part 6: `edrm mail poll` (the password read from EDRM_MAIL_IMAP_PASSWORD_FILE)
    stores the message, then moves it to the filed folder; it is filed in the class its
    plus-address names. Put back in the inbox (as if the poller died between storing and
    moving), it is recognised and only moved again."""
    raw = message("Invoice 3001", to="records+FIN-AP-INV@dept.gov.uk").as_bytes()
    mailbox.append("INBOX", raw)
    secret = tmp_path / "imap-password"
    secret.write_text(PASSWORD + "\n")
    env = {
        f"EDRM_{k.upper()}": str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in _mail_settings(dovecot, replies).items()
        if k != "mail_imap_password"
    }
    cli.env.update({**env, "EDRM_MAIL_IMAP_PASSWORD_FILE": str(secret)})
    first = cli("mail", "poll", "--json")
    assert first.exit_code == 0, first.output
    assert (
        json.loads(first.output)["refused"] == 0
        and len(json.loads(first.output)["filed_jobs"]) == 1
    )
    assert (_count(mailbox, "INBOX"), _count(mailbox, FILED)) == (0, 1)
    mailbox.append("INBOX", raw)
    again = json.loads(cli("mail", "poll", "--json").output)
    assert (again["filed_jobs"], again["already_taken"]) == ([], 1)
    assert (_count(mailbox, "INBOX"), _count(mailbox, FILED)) == (0, 2)
    file_all(world.runtime)
    assert _codes(_documents(world.runtime)) == ["FIN-AP-INV"]
    with world.runtime.uow() as s:
        (t,) = s.scalars(select(Transmission)).all()
        assert (t.received_via, t.filed_as, t.class_chosen_by) == ("imap", "clerk", "plus-address")


def test_a_polled_message_from_an_unknown_sender_is_answered_and_set_aside(
    world: World, mailbox: IMAPClient, replies: Replies
) -> None:
    """Issue 13 part 6: a message from no one's address is moved to the refused folder, not
    stored, and its sender is told why by e-mail (here through the reply SMTP server)."""
    mailbox.append("INBOX", message("[FIN-AP-INV] Hi", sender="stranger@example.com").as_bytes())
    before = len(replies.messages)
    result = poll(world.runtime)
    assert (result.filed, result.refused) == ([], 1)
    assert (_count(mailbox, "INBOX"), _count(mailbox, REFUSED)) == (0, 1)
    (reply,) = replies.messages[before:]
    assert reply["To"] == "stranger@example.com"
    assert reply["Subject"] == "Not filed: [FIN-AP-INV] Hi"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert "not the e-mail address of anyone with an edrm account" in reply.get_content()
    with world.runtime.uow() as s:
        assert s.scalars(select(Transmission)).all() == []


def test_the_scheduled_job_polls_the_mailbox(world: World, mailbox: IMAPClient) -> None:
    """Issue 13 part 6: the mail-in-poll job (config/jobs.toml) runs one pass."""
    from edrm.wiring.scheduler import run_job

    mailbox.append("INBOX", message("[FIN-AP-INV] Invoice 12").as_bytes())
    assert run_job(world.runtime, "mail-in-poll").startswith("1 message(s) taken for filing")
    assert _count(mailbox, "INBOX") == 0
