"""The classify step: rules from config, the calibrated model, their combination, model files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import regex

from edrm.demo.corpus import demo_folders, generate_documents
from edrm.errors import InvalidInputError
from edrm.fileplan.io import read_file
from edrm.ingest.classify.model import TrainedModel, calibrated_probabilities, train
from edrm.ingest.classify.model_files import KEEP_VERSIONS, load_current, save_model
from edrm.ingest.classify.rules import RuleSet, load_rules, parse_rules
from edrm.ingest.classify.suggestions import combine, suggest, threshold_for
from edrm.settings import DEFAULT_CONFIG_DIR

CONFIG = DEFAULT_CONFIG_DIR

INVOICE = """OFFICIAL

TAX INVOICE

Carrick Office Supplies Ltd
VAT registration number: GB 339 1157 62
Invoice number: INV-25278
Invoice date: 5 April 2019
Purchase order: PO-4537651604

Subtotal (net) £5,539.50
VAT at 20% £1,107.90
Total due £6,647.40
"""


@pytest.fixture(scope="module")
def transaction_codes() -> set[str]:
    rows = read_file(CONFIG / "fileplan.toml")
    return {row.code for row in rows if row.kind == "transaction"}


@pytest.fixture(scope="module")
def rules(transaction_codes: set[str]) -> RuleSet:
    return load_rules(CONFIG / "classification.toml", transaction_codes)


@pytest.fixture(scope="module")
def labelled() -> list[tuple[str, str, str]]:
    """(text, class code, file name) for 160 demo documents; folders mapped to their class."""
    parents = {folder.code: folder.parent_code for folder in demo_folders()}
    return [
        (doc.content.decode("utf-8"), parents.get(doc.into_code, doc.into_code), doc.filename)
        for doc in generate_documents(seed=2025, count=160)
    ]


@pytest.fixture(scope="module")
def split(
    labelled: list[tuple[str, str, str]],
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Every fourth document held out."""
    return [d for i, d in enumerate(labelled) if i % 4], labelled[::4]


@pytest.fixture(scope="module")
def model(split: tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]) -> TrainedModel:
    training, _ = split
    return train([(text, code) for text, code, _ in training])


def one_rule(**fields: object) -> RuleSet:
    return parse_rules({"rule": [{"class": "FIN-AP-INV", **fields}]})


# --- the rules file ---------------------------------------------------------------------------


def test_default_rules_cover_the_file_plan(rules: RuleSet, transaction_codes: set[str]) -> None:
    covered = {rule.class_code for rule in rules.rules}
    assert len(covered) >= 25
    assert covered <= transaction_codes


def test_unknown_class_code_is_an_error_naming_the_rule() -> None:
    data = {
        "rule": [{"class": "FIN-AP-INV", "keywords": ["a"]}, {"class": "NOPE", "keywords": ["b"]}]
    }
    with pytest.raises(InvalidInputError, match="rule 2: class 'NOPE' is not a transaction class"):
        parse_rules(data, "rules", {"FIN-AP-INV"})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"keywords": "invoice"}, "'keywords' must be a list"),
        ({"keywords": ["tax invoice"]}, "keyword 'tax invoice' is not a single word"),
        ({"patterns": ["(unclosed"]}, "pattern '\\(unclosed' does not compile"),
        ({"keywords": ["a"], "threshold": 1.5}, "'threshold' must be a number in \\(0, 1\\]"),
        ({"keywords": ["a"], "colour": "red"}, "unknown field\\(s\\) colour"),
        ({"senders": ["not an address"]}, "'senders' entry 'not an address'"),
        ({}, "give at least one of keywords"),
    ],
)
def test_bad_rule_field_is_an_error_naming_rule_and_field(
    tmp_path: Path, fields: dict[str, object], message: str
) -> None:
    good = '[[rule]]\nclass = "FIN-AP-EXP"\nkeywords = ["mileage"]\n'
    bad = "\n".join(f"{key} = {_toml(value)}" for key, value in fields.items())
    path = tmp_path / "classification.toml"
    path.write_text(f'{good}\n[[rule]]\nclass = "FIN-AP-INV"\n{bad}\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=f"rule 2 \\(FIN-AP-INV\\): {message}"):
        load_rules(path)


def _toml(value: object) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def test_conflicting_thresholds_for_one_class_are_an_error() -> None:
    data = {
        "rule": [
            {"class": "FIN-AP-INV", "keywords": ["a"], "threshold": 0.9},
            {"class": "FIN-AP-INV", "keywords": ["b"], "threshold": 0.7},
        ]
    }
    with pytest.raises(InvalidInputError, match=r"rule 2 \(FIN-AP-INV\): threshold 0\.7 differs"):
        parse_rules(data)


def test_missing_rules_file_is_a_named_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="classification rules file is missing"):
        load_rules(tmp_path / "classification.toml")


# --- rules alone ------------------------------------------------------------------------------


def test_rules_alone_file_strong_evidence_above_the_threshold(rules: RuleSet) -> None:
    best = suggest(INVOICE, "Invoice INV-25278.txt", "", rules, None)[0]
    assert best.class_code == "FIN-AP-INV"
    assert best.confidence >= threshold_for("FIN-AP-INV", rules, 0.8)
    assert "keywords invoice" in best.reason
    assert "INV-25278" in best.reason
    assert "model: none trained" in best.reason


def test_a_single_keyword_stays_below_the_threshold() -> None:
    only = one_rule(keywords=["invoice"])
    [best] = suggest("Please find the invoice attached.", "note.txt", "", only, None)
    assert best.class_code == "FIN-AP-INV"
    assert best.confidence < 0.8


def test_evidence_shared_between_classes_lowers_confidence() -> None:
    shared = parse_rules(
        {
            "rule": [
                {"class": "FIN-AP-INV", "patterns": [r"\bCON-\d{4}\b"], "keywords": ["contract"]},
                {"class": "PROC-CM-CON", "patterns": [r"\bCON-\d{4}\b"], "keywords": ["contract"]},
            ]
        }
    )
    suggestions = suggest("The contract CON-2020 is attached.", "a.txt", "", shared, None)
    assert {s.class_code for s in suggestions} == {"FIN-AP-INV", "PROC-CM-CON"}
    assert all(s.confidence < 0.5 for s in suggestions)


def test_sender_domain_matches_subdomains_and_addresses() -> None:
    by_sender = one_rule(senders=["supplier.co.uk"])
    [match] = suggest("hello", "a.eml", "Accounts <ap@billing.supplier.co.uk>", by_sender, None)
    assert "sender supplier.co.uk" in match.reason
    assert suggest("hello", "a.eml", "someone@other.co.uk", by_sender, None) == []


def test_file_name_globs_match_in_any_case() -> None:
    by_name = one_rule(filenames=["invoice*"])
    [match] = suggest("", "scans/INVOICE 2291.pdf", "", by_name, None)
    assert "file name invoice*" in match.reason


def test_keywords_match_whole_words_and_plurals() -> None:
    by_word = one_rule(keywords=["invoice"])
    assert suggest("Two invoices arrived.", "a.txt", "", by_word, None)
    assert suggest("The invoicer called.", "a.txt", "", by_word, None) == []


def test_catastrophic_pattern_times_out_and_does_not_hang() -> None:
    text = "invoice " + "a" * 5000 + "b"
    with pytest.raises(TimeoutError):  # the pattern really is catastrophic on this text
        regex.search(r"(a|aa)+$", text, timeout=0.05)
    slow = one_rule(patterns=[r"(a|aa)+$"], keywords=["invoice"])
    started = time.perf_counter()
    [match] = suggest(text, "a.txt", "", slow, None)
    assert time.perf_counter() - started < 2
    assert "pattern" not in match.reason  # the timed-out pattern counted as no match


def test_no_evidence_and_no_model_gives_no_suggestions(rules: RuleSet) -> None:
    assert suggest("zzz qqq", "x.bin", "", rules, None) == []


# --- the model --------------------------------------------------------------------------------


def test_trained_model_suggests_the_right_class_for_held_out_documents(
    model: TrainedModel, split: tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]
) -> None:
    _, held_out = split
    known = [d for d in held_out if d[1] in model.classes]
    right = sum(
        suggest(text, name, "", RuleSet(), model)[0].class_code == code
        for text, code, name in known
    )
    assert right / len(known) >= 0.8


def test_model_reason_names_its_contributing_terms(model: TrainedModel) -> None:
    best = suggest(INVOICE, "scan.pdf", "", RuleSet(), model)[0]
    assert best.class_code == "FIN-AP-INV"
    assert "rules: no match" in best.reason
    assert "model " in best.reason and "terms " in best.reason
    assert "invoice" in best.reason.split("terms ", 1)[1]


def test_combined_suggestions_are_right_on_held_out_documents(
    model: TrainedModel,
    rules: RuleSet,
    split: tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]],
) -> None:
    _, held_out = split
    right = sum(
        suggest(text, name, "", rules, model)[0].class_code == code for text, code, name in held_out
    )
    assert right / len(held_out) >= 0.9


def test_confidences_are_within_0_and_1_and_sorted(
    model: TrainedModel,
    rules: RuleSet,
    split: tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]],
) -> None:
    _, held_out = split
    for text, _, name in held_out[:20]:
        for source_rules, source_model in ((rules, None), (RuleSet(), model), (rules, model)):
            suggestions = suggest(text, name, "", source_rules, source_model, top=5)
            confidences = [s.confidence for s in suggestions]
            assert all(0.0 <= c <= 1.0 for c in confidences)
            assert confidences == sorted(confidences, reverse=True)
            assert len(suggestions) <= 5


def test_top_limits_the_number_of_suggestions(model: TrainedModel, rules: RuleSet) -> None:
    assert len(suggest(INVOICE, "a.txt", "", rules, model)) == 3
    assert len(suggest(INVOICE, "a.txt", "", rules, model, top=1)) == 1


def test_class_with_one_example_is_left_out_of_the_model() -> None:
    examples = [("invoice vat total", "FIN-AP-INV")] * 3 + [
        ("mileage taxi hotel", "FIN-AP-EXP")
    ] * 3
    examples += [("board minutes apologies", "GOV-BRD-MIN")] * 3 + [
        ("lease landlord", "EST-MGT-LSE")
    ]
    model = train(examples)
    assert model.left_out == ["EST-MGT-LSE"]
    assert "EST-MGT-LSE" not in model.classes


def test_training_needs_two_classes_with_two_examples() -> None:
    with pytest.raises(InvalidInputError, match="at least two classes"):
        train([("invoice", "FIN-AP-INV"), ("invoice two", "FIN-AP-INV"), ("lease", "EST-MGT-LSE")])


def test_fast_probabilities_agree_with_sklearn(model: TrainedModel) -> None:
    tfidf, calibrated = model.pipeline.named_steps["tfidf"], model.pipeline.named_steps["clf"]
    features = tfidf.transform([INVOICE, "board minutes apologies agenda", "lease break notice"])
    fast = calibrated_probabilities(calibrated, features)
    assert fast == pytest.approx(calibrated.predict_proba(features), abs=1e-9)


# --- combining rules and model ----------------------------------------------------------------


def test_agreement_raises_confidence_above_either_source() -> None:
    probabilities = {"A": 0.6, "B": 0.3, "C": 0.1}
    combined = combine(0.7, {"A": 1.0}, probabilities, RuleSet())
    assert combined["A"] > 0.7 and combined["A"] > 0.6


def test_disagreement_leaves_every_class_below_the_threshold() -> None:
    probabilities = {"A": 0.9, "B": 0.05, "C": 0.05}
    combined = combine(0.95, {"B": 1.0}, probabilities, RuleSet())
    assert max(combined.values()) < 0.8


def test_without_rule_evidence_the_model_probabilities_pass_through() -> None:
    probabilities = {"A": 0.7, "B": 0.2, "C": 0.1}
    assert combine(0.0, {}, probabilities, RuleSet()) == pytest.approx(probabilities)


def test_rules_decide_for_a_class_the_model_has_not_learnt() -> None:
    probabilities = {"A": 0.4, "B": 0.35, "C": 0.25}
    combined = combine(0.95, {"NEW": 1.0}, probabilities, RuleSet())
    assert max(combined, key=combined.__getitem__) == "NEW"


# --- thresholds -------------------------------------------------------------------------------


def test_threshold_per_class_overrides_the_default(rules: RuleSet) -> None:
    assert threshold_for("LEG-LIT-NS", rules, 0.8) == 0.95
    assert threshold_for("FIN-AP-INV", rules, 0.8) == 0.8
    assert threshold_for("FIN-AP-INV", rules, 0.75) == 0.75


# --- saving and loading -----------------------------------------------------------------------


def small_model() -> TrainedModel:
    examples = [("invoice vat total due", "FIN-AP-INV"), ("invoice number payment", "FIN-AP-INV")]
    examples += [
        ("mileage taxi hotel claim", "FIN-AP-EXP"),
        ("rail fare subsistence", "FIN-AP-EXP"),
    ]
    examples += [
        ("board minutes agenda", "GOV-BRD-MIN"),
        ("apologies board action log", "GOV-BRD-MIN"),
    ]
    return train(examples)


def test_no_saved_model_loads_as_none(tmp_path: Path) -> None:
    assert load_current(tmp_path / "models") is None


def test_save_writes_numbered_versions_and_swaps_the_current_pointer(tmp_path: Path) -> None:
    first, second = small_model(), small_model()
    assert save_model(first, tmp_path).name == "classifier-v1.joblib"
    assert save_model(second, tmp_path).name == "classifier-v2.joblib"
    assert (tmp_path / "current").read_text().strip() == "classifier-v2.joblib"
    assert (tmp_path / "classifier-v1.joblib").exists()
    loaded = load_current(tmp_path)
    assert loaded is not None and loaded.version == 2
    assert loaded.classes == second.classes
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_loaded_model_suggests_like_the_saved_one(tmp_path: Path) -> None:
    model = small_model()
    save_model(model, tmp_path)
    loaded = load_current(tmp_path)
    assert suggest("invoice total", "a.txt", "", RuleSet(), loaded) == suggest(
        "invoice total", "a.txt", "", RuleSet(), model
    )


def test_a_model_saved_before_classify_became_a_package_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = small_model()
    # pickle names a class by its module: saved then, the class was edrm.ingest.classify's
    monkeypatch.setattr(TrainedModel, "__module__", "edrm.ingest.classify")
    save_model(model, tmp_path)
    monkeypatch.undo()
    assert b"edrm.ingest.classify.model" not in (tmp_path / "classifier-v1.joblib").read_bytes()
    (tmp_path / "classifier-v1.npz").unlink()  # nor had it a compact form then
    loaded = load_current(tmp_path)
    assert isinstance(loaded, TrainedModel) and loaded.classes == model.classes


def test_at_most_five_versions_are_kept(tmp_path: Path) -> None:
    model = small_model()
    for _ in range(KEEP_VERSIONS + 2):
        save_model(model, tmp_path)
    names = sorted(p.name for p in tmp_path.glob("classifier-v*.joblib"))
    assert len(names) == KEEP_VERSIONS
    assert "classifier-v7.joblib" in names and "classifier-v2.joblib" not in names


def test_pointer_to_a_missing_model_is_a_named_error(tmp_path: Path) -> None:
    (tmp_path / "current").write_text("classifier-v9.joblib\n")
    with pytest.raises(InvalidInputError, match=r"classifier-v9\.joblib is missing"):
        load_current(tmp_path)


def test_pointer_outside_the_model_names_is_refused(tmp_path: Path) -> None:
    (tmp_path / "current").write_text("../../etc/passwd\n")
    with pytest.raises(InvalidInputError, match="does not name a classifier file"):
        load_current(tmp_path)
