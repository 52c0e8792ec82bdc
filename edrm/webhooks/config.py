"""config/webhooks.toml: how long a delivery may take, how long a worker's claim on it lasts,
and how retries back off."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from edrm.configfile import ConfigModel, load_toml
from edrm.settings import Settings


@dataclass(frozen=True)
class WebhookConfig:
    """config/webhooks.toml."""

    timeout_seconds: float = 10.0  # one POST, connect to last byte
    lease_seconds: int = 120  # a claimed delivery no one finished is retried after this
    backoff_seconds: int = 30  # the wait after attempt n is backoff_seconds × 2^(n-1)
    max_attempts: int = 8  # then the delivery is `failed`
    batch: int = 50  # deliveries claimed per pass


class _WebhooksFile(ConfigModel):
    """config/webhooks.toml."""

    timeout_seconds: float = Field(default=WebhookConfig.timeout_seconds, gt=0, le=120)
    lease_seconds: int = Field(default=WebhookConfig.lease_seconds, ge=1)
    backoff_seconds: int = Field(default=WebhookConfig.backoff_seconds, ge=0)
    max_attempts: int = Field(default=WebhookConfig.max_attempts, ge=1, le=100)
    batch: int = Field(default=WebhookConfig.batch, ge=1)


def load_config(settings: Settings) -> WebhookConfig:
    path = settings.config_path("webhooks.toml")
    if not path.is_file():
        return WebhookConfig()
    return WebhookConfig(**load_toml(path, _WebhooksFile).model_dump())
