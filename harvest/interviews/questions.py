"""Question banks and templates from config/interviews.toml, and the questions a harvest plan
starts with (the template's banks, then focus questions for each at-risk class).

Pure once read: nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edrm.configfile import ConfigModel, load_toml, validate
from edrm.errors import InvalidInputError


@dataclass(frozen=True)
class BankQuestion:
    id: str
    text: str


@dataclass(frozen=True)
class Bank:
    id: str
    title: str
    questions: tuple[BankQuestion, ...]


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    banks: tuple[str, ...]
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionBanks:
    banks: dict[str, Bank]
    templates: dict[str, Template]
    focus: Bank

    def template_for_role(self, role_title: str) -> str:
        """The first template whose role words appear in the job title; else "default"."""
        title = role_title.lower()
        for template in self.templates.values():
            if any(word in title for word in template.roles):
                return template.id
        return "default"


class _QuestionTable(ConfigModel):
    id: str = ""
    text: str = ""


class _BankTable(ConfigModel):
    title: str | None = None  # the bank's id when not given
    questions: list[_QuestionTable] = []


class _TemplateTable(ConfigModel):
    title: str | None = None  # the template's id when not given
    banks: list[str] = []
    roles: list[str] = []


class _FocusTable(ConfigModel):
    title: str = "Knowledge at risk"
    questions: list[_QuestionTable] = []


class _InterviewsFile(ConfigModel):
    """config/interviews.toml."""

    focus: _FocusTable = _FocusTable()
    banks: dict[str, _BankTable] = {}
    templates: dict[str, _TemplateTable] = {}


def _questions(where: str, raw: list[_QuestionTable]) -> tuple[BankQuestion, ...]:
    if not raw:
        raise InvalidInputError(f"{where}: questions: give a list of {{ id, text }}")
    seen: set[str] = set()
    out = []
    for n, q in enumerate(raw, start=1):
        if not q.id.strip() or not q.text:
            raise InvalidInputError(f"{where}: question {n}: needs an id and a text")
        qid = q.id.strip()
        if qid in seen:
            raise InvalidInputError(f"{where}: question {n}: duplicate id {qid!r}")
        seen.add(qid)
        out.append(BankQuestion(qid, q.text.strip()))
    return tuple(out)


def parse_question_banks(data: dict[str, Any], *, source: str = "interviews.toml") -> QuestionBanks:
    return _question_banks(validate(source, data, _InterviewsFile), source)


def _question_banks(file: _InterviewsFile, source: str) -> QuestionBanks:
    banks = {
        bid: Bank(
            bid,
            bid if raw.title is None else raw.title,
            _questions(f"{source}: banks.{bid}", raw.questions),
        )
        for bid, raw in file.banks.items()
    }
    templates: dict[str, Template] = {}
    for tid, raw in file.templates.items():
        chosen = tuple(raw.banks)
        unknown = [b for b in chosen if b not in banks]
        if not chosen or unknown:
            raise InvalidInputError(
                f"{source}: templates.{tid}: "
                + (f"unknown bank(s) {', '.join(unknown)}" if unknown else "name its banks")
            )
        roles = tuple(r.lower() for r in raw.roles)
        templates[tid] = Template(tid, tid if raw.title is None else raw.title, chosen, roles)
    if "default" not in templates:
        raise InvalidInputError(f"{source}: a template named 'default' is required")
    focus = Bank("focus", file.focus.title, _questions(f"{source}: focus", file.focus.questions))
    return QuestionBanks(banks, templates, focus)


def load_question_banks(config_dir: Path) -> QuestionBanks:
    path = config_dir / "interviews.toml"
    try:
        file = load_toml(path, _InterviewsFile)
    except FileNotFoundError:
        raise InvalidInputError(f"{path}: the question banks are missing") from None
    return _question_banks(file, str(path))


def plan_questions(
    banks: QuestionBanks, template_id: str, focus: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The template's questions, bank by bank, then the focus questions for each (code, title)
    at-risk class. Each: id (unique in the plan), bank, bank_title, text, class_code."""
    template = banks.templates.get(template_id)
    if template is None:
        raise InvalidInputError(
            f"template {template_id!r}: use one of {', '.join(sorted(banks.templates))}"
        )
    out: list[dict[str, Any]] = []
    for bank_id in template.banks:
        bank = banks.banks[bank_id]
        for q in bank.questions:
            out.append(
                {
                    "id": f"{bank.id}.{q.id}",
                    "bank": bank.id,
                    "bank_title": bank.title,
                    "text": q.text,
                    "class_code": None,
                }
            )
    for code, title in focus:
        for q in banks.focus.questions:
            out.append(
                {
                    "id": f"focus.{code}.{q.id}",
                    "bank": "focus",
                    "bank_title": f"{banks.focus.title}: {code} {title}",
                    "text": q.text.replace("{code}", code).replace("{title}", title),
                    "class_code": code,
                }
            )
    return out
