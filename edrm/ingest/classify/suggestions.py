"""Suggestions: the classes proposed for a document, and whether it is filed automatically.

`suggest` combines the rules' evidence with the model's probabilities (the combination is
described in `edrm.ingest.classify`); `choose_class` decides between filing into the top
suggestion (at or above its class's threshold) and the filer's triage list.

Rules only ever name classes that exist and that the person may file into: given `allowed`
(the codes the filer may be offered), evidence for any other class is dropped before it is
weighed, so it takes no share from the classes that remain; and only allowed classes are
suggested. A confident model (top probability at least the rules file's `confident_model`) is
not overridden by rules for another class unless their evidence is strong (strength at least
`override_strength`): weaker evidence for other classes is left out of the combination.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet

from edrm.ingest.classify.compact import CompactModel, CompactView
from edrm.ingest.classify.features import model_text
from edrm.ingest.classify.model import (
    ModelView,
    TrainedModel,
    input_version_of,
    learnt_threshold,
    model_view,
)
from edrm.ingest.classify.rules import Evidence, RuleSet, rule_evidence, rule_scores
from edrm.ingest.types import Suggestion

# the model that classifies: the scikit-learn one, or its numpy-only form (`compact`), and its view
Classifier = TrainedModel | CompactModel
ModelReading = ModelView | CompactView


def suggest(
    text: str,
    filename: str,
    sender: str,
    rules: RuleSet,
    model: Classifier | None,
    *,
    top: int = 3,
    allowed: AbstractSet[str] | None = None,
    properties: Mapping[str, str] | None = None,
    attachment_names: Iterable[str] = (),
    view: ModelReading | None = None,
    evidence: dict[str, Evidence] | None = None,
) -> list[Suggestion]:
    """Up to `top` classes, most confident first, each with its confidence and the reason.

    `allowed`: the only classes that may be suggested, and the only ones whose rules count
    (None: every class). `properties` and `attachment_names` (an e-mail's headers and its
    attachments' file names, as the extractor gives them) are what the model reads besides
    the text; `view`, the model's reading already made (`read_for_model`), saves reading twice,
    and `evidence`, the rules' findings already made (`rule_evidence`), matching them twice.
    """
    if evidence is None:
        evidence = rule_evidence(text, filename, sender, rules)
    if allowed is not None:
        evidence = {code: found for code, found in evidence.items() if code in allowed}
    strength, shares = rule_scores(evidence, rules.evidence_scale)
    if view is None:
        view = read_for_model(model, text, filename, properties, attachment_names)
    confidences = combine(strength, shares, view.probabilities if view else None, rules)
    if allowed is not None:
        confidences = {code: conf for code, conf in confidences.items() if code in allowed}
    ranked = sorted(
        ((code, conf) for code, conf in confidences.items() if conf > 0),
        key=lambda item: (-item[1], item[0]),
    )[: max(0, top)]
    return [
        Suggestion(code, round(conf, 4), _reason(code, evidence.get(code), view))
        for code, conf in ranked
    ]


def read_for_model(
    model: Classifier | None,
    text: str,
    filename: str,
    properties: Mapping[str, str] | None = None,
    attachment_names: Iterable[str] = (),
) -> ModelReading | None:
    """The model's view of a document (None without a model), reading what it was trained on."""
    if model is None:
        return None
    read = text
    if input_version_of(model) >= 1:
        read = model_text(text, filename, properties, attachment_names)
    if isinstance(model, CompactModel):
        return model.view(read)
    return model_view(model, read)


def combine(
    strength: float,
    shares: dict[str, float],
    probabilities: dict[str, float] | None,
    rules: RuleSet,
) -> dict[str, float]:
    """The combination described in the module docstring; every value is within 0..1.

    `probabilities` is None when there is no model. A class the model has not learnt (too few
    examples) is given the model's top probability, so that for it the rules decide. When the
    model is confident (see the module docstring), rule evidence for another class counts only
    if it is strong.
    """
    rule_conf = {code: strength * share for code, share in shares.items()}
    if probabilities is None:
        return {code: _unit(conf) for code, conf in rule_conf.items()}
    rule_conf = _without_weak_dissent(strength, shares, rule_conf, probabilities, rules)
    unknown = max(probabilities.values(), default=0.0)
    codes = set(probabilities) | set(rule_conf)
    weighted = {
        code: probabilities.get(code, unknown) * (rule_conf.get(code, 0.0) + rules.rule_smoothing)
        for code in codes
    }
    total = sum(weighted.values())
    if total <= 0:
        return {code: 0.0 for code in codes}
    return {code: _unit(value / total) for code, value in weighted.items()}


def _without_weak_dissent(
    strength: float,
    shares: dict[str, float],
    rule_conf: dict[str, float],
    probabilities: dict[str, float],
    rules: RuleSet,
) -> dict[str, float]:
    """The rule confidences that may count against the model's choice.

    When the model's top probability is at least `rules.confident_model`, a class other than
    the model's choice keeps its rule confidence only when its own evidence (its points, not
    the share) has strength at least `rules.override_strength`.
    """
    if not probabilities or not rule_conf:
        return rule_conf
    choice = max(probabilities, key=lambda code: (probabilities[code], code))
    if probabilities[choice] < rules.confident_model:
        return rule_conf
    best_share = max(shares.values())
    most_points = -rules.evidence_scale * math.log(max(1e-12, 1.0 - strength))
    kept = {}
    for code, conf in rule_conf.items():
        points = most_points * shares[code] / best_share
        own_strength = 1.0 - math.exp(-points / rules.evidence_scale)
        if code == choice or own_strength >= rules.override_strength - 1e-9:
            kept[code] = conf
    return kept


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))


def _reason(code: str, evidence: Evidence | None, view: ModelReading | None) -> str:
    """E.g. "rules: keywords invoice, VAT; pattern ...; model 91%: terms invoice, vat"."""
    parts = [f"rules: {evidence.describe()}" if evidence else "rules: no match"]
    if view is None:
        parts.append("model: none trained")
    elif code not in view.probabilities:
        parts.append("model: class not learnt yet")
    else:
        terms = view.terms(code)
        shown = f": terms {', '.join(terms)}" if terms else ""
        parts.append(f"model {view.probabilities[code]:.0%}{shown}")
    return "; ".join(parts)


def threshold_for(
    class_code: str, rules: RuleSet, default: float, learnt: float | None = None
) -> float:
    """The confidence at or above which a document is filed into `class_code` automatically.

    The class's own threshold in the rules file when it has one, else the model's learnt
    threshold (at which its held-out precision reached the target), else `default`. A learnt
    threshold is never undercut: a class's own threshold can only raise it.
    """
    own = rules.thresholds.get(class_code)
    if learnt is None:
        return own if own is not None else default
    return max(own, learnt) if own is not None else learnt


def choose_class(
    into_code: str | None,
    suggestions: list[Suggestion],
    rules: RuleSet,
    default_threshold: float,
    model: Classifier | None = None,
) -> tuple[str | None, Suggestion | None]:
    """(code to file into, or None for triage; the top suggestion).

    A class the submitter named wins; otherwise the top suggestion, when its confidence reaches
    its class's threshold (`threshold_for`, with `model`'s learnt threshold).
    """
    top = suggestions[0] if suggestions else None
    if into_code:
        return into_code, top
    if top is not None:
        threshold = threshold_for(top.class_code, rules, default_threshold, learnt_threshold(model))
        if top.confidence >= threshold:
            return top.class_code, top
    return None, top
