"""E-mail out (issue 13 part 5): the GOV.UK Notify sender and the e-mail settings. The Notify
API cannot be reached from here, so its sender is tested on the call it builds (the payload
handed to notifications-python-client); SMTP is tested against a real server in
test_notifications.py."""

from __future__ import annotations

from typing import Any

import pytest
from notifications_python_client.errors import APIError

from edrm.notifications.message import Message
from edrm.notifications.senders import (
    NotifySender,
    SendError,
    SmtpSender,
    describe,
    notify_payload,
    sender_for,
)
from edrm.settings import SettingsError, load_settings

# The form of a Notify key (name-service id-secret); made up, never sent anywhere.
FAKE_KEY = "edrm_test-" + "11111111-2222-3333-4444-555555555555" + "-" + "a" * 36
MESSAGE = Message(
    notification_id=42,
    to="clerk@example.gov.uk",
    name="Clerk",
    subject="A legal hold has been placed on your records",
    body="Hello Clerk,\n\nA legal hold …\n",
    link="https://edrm.test/documents/7",
)


class RecordingClient:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error = error

    def send_email_notification(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return {"id": "n-1"}


def _settings(**values: Any) -> Any:
    return load_settings(values, environ={})


def test_the_notify_payload_carries_subject_body_and_link_as_personalisation() -> None:
    assert notify_payload(MESSAGE, "tmpl-1") == {
        "email_address": "clerk@example.gov.uk",
        "template_id": "tmpl-1",
        "personalisation": {
            "name": "Clerk",
            "subject": "A legal hold has been placed on your records",
            "body": "Hello Clerk,\n\nA legal hold …\n",
            "link": "https://edrm.test/documents/7",
        },
        "reference": "edrm-notification-42",
    }


def test_a_notify_key_chooses_notify_over_smtp() -> None:
    settings = _settings(
        notify_api_key=FAKE_KEY, notify_template_id="tmpl-1", smtp_host="mail.example"
    )
    assert isinstance(sender_for(settings), NotifySender)
    assert describe(settings) == "e-mail is sent through GOV.UK Notify"
    assert isinstance(sender_for(_settings(smtp_host="mail.example")), SmtpSender)


def test_the_notify_sender_sends_the_payload_with_the_digest_template_for_a_digest() -> None:
    settings = _settings(
        notify_api_key=FAKE_KEY, notify_template_id="tmpl-1", notify_digest_template_id="tmpl-d"
    )
    client = RecordingClient()
    sender = NotifySender(settings, client=client)
    sender.send(MESSAGE)
    sender.send(Message(**{**MESSAGE.__dict__, "digest": True}))
    assert client.calls[0] == notify_payload(MESSAGE, "tmpl-1")
    assert client.calls[1]["template_id"] == "tmpl-d"


def test_a_notify_error_is_a_send_error_to_retry() -> None:
    settings = _settings(notify_api_key=FAKE_KEY, notify_template_id="tmpl-1")
    sender = NotifySender(settings, client=RecordingClient(APIError(message="service down")))
    with pytest.raises(SendError, match=r"GOV\.UK Notify"):
        sender.send(MESSAGE)


def test_without_smtp_host_or_notify_key_nothing_is_sent_and_it_says_so() -> None:
    settings = _settings()
    assert sender_for(settings) is None
    assert "recorded but not sent" in describe(settings)


def test_a_notify_key_without_a_template_is_refused() -> None:
    with pytest.raises(SettingsError, match="notify_template_id"):
        _settings(notify_api_key=FAKE_KEY)


def test_the_smtp_password_may_come_from_a_file(tmp_path: Any) -> None:
    secret = tmp_path / "smtp_password"
    secret.write_text("s3cret\n")
    settings = load_settings(environ={"EDRM_SMTP_PASSWORD_FILE": str(secret)})
    assert settings.smtp_password == "s3cret"
