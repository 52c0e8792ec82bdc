"""Suggestions: the classes proposed for a document, and whether it is filed automatically.

`suggest` combines the rules' evidence with the model's probabilities (the combination is
described in `edrm.ingest.classify`); `choose_class` decides between filing into the top
suggestion (at or above its class's threshold) and the filer's triage list.
"""

from __future__ import annotations

from edrm.ingest.classify.model import ModelView, TrainedModel, model_view
from edrm.ingest.classify.rules import Evidence, RuleSet, rule_evidence, rule_scores
from edrm.ingest.types import Suggestion


def suggest(
    text: str,
    filename: str,
    sender: str,
    rules: RuleSet,
    model: TrainedModel | None,
    *,
    top: int = 3,
) -> list[Suggestion]:
    """Up to `top` classes, most confident first, each with its confidence and the reason."""
    evidence = rule_evidence(text, filename, sender, rules)
    strength, shares = rule_scores(evidence, rules.evidence_scale)
    view = model_view(model, text) if model is not None else None
    confidences = combine(strength, shares, view.probabilities if view else None, rules)
    ranked = sorted(
        ((code, conf) for code, conf in confidences.items() if conf > 0),
        key=lambda item: (-item[1], item[0]),
    )[: max(0, top)]
    return [
        Suggestion(code, round(conf, 4), _reason(code, evidence.get(code), view))
        for code, conf in ranked
    ]


def combine(
    strength: float,
    shares: dict[str, float],
    probabilities: dict[str, float] | None,
    rules: RuleSet,
) -> dict[str, float]:
    """The combination described in the module docstring; every value is within 0..1.

    `probabilities` is None when there is no model. A class the model has not learnt (too few
    examples) is given the model's top probability, so that for it the rules decide.
    """
    rule_conf = {code: strength * share for code, share in shares.items()}
    if probabilities is None:
        return {code: _unit(conf) for code, conf in rule_conf.items()}
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


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))


def _reason(code: str, evidence: Evidence | None, view: ModelView | None) -> str:
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


def threshold_for(class_code: str, rules: RuleSet, default: float) -> float:
    """The confidence at or above which a document is filed into `class_code` automatically."""
    return rules.thresholds.get(class_code, default)


def choose_class(
    into_code: str | None,
    suggestions: list[Suggestion],
    rules: RuleSet,
    default_threshold: float,
) -> tuple[str | None, Suggestion | None]:
    """(code to file into, or None for triage; the top suggestion).

    A class the submitter named wins; otherwise the top suggestion, when its confidence reaches
    its class's threshold.
    """
    top = suggestions[0] if suggestions else None
    if into_code:
        return into_code, top
    if top is not None:
        threshold = threshold_for(top.class_code, rules, default_threshold)
        if top.confidence >= threshold:
            return top.class_code, top
    return None, top
