"""Training the classifier on what is already filed (including triage corrections)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit
from edrm.documents.models import Document, DocumentText
from edrm.ingest.classify.model import train
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
    """(text, class code) for every filed document with text, newest version's text."""
    rows = session.execute(
        select(DocumentText.text, Document)
        .join(Document, Document.id == DocumentText.document_id)
        .where(Document.status == "filed", Document.node_id.is_not(None))
    ).all()
    examples = []
    for text, document in rows:
        code = document.class_code
        if code and text and text.strip():
            examples.append((text, code))
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
    model = train(examples)
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
        f"trained on {len(examples)} documents in {classes} classes: {path.name}",
    )


def scheduled_retrain(runtime: Runtime) -> str:
    """The scheduler's entry point (config/jobs.toml)."""
    return retrain(runtime).message
