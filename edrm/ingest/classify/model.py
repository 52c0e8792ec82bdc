"""The classifier model: TF-IDF over word 1-2-grams and a calibrated linear SVM.

TF-IDF over word 1-2-grams (sublinear tf) and a linear SVM, wrapped in ``CalibratedClassifierCV``
(sigmoid) so that its scores are probabilities. The sigmoid is fitted on out-of-fold SVM scores
from ``cv = min(3, smallest class)`` stratified folds (``ensemble=False``), and the SVM that makes
predictions is fitted on every example. A class needs at least two examples to be calibrated; a
class with one example is left out of the model (listed in ``TrainedModel.left_out``).

The model explains itself: the terms that pushed a document towards a class are the SVM's
coefficient x the document's tf-idf value, largest first. Saving and loading is
`edrm.ingest.classify.model_files`.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from edrm.errors import InvalidInputError
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
    import numpy as np
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

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
    best = np.argsort(-contributions)[:TOP_TERMS]
    return [str(model.feature_names[columns[i]]) for i in best if contributions[i] > 0]
