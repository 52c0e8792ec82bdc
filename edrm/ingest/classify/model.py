"""The classifier model: TF-IDF over words and characters, and a calibrated linear SVM.

Features: TF-IDF over word 1-2-grams and over character 3-5-grams within words (both sublinear
tf; the characters read the first `features.CHAR_SAMPLE` characters), side by side. Character
n-grams carry short texts (an e-mail of two lines, a subject) and odd spellings, codes and
inflections that whole words miss. What the model reads is `features.model_text`: for e-mail,
the body without quoted text, plus the subject, sender, recipients count and attachment names.

A class-balanced linear SVM (C=1, each class weighted by the inverse of its size), wrapped in
``CalibratedClassifierCV`` (sigmoid) so that its scores are probabilities. The sigmoid is fitted
on out-of-fold SVM scores from ``cv = min(3, smallest class)`` stratified folds
(``ensemble=False``), and the SVM that makes predictions is fitted on every example. A class
needs at least two examples to be calibrated; a class with one example is left out of the model
(listed in ``TrainedModel.left_out``).

The auto-file threshold is learnt too (`auto_threshold`): the same out-of-fold scores, through
the fitted sigmoids, are held-out probabilities for every training example; the threshold is the
lowest top confidence at which the examples at or above it were right at least
`target_precision` of the time (0.95 by default), counting the Wilson lower bound, so a small
training set needs a clear margin. With fewer than MIN_THRESHOLD_EXAMPLES examples there is no
threshold learnt (the configured default applies). The training service
(`edrm.ingest.training`) learns it from the combined confidences, rules included, of the
documents that arrived on their own (not attachments).

The model explains itself: the terms that pushed a document towards a class are the SVM's
coefficient x the document's tf-idf value, largest first. Saving and loading is
`edrm.ingest.classify.model_files`.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from edrm.errors import InvalidInputError
from edrm.ingest.classify.features import MARK, char_sample
from edrm.ingest.classify.rules import MAX_TEXT_CHARS

# numpy, scipy and scikit-learn are imported inside the functions that use them (heavy: about
# a second of start-up), so that importing this module (the pipeline, triage, `edrm ingest`
# with no trained model yet) does not load them. Unpickling a saved model loads them anyway.
if TYPE_CHECKING:
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import Pipeline

MIN_EXAMPLES_PER_CLASS = 2
MAX_CALIBRATION_FOLDS = 3
TOP_TERMS = 4
MIN_THRESHOLD_EXAMPLES = 200  # fewer examples than this: no auto-file threshold is learnt
DEFAULT_TARGET_PRECISION = 0.95
INPUT_VERSION = 1  # 0: models trained on the bare text; 1: on features.model_text


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


@dataclass
class TrainedModel:
    pipeline: Pipeline  # TfidfVectorizer -> CalibratedClassifierCV(LinearSVC)
    classes: list[str]
    trained_at: datetime
    example_count: int
    version: int = 0  # set by save_model
    left_out: list[str] = field(default_factory=list)  # classes with too few examples
    feature_names: np.ndarray | None = field(default=None, repr=False)  # column -> term
    sklearn_version: str = field(default_factory=_sklearn_version)
    # issue 15 part 4 (models saved before have none of these: see `input_version_of`)
    input_version: int = INPUT_VERSION
    auto_threshold: float | None = None  # learnt: held-out precision >= target_precision
    target_precision: float | None = None
    held_out_precision: float | None = None  # of the held-out examples at or above the threshold
    held_out_coverage: float | None = None  # their share of all held-out examples


def input_version_of(model: object) -> int:
    """What the model was trained on (0 for models saved before issue 15 part 4)."""
    return int(getattr(model, "input_version", 0))


def learnt_threshold(model: object | None) -> float | None:
    """The model's learnt auto-file threshold, if it has one."""
    return getattr(model, "auto_threshold", None) if model is not None else None


def train(
    examples: list[tuple[str, str]],
    *,
    target_precision: float = DEFAULT_TARGET_PRECISION,
    groups: list[str] | None = None,
) -> TrainedModel:
    """Fit the model on (text, class_code) pairs; classes with one example are left out.

    The texts are what `features.model_text` gives. `target_precision` (0 < t <= 1, or 0 for
    none) is the held-out precision the learnt auto-file threshold must reach. `groups` (one
    per example): examples of one group are never split between calibration folds, e.g. an
    e-mail and its attachments, whose names the e-mail's features repeat; otherwise the held-out
    scores would be too sure of themselves.
    """
    import numpy as np

    counts = Counter(code for _, code in examples)
    kept = {code for code, n in counts.items() if n >= MIN_EXAMPLES_PER_CLASS}
    if len(kept) < 2:
        raise InvalidInputError(
            f"training needs at least two classes with {MIN_EXAMPLES_PER_CLASS} or more "
            f"examples each (got {len(examples)} examples in {len(counts)} classes)"
        )
    texts = [text[:MAX_TEXT_CHARS] for text, code in examples if code in kept]
    labels = [code for _, code in examples if code in kept]
    kept_groups = None
    if groups is not None:
        kept_groups = [g for g, (_, code) in zip(groups, examples, strict=True) if code in kept]
    folds = min(MAX_CALIBRATION_FOLDS, min(counts[code] for code in kept))
    pipeline = _pipeline(len(texts), _splits(labels, folds, kept_groups))
    with warnings.catch_warnings():
        # small corpora: a calibration fold can hold more classes than half its examples
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        pipeline.fit(texts, labels)
    calibrated: CalibratedClassifierCV = pipeline.named_steps["clf"]
    calibrated.cv = folds  # the fold indices need not be saved with the model
    classes = [str(c) for c in calibrated.classes_]
    model = TrainedModel(
        pipeline=pipeline,
        classes=classes,
        trained_at=datetime.now(UTC),
        example_count=len(texts),
        left_out=sorted(set(counts) - kept),
        feature_names=pipeline.named_steps["tfidf"].get_feature_names_out(),
    )
    if target_precision > 0 and len(texts) >= MIN_THRESHOLD_EXAMPLES:
        probabilities = held_out_probabilities(model, texts, labels, kept_groups)
        right = np.array(model.classes)[probabilities.argmax(axis=1)] == np.array(labels)
        set_threshold(model, probabilities.max(axis=1), right, target_precision)
    return model


def _splits(labels: list[str], folds: int, groups: list[str] | None) -> Any:
    """The calibration folds: stratified, and with `groups` (when any group has more than one
    example) never splitting a group, as long as every class has a group for each fold (else
    a fold would lack the class, which the calibration cannot take: plain stratified folds)."""
    import numpy as np
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    plain = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    if groups is None or len(set(groups)) == len(groups):
        return plain
    groups_per_class: dict[str, set[str]] = {}
    for label, group in zip(labels, groups, strict=True):
        groups_per_class.setdefault(label, set()).add(group)
    if min(len(found) for found in groups_per_class.values()) < folds:
        return plain
    grouped = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    return list(grouped.split(np.zeros(len(labels)), labels, groups))


def held_out_probabilities(
    model: TrainedModel, texts: list[str], labels: list[str], groups: list[str] | None = None
) -> np.ndarray:
    """Each training example's probabilities (columns: `model.classes`) from an SVM that did not
    see it: the out-of-fold scores the calibration was fitted on (same folds, same features)
    through the fitted sigmoids. Costs one SVM fit per fold. `texts` and `labels` must be the
    examples `train` kept, in order (classes left out excluded), and `groups` as it was given."""
    import numpy as np
    from scipy.special import expit
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_predict

    calibrated: CalibratedClassifierCV = model.pipeline.named_steps["clf"]
    features = model.pipeline.named_steps["tfidf"].transform([t[:MAX_TEXT_CHARS] for t in texts])
    folds = min(MAX_CALIBRATION_FOLDS, min(Counter(labels).values()))
    cv = _splits(labels, folds, groups)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The number of unique classes is greater")
        scores = cross_val_predict(
            clone(calibrated.estimator), features, labels, cv=cv, method="decision_function"
        )
    one = calibrated.calibrated_classifiers_[0]
    if scores.ndim == 1:  # two classes: one score, positive towards the second
        p = expit(-(one.calibrators[0].a_ * scores + one.calibrators[0].b_))
        return np.column_stack([1 - p, p])
    slopes = np.array([c.a_ for c in one.calibrators])
    offsets = np.array([c.b_ for c in one.calibrators])
    raw = expit(-(slopes * scores + offsets))
    return np.asarray(raw / np.maximum(raw.sum(axis=1, keepdims=True), 1e-12))


def set_threshold(
    model: TrainedModel, confidences: np.ndarray, right: np.ndarray, target: float
) -> None:
    """Learn the model's auto-file threshold from held-out (confidence, was it right) pairs."""
    threshold, precision, coverage = threshold_for_precision(confidences, right, target)
    model.auto_threshold = threshold
    model.target_precision = target
    model.held_out_precision = precision
    model.held_out_coverage = coverage


def precision_lower_bound(right: float, total: int, z: float = 1.645) -> float:
    """The Wilson score lower bound (one-sided 95% by default) of a precision right/total."""
    if total <= 0:
        return 0.0
    share = right / total
    centre = share + z * z / (2 * total)
    spread = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    return (centre - spread) / (1 + z * z / total)


def threshold_for_precision(
    confidences: np.ndarray, right: np.ndarray, target: float
) -> tuple[float, float | None, float]:
    """(threshold, precision at it, coverage): the lowest confidence t such that the examples
    with confidence >= t are right at least `target` of the time, and not by luck: the Wilson
    lower bound of their precision reaches `target` (so a few hundred examples need a precision
    well above it, a few thousand barely). When no t qualifies, a threshold above every
    confidence (nothing is filed automatically)."""
    import numpy as np

    order = np.argsort(-confidences, kind="stable")
    ranked, hits = confidences[order], np.cumsum(right[order].astype(float))
    best = None
    for i in range(len(ranked)):
        if i < len(ranked) - 1 and ranked[i + 1] >= ranked[i]:
            continue  # only cut between different confidences: ties are filed alike
        if precision_lower_bound(float(hits[i]), i + 1) >= target:
            best = i
    if best is None:
        return 1.0 + 1e-9, None, 0.0
    return float(ranked[best]), float(hits[best] / (best + 1)), (best + 1) / len(ranked)


def _pipeline(example_count: int, cv: Any) -> Pipeline:
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    large = example_count >= 50
    words = TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=1,
        max_df=0.9 if large else 1.0,
        max_features=300_000,
        strip_accents="unicode",
        token_pattern=r"(?u)\b[^\W_]\w+\b",  # two or more characters, not starting with _
        dtype=np.float32,
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        sublinear_tf=True,
        min_df=2 if large else 1,
        max_df=0.9 if large else 1.0,
        max_features=200_000,
        preprocessor=char_sample,
        dtype=np.float32,
    )
    features = FeatureUnion([("words", words), ("chars", chars)])
    svm = LinearSVC(C=1.0, class_weight="balanced")
    # ensemble=False: the sigmoid is fitted on out-of-fold scores, and the SVM used for
    # predictions is fitted on every example (better than averaging fold models on small data)
    calibrated = CalibratedClassifierCV(svm, method="sigmoid", cv=cv, ensemble=False)
    return Pipeline([("tfidf", features), ("clf", calibrated)])


def _class_weights(model: TrainedModel, class_index: int) -> np.ndarray:
    """The SVM's weight for every feature towards one class (averaged over fold SVMs, if any)."""
    import numpy as np

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
    import numpy as np
    from scipy.special import expit

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
    import numpy as np

    if model.feature_names is None or row.nnz == 0:
        return []
    columns, values = row.indices, row.data
    contributions = _class_weights(model, class_index)[columns] * values
    terms: list[str] = []
    for i in np.argsort(-contributions):
        if contributions[i] <= 0 or len(terms) == TOP_TERMS:
            break
        name = str(model.feature_names[columns[i]])
        term = name.removeprefix("words__")
        if name.startswith("chars__") or term.startswith(MARK):
            continue  # character n-grams and marker words explain nothing to a person
        terms.append(term)
    return terms
