"""Issue 15 part 4: rules weigh only for classes that exist and the filer may file into; a
confident model is not overruled by weak rule evidence; the auto-file threshold is learnt where
held-out precision reaches the target; the model reads an e-mail's structure."""

from __future__ import annotations

import io
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from edrm.documents.models import Document
from edrm.ingest import jobs
from edrm.ingest.classify.features import model_text, recipient_count, without_quoted_text
from edrm.ingest.classify.model import (
    MIN_THRESHOLD_EXAMPLES,
    TrainedModel,
    precision_lower_bound,
    threshold_for_precision,
    train,
)
from edrm.ingest.classify.rules import RuleSet, parse_rules
from edrm.ingest.classify.suggestions import choose_class, combine, suggest, threshold_for
from edrm.ingest.models import IngestJob
from edrm.ingest.types import Suggestion
from edrm.ingest.worker import Worker
from edrm.runtime import Runtime
from edrm.settings import SettingsError, load_settings
from tests.conftest import World
from tests.ingest import fixtures

# A strong rule for the invoices class (a pattern and three keywords: 6 points, strength 0.86)
# and rules for a class the plan lacks and for one the clerk may not file into (HR-CASE-DIS is
# open to the hr group only), each matching the same text with 3 points.
RULES = """
[[rule]]
class = "FIN-AP-INV"
keywords = ["invoice", "remittance", "supplier"]
patterns = ['INV-\\d{4}']

[[rule]]
class = "NOT-IN-THE-PLAN"
keywords = ["payment", "terms", "account"]

[[rule]]
class = "HR-CASE-DIS"
keywords = ["grievance", "disciplinary", "hearing"]
"""
INVOICE = b"Supplier invoice INV-1001 and remittance advice: payment terms 30 days on account.\n"
MIXED = b"Supplier invoice INV-1001 and remittance advice, with the grievance hearing and the \
disciplinary papers.\n"


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {**settings_overrides, "config_dir": fixtures.config_dir_with_rules(tmp_path, RULES)}


def _ingest(runtime: Runtime, name: str, data: bytes, by: str) -> IngestJob:
    batch = jobs.new_batch()
    with runtime.uow() as s:
        job_id = jobs.submit(
            s,
            runtime.blobs,
            io.BytesIO(data),
            name,
            jobs.Submission(submitted_by=by, source="cli", batch=batch),
        ).id
    with Worker(runtime) as worker:
        worker.drain(batch)
    with runtime.uow() as s:
        job = s.get(IngestJob, job_id)
        assert job is not None
        s.expunge(job)
        return job


# --- rules name only classes that exist and the person may file into -------------------------


def test_a_rule_naming_a_class_missing_from_the_plan_is_ignored(world: World) -> None:
    """Its evidence takes no share from the classes that exist: the strong invoice evidence
    files the document by itself."""
    job = _ingest(world.runtime, "invoice.txt", INVOICE, "clerk")
    assert (job.outcome, job.class_code) == ("filed", "FIN-AP-INV")
    assert job.confidence == pytest.approx(1 - np.exp(-2), abs=1e-3)


def test_a_rule_naming_a_class_the_filer_may_not_file_into_is_ignored(world: World) -> None:
    """The clerk may not file into HR-CASE-DIS, so its rules do not weigh in the clerk's
    decision (nor dilute the invoice evidence): filed as an invoice."""
    job = _ingest(world.runtime, "mixed.txt", MIXED, "clerk")
    assert (job.outcome, job.class_code) == ("filed", "FIN-AP-INV")


def test_a_filer_who_may_file_into_both_classes_weighs_both(world: World) -> None:
    """For the records manager (in the hr group) both classes' rules count: they share the
    evidence, so neither is sure enough and the document waits on the triage list."""
    job = _ingest(world.runtime, "mixed.txt", MIXED, "recman")
    assert job.outcome == "triage"


def test_suggest_leaves_out_rules_for_classes_not_allowed() -> None:
    rules = parse_rules(
        {
            "rule": [
                {"class": "A", "keywords": ["invoice"]},
                {"class": "GONE", "keywords": ["payment"]},
            ]
        }
    )
    [only] = suggest("invoice payment", "a.txt", "", rules, None, allowed={"A"})
    assert only.class_code == "A"
    assert only.confidence == pytest.approx(1 - np.exp(-1 / 3), abs=1e-4)  # A's share is whole


# --- a confident model is not overruled without evidence --------------------------------------


def test_a_confident_model_is_not_overridden_by_weak_rule_evidence() -> None:
    """One pattern for B (strength 0.63) against a model 82% sure of A: the model stands."""
    probabilities = {"A": 0.82, "B": 0.16, "C": 0.02}
    combined = combine(1 - np.exp(-1), {"B": 1.0}, probabilities, RuleSet())
    assert max(combined, key=combined.__getitem__) == "A"
    assert combined == pytest.approx(probabilities)


def test_strong_rule_evidence_still_overrules_a_confident_model() -> None:
    probabilities = {"A": 0.82, "B": 0.16, "C": 0.02}
    combined = combine(0.95, {"B": 1.0}, probabilities, RuleSet())
    assert max(combined, key=combined.__getitem__) == "B"


def test_weak_rule_evidence_still_sways_an_unsure_model() -> None:
    probabilities = {"A": 0.5, "B": 0.4, "C": 0.1}
    combined = combine(1 - np.exp(-1), {"B": 1.0}, probabilities, RuleSet())
    assert max(combined, key=combined.__getitem__) == "B"


def test_how_confident_and_how_strong_come_from_the_rules_file() -> None:
    rules = parse_rules({"settings": {"confident_model": 0.95, "override_strength": 0.5}})
    assert (rules.confident_model, rules.override_strength) == (0.95, 0.5)
    probabilities = {"A": 0.82, "B": 0.16, "C": 0.02}
    combined = combine(1 - np.exp(-1), {"B": 1.0}, probabilities, rules)
    assert max(combined, key=combined.__getitem__) == "B"  # 0.82 is not confident here


# --- the auto-file threshold ------------------------------------------------------------------


def test_the_threshold_is_the_lowest_confidence_with_held_out_precision_at_the_target() -> None:
    confidences = np.linspace(1.0, 0.01, 2000)
    right = np.ones(2000, dtype=bool)
    right[1500:] = False  # everything below rank 1500 is wrong
    threshold, precision, coverage = threshold_for_precision(confidences, right, 0.95)
    assert precision is not None and precision >= 0.95
    assert precision_lower_bound(precision * coverage * 2000, round(coverage * 2000)) >= 0.95
    assert confidences[1579] < threshold <= confidences[1500]  # 1500/1579 < 0.95
    assert 0.75 <= coverage < 0.79


def test_a_small_sample_needs_a_margin_above_the_target() -> None:
    """19 right out of 20 is 0.95, but not reliably: no threshold is learnt from it."""
    confidences = np.linspace(0.99, 0.5, 20)
    right = np.array([True] * 19 + [False])
    threshold, precision, coverage = threshold_for_precision(confidences, right, 0.95)
    assert precision is None and coverage == 0.0 and threshold > 1.0


def test_training_learns_a_threshold_that_meets_the_target_on_held_out_examples() -> None:
    examples = [(f"supplier invoice {n} payment vat", "INV") for n in range(MIN_THRESHOLD_EXAMPLES)]
    examples += [(f"security incident {n} badge tailgating", "SEC") for n in range(40)]
    model = train(examples, target_precision=0.95)
    assert model.auto_threshold is not None and model.auto_threshold <= 1.0
    assert model.held_out_precision is not None and model.held_out_precision >= 0.95


def test_a_target_precision_of_zero_learns_no_threshold() -> None:
    examples = [(f"supplier invoice {n}", "INV") for n in range(MIN_THRESHOLD_EXAMPLES)]
    examples += [(f"security incident {n}", "SEC") for n in range(30)]
    assert train(examples, target_precision=0).auto_threshold is None


def test_a_small_training_set_learns_no_threshold() -> None:
    examples = [(f"supplier invoice {n}", "INV") for n in range(MIN_THRESHOLD_EXAMPLES // 2 - 1)]
    examples += [(f"security incident {n}", "SEC") for n in range(MIN_THRESHOLD_EXAMPLES // 2)]
    assert train(examples).auto_threshold is None


def test_auto_filing_uses_the_learnt_threshold_over_the_default() -> None:
    model = train([("invoice", "A"), ("invoice two", "A"), ("lease", "B"), ("lease two", "B")])
    top = [Suggestion("A", 0.6, "")]
    assert choose_class(None, top, RuleSet(), 0.8, model) == (None, top[0])
    model.auto_threshold = 0.55
    assert choose_class(None, top, RuleSet(), 0.8, model) == ("A", top[0])


def test_a_class_threshold_can_raise_the_learnt_one_but_not_lower_it() -> None:
    rules = parse_rules({"rule": [{"class": "A", "keywords": ["x"], "threshold": 0.9}]})
    assert threshold_for("A", rules, 0.8, learnt=0.6) == 0.9
    lower = parse_rules({"rule": [{"class": "A", "keywords": ["x"], "threshold": 0.5}]})
    assert threshold_for("A", lower, 0.8, learnt=0.6) == 0.6
    assert threshold_for("B", rules, 0.8, learnt=None) == 0.8


def test_the_target_precision_setting_is_a_number_between_0_and_1() -> None:
    assert load_settings({}, environ={}).classifier_target_precision == 0.95
    assert (
        load_settings({"classifier_target_precision": 0.99}, environ={}).classifier_target_precision
        == 0.99
    )
    env = {"EDRM_CLASSIFIER_TARGET_PRECISION": "0.9"}
    assert load_settings({}, environ=env).classifier_target_precision == 0.9
    with pytest.raises(SettingsError, match="classifier_target_precision"):
        load_settings({"classifier_target_precision": 1.5}, environ={})


# --- what the model reads of an e-mail --------------------------------------------------------


def test_quoted_text_is_removed_from_an_email_body() -> None:
    body = "Agreed, thanks.\n\nOn 3 May 2024, Jane Smith wrote:\n> The lease break notice...\n"
    assert without_quoted_text(body) == "Agreed, thanks."
    outlook = "See below.\n\n-----Original Message-----\nFrom: A\nSent: today\nold text"
    assert without_quoted_text(outlook) == "See below."
    assert without_quoted_text("new\n> quoted line\nmore new") == "new\nmore new"


def test_a_body_that_is_only_a_quotation_is_kept() -> None:
    assert without_quoted_text("> everything quoted") == "> everything quoted"


def test_an_emails_structure_becomes_words_the_model_reads() -> None:
    properties = {
        "sender_email": "ap@billing.supplier.co.uk",
        "subject": "RE: Invoice query",
        "to": "a@drrs.gov.uk, b@drrs.gov.uk",
        "cc": "c@drrs.gov.uk, d@drrs.gov.uk, e@drrs.gov.uk",
    }
    read = model_text("Paid.\n\nOn Monday, X wrote:\n> lease", "m.eml", properties, ["INV_77.pdf"])
    assert recipient_count(properties) == 5
    assert "Invoice query" in read and "RE:" not in read
    assert "zzsenderapbillingsuppliercouk" in read and "zzdomainbillingsuppliercouk" in read
    assert "zzrecipientsmany" in read and "zzreply" in read
    assert "inv" in read.split() and "zzextpdf" in read and "zzattachmentsyes" in read
    assert "lease" not in read


def test_a_plain_document_is_read_with_its_file_name() -> None:
    assert model_text("Body text.", "Risk register Q3.xlsx") == (
        "Body text.\n\nrisk register q zzextxlsx"
    )


def test_the_model_learns_genre_from_the_sender_when_the_body_says_nothing() -> None:
    def read(sender: str, n: int) -> str:
        return model_text(f"See attached {n}.", "m.eml", {"sender_email": sender, "to": "x@y.uk"})

    examples = [(read("ap@supplier.co.uk", n), "INV") for n in range(6)]
    examples += [(read("guard@security.gov.uk", n), "SEC") for n in range(6)]
    model: TrainedModel = train(examples)
    [best, *_] = suggest(
        "See attached.",
        "m.eml",
        "",
        RuleSet(),
        model,
        properties={"sender_email": "ap@supplier.co.uk"},
    )
    assert best.class_code == "INV"


def test_an_emails_attachment_names_are_kept_for_training(world: World) -> None:
    message = EmailMessage()
    message["From"] = "Clerk <clerk@drrs.gov.uk>"
    message["To"] = "ap@drrs.gov.uk"
    message["Subject"] = "Invoice"
    message.set_content("Please pay.")
    message.add_attachment(
        b"Invoice INV-1001", maintype="text", subtype="plain", filename="INV-1001.txt"
    )
    job = _ingest(world.runtime, "mail.eml", message.as_bytes(), "clerk")
    with world.runtime.uow() as s:
        document = s.scalars(select(Document).where(Document.id == job.document_id)).one()
        assert document.extra["attachment_names"] == ["INV-1001.txt"]


def test_an_email_and_its_attachments_share_a_calibration_fold() -> None:
    """Grouped examples train (and learn a threshold) without a fold splitting a group; a class
    with too few groups for the folds falls back to plain stratified folds."""
    examples, groups = [], []
    for n in range(120):
        for code, words in (("INV", "supplier invoice"), ("SEC", "security incident")):
            examples += [(f"{words} mail {n}", code), (f"{words} attachment {n}", code)]
            groups += [f"{code}{n}", f"{code}{n}"]
    model = train(examples, groups=groups)
    assert model.auto_threshold is not None
    few = train(
        [("a one", "A"), ("a two", "A"), ("b one", "B"), ("b two", "B")], groups=list("xxyz")
    )
    assert few.classes == ["A", "B"]
