"""config/disposal.toml: where certificates of destruction are filed, in which format, how
the execution of approved disposal divides its work (chunks and batches), and the name of the
archive that transfers go to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from edrm.configfile import ConfigModel, load_toml
from edrm.settings import Settings


@dataclass(frozen=True)
class DisposalConfig:
    """config/disposal.toml: where certificates are filed and how work is divided."""

    certificate_class: str = "INFO-IM-DSP"
    certificate_format: str = "pdf"  # pdf | html (the CSV schedule always goes with it)
    chunk_size: int = 500  # items per transaction / blob sweep / index call
    batch_size: int = 1000  # items per batch (one certificate each)
    review_years: int = 1  # an approved `review` item's next review date, if none was given
    archive_name: str = "The National Archives"  # where transfers go (receipts, stubs)


class _DisposalFile(ConfigModel):
    """config/disposal.toml."""

    certificate_class: str = DisposalConfig.certificate_class
    certificate_format: Literal["pdf", "html"] = "pdf"
    chunk_size: int = Field(default=DisposalConfig.chunk_size, ge=1)
    batch_size: int = Field(default=DisposalConfig.batch_size, ge=1)
    review_years: int = Field(default=DisposalConfig.review_years, ge=0)
    archive_name: str = Field(default=DisposalConfig.archive_name, min_length=1, max_length=200)


def load_config(settings: Settings) -> DisposalConfig:
    path = settings.config_path("disposal.toml")
    if not path.is_file():
        return DisposalConfig()
    return DisposalConfig(**load_toml(path, _DisposalFile).model_dump())
