"""Why a class was suggested, in sentences a person filing a document understands.

The classifier keeps each suggestion's reason as compact text (`suggestions._reason`), e.g.

    rules: keywords invoice, VAT; phrases 'purchase order'; pattern INV-\\d+ (INV-1234);
    model 55%: terms invoice, vat

which stays as it is (the CLI's --json and stored rows carry it). `plain_reasons` reads it back
into sentences for pages:

    Mentions 'invoice' and 'VAT'. Contains the phrase 'purchase order'. Has a reference like
    'INV-1234'. Similar to documents already filed here (55% confident).

A reason in any other form is shown as it is, rather than lost.
"""

from __future__ import annotations

import re

_MODEL = re.compile(r"(?:^|; )model(?: (?P<percent>\d+)%)?(?P<rest>:.*)?$")
_KINDS = ("keywords", "phrases", "pattern", "sender", "file name")
_PART = re.compile(r"; (?=(?:" + "|".join(re.escape(k) for k in _KINDS) + r") )")
_FOUND = re.compile(r"\(([^()]*)\)(?:, |$)")


def plain_reasons(reason: str, *, model_percent: bool = True) -> list[str]:
    """The reason as short sentences, strongest evidence first; [] when there is nothing to say.

    `model_percent=False` leaves out how confident the model's comparison was, for a page that
    already shows the suggestion's own confidence (one number is clearer than two).
    """
    text = (reason or "").strip()
    if not text.startswith("rules:"):
        return [text] if text else []
    model = _MODEL.search(text)
    rules_part = text[len("rules:") : model.start() if model else len(text)].strip()
    sentences = []
    if rules_part and rules_part != "no match":
        for part in _PART.split(rules_part):
            sentence = _rule_sentence(part.strip())
            if sentence:
                sentences.append(sentence)
    if model and model.group("percent"):
        how_sure = f" ({model.group('percent')}% confident)" if model_percent else ""
        sentences.append(f"Similar to documents already filed here{how_sure}.")
    return sentences


def plain_reason(reason: str, *, model_percent: bool = True) -> str:
    """`plain_reasons` as one line of text ("" when there is nothing to say)."""
    return " ".join(plain_reasons(reason, model_percent=model_percent))


def _rule_sentence(part: str) -> str:
    kind = next((k for k in _KINDS if part.startswith(k + " ")), None)
    if kind is None:
        return f"{part[0].upper()}{part[1:]}." if part else ""
    items = part[len(kind) + 1 :].strip()
    if kind == "keywords":
        return f"Mentions {_and(_quoted(items.split(', ')))}."
    if kind == "phrases":
        phrases = re.findall(r"'([^']*)'", items) or [items]
        noun = "phrase" if len(phrases) == 1 else "phrases"
        return f"Contains the {noun} {_and(_quoted(phrases))}."
    if kind == "pattern":
        found = _FOUND.findall(items) or [items]
        noun = "a reference" if len(found) == 1 else "references"
        return f"Has {noun} like {_and(_quoted(found))}."
    if kind == "sender":
        return f"Sent by {_and(items.split(', '))}, whose mail is filed here."
    return "Its file name is like those of documents filed here."


def _quoted(items: list[str]) -> list[str]:
    return [f"'{item}'" for item in items if item]


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
