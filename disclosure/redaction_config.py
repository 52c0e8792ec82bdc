"""config/redaction.toml: the exemptions a redaction may cite, where response letters and
bundles are filed, and the bundle's resolution. A config folder without the file uses the
shipped one (edrm/defaults/redaction.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import Field

from edrm.configfile import ConfigModel, load_toml
from edrm.errors import InvalidInputError
from edrm.settings import DEFAULT_CONFIG_DIR, Settings


@dataclass(frozen=True)
class Exemption:
    code: str
    regime: str  # foi | eir | sar
    title: str
    qualified: bool  # the public interest test applies

    @property
    def label(self) -> str:
        return f"{self.code}: {self.title}"


@dataclass(frozen=True)
class RedactionConfig:
    exemptions: tuple[Exemption, ...]
    response_class: str = "INFO-IM-FOI"
    bundle_dpi: int = 200

    def exemption(self, code: str) -> Exemption:
        """The exemption with this code (any case), or an error listing a few real ones."""
        for exemption in self.exemptions:
            if exemption.code.casefold() == code.strip().casefold():
                return exemption
        some = ", ".join(e.code for e in self.exemptions[:6])
        raise InvalidInputError(
            f"unknown exemption {code!r}: use a code from config/redaction.toml (e.g. {some})"
        )

    def for_regime(self, regime: str) -> list[Exemption]:
        return [e for e in self.exemptions if e.regime == regime]


class _ExemptionEntry(ConfigModel):
    code: str = Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9()-]+$")
    regime: Literal["foi", "eir", "sar"]
    title: str = Field(min_length=1, max_length=200)
    qualified: bool = False


class _RedactionFile(ConfigModel):
    entry_names: ClassVar = {"exemptions": "code"}

    response_class: str = Field(default="INFO-IM-FOI", min_length=1)
    bundle_dpi: int = Field(default=200, ge=72, le=600)
    exemptions: list[_ExemptionEntry] = Field(min_length=1)


def load_redaction_config(settings: Settings) -> RedactionConfig:
    path = settings.config_path("redaction.toml")
    if not path.is_file():
        path = DEFAULT_CONFIG_DIR / "redaction.toml"
    data = load_toml(path, _RedactionFile)
    codes = [e.code.casefold() for e in data.exemptions]
    if len(set(codes)) != len(codes):
        raise InvalidInputError(f"{path}: an exemption code is listed twice")
    return RedactionConfig(
        exemptions=tuple(
            Exemption(e.code, e.regime, e.title, e.qualified) for e in data.exemptions
        ),
        response_class=data.response_class,
        bundle_dpi=data.bundle_dpi,
    )
