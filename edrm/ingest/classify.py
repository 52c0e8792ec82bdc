"""The classify step: suggest file-plan classes for a document, each with a confidence and reason.

Two sources of evidence:

* **Rules** (config/classification.toml): per class, keywords, phrases, regular expressions (run
  with a time limit), e-mail senders and file-name globs. Each distinct match is worth points
  (keyword 1; phrase or file name 2; pattern or sender 3). The strongest class's points give the
  rules' *strength* ``s = 1 - exp(-points / evidence_scale)``, and every matching class gets its
  *share* ``q = points / all classes' points``.
* **Model**: TF-IDF over word 1-2-grams (sublinear tf) and a linear SVM, wrapped in
  ``CalibratedClassifierCV`` (sigmoid) so that its scores are probabilities ``p``.

The rules' own confidence in a class is ``r = s * q``. Combination:

* no model: ``confidence = r``. Strong, unshared rule evidence (say three keywords and a
  pattern: s = 0.86) reaches the auto-file threshold on its own; evidence shared between classes
  does not.
* with a model: the rules re-weight the model's probabilities, like a likelihood updating a
  prior: ``confidence(c) = p(c) * (r(c) + e) / sum over classes k of p(k) * (r(k) + e)``, with
  ``e = rule_smoothing`` (default 0.1). When no rule matches, every class gets the same factor and
  the model's probabilities come through unchanged; when the rules and the model agree the
  confidence rises above either; when they point at different classes it falls, and the
  document goes to triage. Confidences are in 0..1 and sum to 1.

The reason names the rule evidence that matched and the model's top contributing terms for that
class (the SVM's coefficient x the document's tf-idf value, largest first).

Calibration: the sigmoid is fitted on out-of-fold SVM scores from ``cv = min(3, smallest class)``
stratified folds (``ensemble=False``), and the SVM that makes predictions is fitted on every
example. Small classes: a class needs at least two examples to be calibrated; a class with one
example is left out of the model (listed in ``TrainedModel.left_out``) and for it the rules decide
(it is given the model's top probability in the combination) until a second document is filed.
"""

from __future__ import annotations

import contextlib
import fnmatch
import math
import os
import re
import tempfile
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import regex
import sklearn
from pydantic import Field
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from edrm.configfile import ConfigModel, load_toml, validate
from edrm.errors import InvalidInputError
from edrm.ingest.types import Suggestion

PATTERN_TIMEOUT = 0.05  # seconds per rule pattern per document
MAX_TEXT_CHARS = 200_000  # rules and model look at this much of the text
POINTS = {"keywords": 1.0, "phrases": 2.0, "patterns": 3.0, "senders": 3.0, "filenames": 2.0}
EVIDENCE_FIELDS = tuple(POINTS)
MIN_EXAMPLES_PER_CLASS = 2
MAX_CALIBRATION_FOLDS = 3
KEEP_VERSIONS = 5
TOP_TERMS = 4
POINTER = "current"
_MODEL_NAME = re.compile(r"^classifier-v(\d+)\.joblib$")


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One [[rule]] table, with its matchers compiled."""

    number: int  # 1-based position in the file, for messages
    class_code: str
    threshold: float | None = None
    keywords: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    filenames: tuple[str, ...] = ()
    compiled: _CompiledRule | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class _CompiledRule:
    keywords: tuple[tuple[str, frozenset[str]], ...]  # (keyword, the word forms that match it)
    phrases: tuple[tuple[str, str], ...]  # (phrase, lower case with single spaces)
    patterns: tuple[tuple[str, Any], ...]  # (source, regex.Pattern)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=dict)  # per-class overrides
    evidence_scale: float = 3.0
    rule_smoothing: float = 0.1


class _RuleTable(ConfigModel):
    """One [[rule]] table of config/classification.toml."""

    class_code: str = Field(default="", alias="class")
    threshold: float | None = None
    keywords: list[str] = []
    phrases: list[str] = []
    patterns: list[str] = []
    senders: list[str] = []
    filenames: list[str] = []


class _SettingsTable(ConfigModel):
    evidence_scale: float = Field(default=RuleSet.evidence_scale, gt=0)
    rule_smoothing: float = Field(default=RuleSet.rule_smoothing, gt=0)


class _RulesFile(ConfigModel):
    """config/classification.toml."""

    entry_names = {"rule": "class"}
    key_noun = "field"
    settings: _SettingsTable = _SettingsTable()
    rule: list[_RuleTable] = []


def load_rules(path: Path, known_class_codes: set[str] | None = None) -> RuleSet:
    """Read config/classification.toml; a bad rule is an error naming its number and field.

    With `known_class_codes` (the file plan's transaction classes), a rule for any other code is
    an error too.
    """
    try:
        file = load_toml(path, _RulesFile)
    except FileNotFoundError:
        raise InvalidInputError(f"{path}: the classification rules file is missing") from None
    return _rule_set(file, str(path), known_class_codes)


def parse_rules(
    data: dict[str, Any], where: str = "rules", known_class_codes: set[str] | None = None
) -> RuleSet:
    """Validate already-parsed TOML (see load_rules)."""
    return _rule_set(validate(where, data, _RulesFile), where, known_class_codes)


def _rule_set(file: _RulesFile, where: str, known: set[str] | None) -> RuleSet:
    rules = tuple(
        _parse_rule(entry, number, where, known) for number, entry in enumerate(file.rule, start=1)
    )
    settings = file.settings
    return RuleSet(
        rules, _thresholds(rules, where), settings.evidence_scale, settings.rule_smoothing
    )


def _parse_rule(entry: _RuleTable, number: int, where: str, known: set[str] | None) -> Rule:
    at = f"{where}: rule {number}"
    code = entry.class_code
    if not code.strip():
        raise InvalidInputError(f"{at}: 'class' must name a file-plan class")
    if known is not None and code not in known:
        raise InvalidInputError(f"{at}: class {code!r} is not a transaction class of the file plan")
    at = f"{at} ({code})"
    lists = {name: _string_list(getattr(entry, name), name, at) for name in EVIDENCE_FIELDS}
    if not any(lists.values()):
        raise InvalidInputError(f"{at}: give at least one of {', '.join(EVIDENCE_FIELDS)}")
    _check_senders(lists["senders"], at)
    rule = Rule(number, code, _threshold(entry.threshold, at), **lists)
    return replace(rule, compiled=_compile(rule, at))


def _string_list(values: list[str], name: str, at: str) -> tuple[str, ...]:
    if not all(v.strip() for v in values):
        raise InvalidInputError(f"{at}: '{name}' must be a list of non-empty strings")
    return tuple(v.strip() for v in values)


def _threshold(value: float | None, at: str) -> float | None:
    if value is not None and not 0 < value <= 1:
        raise InvalidInputError(f"{at}: 'threshold' must be a number in (0, 1] (got {value!r})")
    return value


def _check_senders(senders: tuple[str, ...], at: str) -> None:
    for sender in senders:
        if not re.fullmatch(r"(?:[^@\s]+@|@)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", sender):
            raise InvalidInputError(
                f"{at}: 'senders' entry {sender!r} is not an e-mail address or domain"
            )


def _compile(rule: Rule, at: str) -> _CompiledRule:
    for keyword in rule.keywords:
        if len(_words(keyword.lower())) != 1:
            raise InvalidInputError(
                f"{at}: keyword {keyword!r} is not a single word (put it in 'phrases')"
            )
    keywords = tuple(
        (k, frozenset({k.lower(), f"{k.lower()}s", f"{k.lower()}es"})) for k in rule.keywords
    )
    phrases = tuple((p, " ".join(p.lower().split())) for p in rule.phrases)
    patterns = []
    for source in rule.patterns:
        try:
            patterns.append((source, regex.compile(source)))
        except regex.error as exc:
            raise InvalidInputError(f"{at}: pattern {source!r} does not compile: {exc}") from None
    return _CompiledRule(keywords, phrases, tuple(patterns))


_WORD = re.compile(r"\w+(?:['-]\w+)*")


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _thresholds(rules: tuple[Rule, ...], where: str) -> dict[str, float]:
    thresholds: dict[str, float] = {}
    for rule in rules:
        if rule.threshold is None:
            continue
        previous = thresholds.setdefault(rule.class_code, rule.threshold)
        if previous != rule.threshold:
            raise InvalidInputError(
                f"{where}: rule {rule.number} ({rule.class_code}): threshold {rule.threshold} "
                f"differs from an earlier rule's {previous} for the same class"
            )
    return thresholds


def threshold_for(class_code: str, rules: RuleSet, default: float) -> float:
    """The confidence at or above which a document is filed into `class_code` automatically."""
    return rules.thresholds.get(class_code, default)


# --- rule evidence ----------------------------------------------------------------------------


@dataclass
class Evidence:
    """What matched for one class, over all its rules."""

    keywords: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)
    filenames: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(POINTS[name] * len(getattr(self, name)) for name in EVIDENCE_FIELDS)

    def add(self, name: str, items: list[str]) -> None:
        current: list[str] = getattr(self, name)
        current.extend(item for item in items if item not in current)

    def describe(self) -> str:
        labels = {
            "keywords": "keywords",
            "phrases": "phrases",
            "patterns": "pattern",
            "senders": "sender",
            "filenames": "file name",
        }
        parts = []
        for name in EVIDENCE_FIELDS:
            items = getattr(self, name)
            if items:
                shown = [f"'{i}'" if name == "phrases" else i for i in items[:5]]
                parts.append(f"{labels[name]} {', '.join(shown)}")
        return "; ".join(parts)


@dataclass(frozen=True)
class _Prepared:
    """A document made ready for matching once, however many rules there are."""

    text: str  # as given (for patterns)
    lowered: str  # lower case, every run of white space one space (for phrases)
    words: frozenset[str]  # lower-case words, hyphenated ones also in parts (for keywords)
    filename: str  # the base name, lower case
    senders: list[str]  # the sender's e-mail addresses, lower case


def _prepare(text: str, filename: str, sender: str) -> _Prepared:
    sample = text[:MAX_TEXT_CHARS].replace("\u2019", "'")
    lowered = " ".join(sample.lower().split())
    words = set(_words(lowered))
    words.update(part for word in list(words) for part in re.split(r"['-]", word))
    name = re.split(r"[\\/]", filename)[-1].lower()
    return _Prepared(sample, lowered, frozenset(words), name, _sender_addresses(sender))


def rule_evidence(text: str, filename: str, sender: str, rules: RuleSet) -> dict[str, Evidence]:
    """Class code -> what matched, for every class with at least one match."""
    document = _prepare(text, filename, sender)
    found: dict[str, Evidence] = {}
    for rule in rules.rules:
        matched = _match_rule(rule, document)
        if any(matched.values()):
            evidence = found.setdefault(rule.class_code, Evidence())
            for field_name, items in matched.items():
                evidence.add(field_name, items)
    return found


def _match_rule(rule: Rule, document: _Prepared) -> dict[str, list[str]]:
    compiled = rule.compiled or _compile(rule, f"rule {rule.number}")
    return {
        "keywords": [k for k, forms in compiled.keywords if forms & document.words],
        "phrases": [p for p, lowered in compiled.phrases if _has_phrase(document.lowered, lowered)],
        "patterns": [
            f"{source} ({found})"
            for source, pattern in compiled.patterns
            if (found := _search(pattern, document.text))
        ],
        "senders": [s for s in rule.senders if _sender_matches(s, document.senders)],
        "filenames": [
            g for g in rule.filenames if fnmatch.fnmatchcase(document.filename, g.lower())
        ],
    }


def _has_phrase(text: str, phrase: str) -> bool:
    """`phrase` in `text` starting and ending at word boundaries."""
    start = text.find(phrase)
    while start >= 0:
        end = start + len(phrase)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        clean_start = not (phrase[0].isalnum() and (before.isalnum() or before == "_"))
        clean_end = not (phrase[-1].isalnum() and (after.isalnum() or after == "_"))
        if clean_start and clean_end:
            return True
        start = text.find(phrase, start + 1)
    return False


def _search(pattern: Any, text: str) -> str:
    """The first match (shortened), or "" when there is none or the search took too long.

    The time limit is PATTERN_TIMEOUT seconds, so a catastrophic pattern cannot stall a worker.
    """
    try:
        match = pattern.search(text, timeout=PATTERN_TIMEOUT)
    except TimeoutError:
        return ""
    if match is None:
        return ""
    found = " ".join(match.group(0).split())[:40]
    return found or "empty match"


def _sender_addresses(sender: str) -> list[str]:
    return [a.lower() for a in re.findall(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+", sender or "")]


def _sender_matches(wanted: str, addresses: list[str]) -> bool:
    wanted = wanted.lower()
    for address in addresses:
        if "@" in wanted.lstrip("@"):
            if address == wanted:
                return True
            continue
        domain = address.rsplit("@", 1)[1]
        bare = wanted.lstrip("@")
        if domain == bare or domain.endswith("." + bare):
            return True
    return False


def rule_scores(evidence: dict[str, Evidence], scale: float) -> tuple[float, dict[str, float]]:
    """(strength s of the strongest class's evidence, each class's share q of all points)."""
    points = {code: e.points for code, e in evidence.items()}
    total = sum(points.values())
    if total <= 0:
        return 0.0, {}
    strength = 1.0 - math.exp(-max(points.values()) / scale)
    return strength, {code: p / total for code, p in points.items()}


# --- the model --------------------------------------------------------------------------------


@dataclass
class TrainedModel:
    pipeline: Pipeline  # TfidfVectorizer -> CalibratedClassifierCV(LinearSVC)
    classes: list[str]
    trained_at: datetime
    example_count: int
    version: int = 0  # set by save_model
    left_out: list[str] = field(default_factory=list)  # classes with too few examples
    feature_names: np.ndarray | None = field(default=None, repr=False)  # column -> term
    sklearn_version: str = sklearn.__version__


def train(examples: list[tuple[str, str]]) -> TrainedModel:
    """Fit the model on (text, class_code) pairs; classes with one example are left out."""
    counts = Counter(code for _, code in examples)
    kept = {code for code, n in counts.items() if n >= MIN_EXAMPLES_PER_CLASS}
    if len(kept) < 2:
        raise InvalidInputError(
            f"training needs at least two classes with {MIN_EXAMPLES_PER_CLASS} or more "
            f"examples each (got {len(examples)} examples in {len(counts)} classes)"
        )
    texts = [text[:MAX_TEXT_CHARS] for text, code in examples if code in kept]
    labels = [code for _, code in examples if code in kept]
    folds = min(MAX_CALIBRATION_FOLDS, min(counts[code] for code in kept))
    pipeline = _pipeline(len(texts), folds)
    with warnings.catch_warnings():
        # small corpora: a calibration fold can hold more classes than half its examples
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        pipeline.fit(texts, labels)
    calibrated: CalibratedClassifierCV = pipeline.named_steps["clf"]
    classes = [str(c) for c in calibrated.classes_]
    return TrainedModel(
        pipeline=pipeline,
        classes=classes,
        trained_at=datetime.now(UTC),
        example_count=len(texts),
        left_out=sorted(set(counts) - kept),
        feature_names=pipeline.named_steps["tfidf"].get_feature_names_out(),
    )


def _pipeline(example_count: int, folds: int) -> Pipeline:
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=2 if example_count >= 50 else 1,
        max_df=0.9 if example_count >= 50 else 1.0,
        max_features=150_000,
        stop_words="english",
        strip_accents="unicode",
        token_pattern=r"(?u)\b[^\W\d_]\w+\b",  # words that start with a letter
        dtype=np.float32,
    )
    svm = LinearSVC(C=0.5, class_weight="balanced")
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    # ensemble=False: the sigmoid is fitted on out-of-fold scores, and the SVM used for
    # predictions is fitted on every example (better than averaging fold models on small data)
    calibrated = CalibratedClassifierCV(svm, method="sigmoid", cv=cv, ensemble=False)
    return Pipeline([("tfidf", vectorizer), ("clf", calibrated)])


def _class_weights(model: TrainedModel, class_index: int) -> np.ndarray:
    """The SVM's weight for every feature towards one class (averaged over fold SVMs, if any)."""
    rows = []
    for fitted in model.pipeline.named_steps["clf"].calibrated_classifiers_:
        coef = fitted.estimator.coef_
        if coef.shape[0] == 1:  # two classes: one row, positive towards the second
            rows.append(coef[0] if class_index == 1 else -coef[0])
        else:
            rows.append(coef[class_index])
    return np.mean(rows, axis=0)


@dataclass(frozen=True)
class ModelView:
    """The model's opinion of one document: probabilities, and the features to explain them."""

    model: TrainedModel
    probabilities: dict[str, float]
    features: Any  # the document's tf-idf row (scipy CSR)

    def terms(self, class_code: str) -> list[str]:
        """The terms that pushed the document most towards `class_code`."""
        if class_code not in self.probabilities:
            return []
        return _top_terms(self.model, self.model.classes.index(class_code), self.features)


def model_view(model: TrainedModel, text: str) -> ModelView:
    """Calibrated probabilities of every class the model knows, for one document."""
    features = model.pipeline.named_steps["tfidf"].transform([text[:MAX_TEXT_CHARS]]).tocsr()
    row = calibrated_probabilities(model.pipeline.named_steps["clf"], features)[0]
    probabilities = {code: float(row[i]) for i, code in enumerate(model.classes)}
    return ModelView(model, probabilities, features)


def calibrated_probabilities(calibrated: CalibratedClassifierCV, features: Any) -> np.ndarray:
    """`calibrated.predict_proba(features)`, computed directly in the usual case.

    With one SVM, sigmoid calibration and three or more classes, sklearn's predict_proba spends
    most of its time checking its input once per class (about 6 ms a document for 30 classes);
    the same arithmetic done here takes a tenth of that: each class's score d goes through its
    sigmoid 1 / (1 + exp(a * d + b)) and the results are normalised to sum to 1. Anything else
    (and any future change in sklearn's fitted attributes) falls back to predict_proba; a test
    checks that both agree.
    """
    fitted = calibrated.calibrated_classifiers_
    one = fitted[0]
    usable = (
        len(fitted) == 1
        and one.method == "sigmoid"
        and len(calibrated.classes_) >= 3
        and list(one.estimator.classes_) == list(calibrated.classes_)
        and all(hasattr(c, "a_") and hasattr(c, "b_") for c in one.calibrators)
    )
    if not usable:
        return np.asarray(calibrated.predict_proba(features))
    scores = one.estimator.decision_function(features)
    slopes = np.array([c.a_ for c in one.calibrators])
    offsets = np.array([c.b_ for c in one.calibrators])
    probabilities = expit(-(slopes * scores + offsets))
    totals = probabilities.sum(axis=1, keepdims=True)
    uniform = np.full_like(probabilities, 1.0 / probabilities.shape[1])
    return np.divide(probabilities, totals, out=uniform, where=totals != 0)


def _top_terms(model: TrainedModel, class_index: int, row: Any) -> list[str]:
    """Terms of the document with the largest weight x tf-idf towards the class."""
    if model.feature_names is None or row.nnz == 0:
        return []
    columns, values = row.indices, row.data
    contributions = _class_weights(model, class_index)[columns] * values
    best = np.argsort(-contributions)[:TOP_TERMS]
    return [str(model.feature_names[columns[i]]) for i in best if contributions[i] > 0]


# --- suggestions ------------------------------------------------------------------------------


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


# --- saving and loading -----------------------------------------------------------------------


def save_model(model: TrainedModel, directory: Path) -> Path:
    """Write classifier-v{N}.joblib (the next N) atomically, then point `current` at it.

    Sets `model.version` to N. The version's name is reserved first (an exclusive create), so
    two trainers never write the same file; the content goes to a temporary file that is
    fsynced and renamed over the reservation; only then is the pointer swapped, the same way.
    Readers therefore see the old model or the new one, never half of one. The newest
    KEEP_VERSIONS files are kept.
    """
    directory.mkdir(parents=True, exist_ok=True)
    version, target = _reserve_version(directory)
    model.version = version
    _atomic_write(directory, target.name, lambda handle: joblib.dump(model, handle))
    _atomic_write(directory, POINTER, lambda handle: handle.write(f"{target.name}\n".encode()))
    _prune(directory, keep=target.name)
    return target


def _versions(directory: Path) -> list[tuple[int, Path]]:
    found = []
    for path in directory.iterdir():
        match = _MODEL_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def _reserve_version(directory: Path) -> tuple[int, Path]:
    existing = _versions(directory)
    version = existing[-1][0] + 1 if existing else 1
    while True:
        target = directory / f"classifier-v{version}.joblib"
        try:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640))
            return version, target
        except FileExistsError:
            version += 1


def _atomic_write(directory: Path, name: str, write: Any) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, directory / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform lets a directory be opened
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _prune(directory: Path, keep: str) -> None:
    versions = _versions(directory)
    for _, path in versions[: max(0, len(versions) - KEEP_VERSIONS)]:
        if path.name != keep:
            with contextlib.suppress(OSError):
                path.unlink()


def current_version_name(directory: Path) -> str | None:
    """The file name the `current` pointer names, or None when no model was saved yet."""
    try:
        name = (directory / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not _MODEL_NAME.match(name):
        raise InvalidInputError(f"{directory / POINTER}: does not name a classifier file")
    return name


def load_current(directory: Path) -> TrainedModel | None:
    """The model `current` points at, or None when no model has been saved.

    Only load models from the service's own data directory: joblib files are pickles.
    """
    name = current_version_name(directory)
    if name is None:
        return None
    try:
        model = joblib.load(directory / name)
    except FileNotFoundError:
        raise InvalidInputError(f"{directory}: the current model {name} is missing") from None
    except Exception as exc:  # a truncated or foreign file: say which one
        raise InvalidInputError(f"{directory / name}: cannot load the model ({exc})") from None
    if not isinstance(model, TrainedModel):
        raise InvalidInputError(f"{directory / name}: is not a trained classifier")
    return model
