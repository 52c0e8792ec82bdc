"""Training the classifier on what is already filed (including triage corrections)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from edrm import audit
from edrm.documents.models import Document, DocumentText
from edrm.ingest.classify.features import model_text
from edrm.ingest.classify.model import TrainedModel, train
from edrm.ingest.classify.model_files import save_model
from edrm.runtime import Runtime

MIN_EXAMPLES = 10


@dataclass(frozen=True)
class TrainingResult:
    trained: bool
    examples: int
    classes: int
    version_path: str | None
    message: str


def training_examples(session: Session) -> list[tuple[str, str]]:
    """(what the model reads, class code) for every filed document with text: its newest
    version's text and, for e-mail, the headers and attachment names kept when it was read
    (`features.model_text`)."""
    rows = session.execute(
        select(DocumentText.text, Document)
        .join(Document, Document.id == DocumentText.document_id)
        .where(Document.status == "filed", Document.node_id.is_not(None))
        .options(selectinload(Document.versions))
    ).all()
    examples = []
    for text, document in rows:
        code = document.class_code
        if code and text and text.strip():
            extra = document.extra or {}
            examples.append(
                (
                    model_text(
                        text,
                        document.latest.filename if document.versions else "",
                        extra.get("properties") or {},
                        extra.get("attachment_names") or (),
                    ),
                    code,
                )
            )
    return examples


def retrain(runtime: Runtime) -> TrainingResult:
    """Train on everything filed and swap the new model in atomically (versioned)."""
    with runtime.uow() as session:
        examples = training_examples(session)
    classes = len({code for _, code in examples})
    if len(examples) < MIN_EXAMPLES or classes < 2:
        return TrainingResult(
            False,
            len(examples),
            classes,
            None,
            f"not enough filed documents with text to train on ({len(examples)} in {classes} "
            f"classes; at least {MIN_EXAMPLES} in 2 classes are needed): the rules alone apply",
        )
    model = train(examples, target_precision=runtime.settings.classifier_target_precision)
    path = save_model(model, runtime.settings.model_dir)
    with runtime.uow() as session:
        audit.record(
            session,
            "system",
            "classifier.train",
            "classifier",
            path.name,
            {"examples": len(examples), "classes": classes},
        )
    return TrainingResult(
        True,
        len(examples),
        classes,
        str(path),
        f"trained on {len(examples)} documents in {classes} classes: {path.name}"
        + _threshold_note(model),
    )


def _threshold_note(model: TrainedModel) -> str:
    """ "; auto-files at 0.62 or more (held-out precision 0.96, coverage 0.91)", or ""."""
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
