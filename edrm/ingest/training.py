"""Training the classifier on what is already filed (including triage corrections).

The model reads what `features.model_text` makes of each filed document (for e-mail: the body
without quoted text, the subject, sender, recipients count and attachment names, kept when it
was read). Then the auto-file threshold is learnt (issue 15 part 4): every document's held-out
probabilities are combined with the classification rules as the pipeline would combine them,
and the threshold is the lowest confidence at which those documents were classified right at
least `classifier_target_precision` of the time (`model.threshold_for_precision`). Only
documents that arrived on their own count there: an attachment is filed where its e-mail is,
never by its own confidence. An e-mail and its attachments are kept in one fold (the e-mail's
features name its attachments, so splitting them would make held-out scores too sure).

Crash story: training reads and writes no rows but the audit entry; the model file is swapped
in atomically (`model_files.save_model`) before the entry is written, so a crash leaves the
old model current, or the new one without its audit entry.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from edrm import audit
from edrm.documents.models import Document, DocumentText
from edrm.fileplan.models import FilePlanNode
from edrm.ingest.classify.features import model_text
from edrm.ingest.classify.model import (
    MIN_EXAMPLES_PER_CLASS,
    MIN_THRESHOLD_EXAMPLES,
    TrainedModel,
    held_out_probabilities,
    set_threshold,
    train,
)
from edrm.ingest.classify.model_files import save_model
from edrm.ingest.classify.rules import RuleSet, load_rules, rule_evidence, rule_scores
from edrm.ingest.classify.suggestions import combine
from edrm.runtime import Runtime

MIN_EXAMPLES = 10


@dataclass(frozen=True)
class TrainingResult:
    trained: bool
    examples: int
    classes: int
    version_path: str | None
    message: str


@dataclass(frozen=True)
class TrainingDocument:
    """A filed document as the classifier sees it."""

    text: str
    filename: str
    sender: str
    read: str  # what the model reads: features.model_text
    class_code: str
    standalone: bool  # False for an attachment (filed where its e-mail is)
    group: str  # the document's id, or for an attachment its e-mail's: one calibration fold


def training_documents(session: Session) -> list[TrainingDocument]:
    """Every filed document with text, newest version's text, with what the model reads."""
    rows = session.execute(
        select(DocumentText.text, Document)
        .join(Document, Document.id == DocumentText.document_id)
        .where(Document.status == "filed", Document.node_id.is_not(None))
        .options(selectinload(Document.versions))
    ).all()
    found = []
    for text, document in rows:
        code = document.class_code
        if not (code and text and text.strip()):
            continue
        extra = document.extra or {}
        properties: dict[str, Any] = extra.get("properties") or {}
        filename = document.latest.filename if document.versions else ""
        relations = document.relations or []
        parent = next(
            (r.get("document_id") for r in relations if r.get("type") == "attachment_of"), None
        )
        found.append(
            TrainingDocument(
                text,
                filename,
                str(properties.get("sender_email", properties.get("sender", ""))),
                model_text(text, filename, properties, extra.get("attachment_names") or ()),
                code,
                parent is None,
                str(parent if parent is not None else document.id),
            )
        )
    return found


def training_examples(session: Session) -> list[tuple[str, str]]:
    """(what the model reads, class code) for every filed document with text."""
    return [(d.read, d.class_code) for d in training_documents(session)]


def retrain(runtime: Runtime) -> TrainingResult:
    """Train on everything filed, learn the auto-file threshold, and swap the new model in
    atomically (versioned)."""
    with runtime.uow() as session:
        documents = training_documents(session)
        plan_codes = set(session.scalars(select(FilePlanNode.code)))
    per_class = Counter(d.class_code for d in documents)
    classes = len(per_class)
    trainable = sum(1 for n in per_class.values() if n >= MIN_EXAMPLES_PER_CLASS)
    if len(documents) < MIN_EXAMPLES or trainable < 2:
        return TrainingResult(
            False,
            len(documents),
            classes,
            None,
            f"not enough filed documents with text to train on ({len(documents)} in {classes} "
            f"classes; at least {MIN_EXAMPLES}, with {MIN_EXAMPLES_PER_CLASS} or more in each of "
            "2 classes, are needed): the rules alone apply",
        )
    model = train(
        [(d.read, d.class_code) for d in documents],
        target_precision=0,
        groups=[d.group for d in documents],
    )
    target = runtime.settings.classifier_target_precision
    if target > 0:
        rules = load_rules(runtime.settings.config_path("classification.toml"), None)
        learn_threshold(model, documents, rules, plan_codes, target)
    path = save_model(model, runtime.settings.model_dir)
    with runtime.uow() as session:
        audit.record(
            session,
            "system",
            "classifier.train",
            "classifier",
            path.name,
            {"examples": len(documents), "classes": classes},
        )
    return TrainingResult(
        True,
        len(documents),
        classes,
        str(path),
        f"trained on {len(documents)} documents in {classes} classes: {path.name}"
        + _threshold_note(model),
    )


def learn_threshold(
    model: TrainedModel,
    documents: list[TrainingDocument],
    rules: RuleSet,
    plan_codes: set[str],
    target: float,
) -> None:
    """Set the model's auto-file threshold from the combined (rules and held-out model)
    confidences of the standalone documents (module docstring); none with too few."""
    kept = [d for d in documents if d.class_code in model.classes]
    if sum(d.standalone for d in kept) < MIN_THRESHOLD_EXAMPLES:
        return
    probabilities = held_out_probabilities(
        model, [d.read for d in kept], [d.class_code for d in kept], [d.group for d in kept]
    )
    confidences, right = [], []
    for document, row in zip(kept, probabilities, strict=True):
        if not document.standalone:
            continue
        evidence = rule_evidence(document.text, document.filename, document.sender, rules)
        evidence = {code: e for code, e in evidence.items() if code in plan_codes}
        strength, shares = rule_scores(evidence, rules.evidence_scale)
        combined = combine(strength, shares, dict(zip(model.classes, row, strict=True)), rules)
        best = max(combined, key=lambda code: (combined[code], code))
        confidences.append(combined[best])
        right.append(best == document.class_code)
    set_threshold(model, np.array(confidences), np.array(right), target)


def _threshold_note(model: TrainedModel) -> str:
    """ "; auto-files at 0.62 or more (held-out precision 0.960, coverage 0.910)", or ""."""
    if model.auto_threshold is None:
        return ""
    if model.held_out_precision is None:
        return f"; auto-files nothing (no threshold reaches precision {model.target_precision})"
    return (
        f"; auto-files at {model.auto_threshold:.2f} or more (held-out precision "
        f"{model.held_out_precision:.3f}, coverage {model.held_out_coverage:.3f})"
    )


def scheduled_retrain(runtime: Runtime) -> str:
    """The scheduler's entry point (config/jobs.toml)."""
    return retrain(runtime).message
