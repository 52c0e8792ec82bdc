"""The classifier in a form numpy alone can run: classifier-v{N}.npz beside classifier-v{N}.joblib.

Loading the joblib model imports scikit-learn and scipy (about half a second of CPU, more on a
busy machine) into every process that classifies, `edrm ingest` of one file included. What
inference needs of the fitted pipeline is small: each vectoriser's vocabulary, idf weights and
settings, the SVM's coefficients and intercepts, and each class's sigmoid (a, b). `compact_arrays`
takes those out of a trained model (when its form is the one `model._pipeline` builds; anything
else gives None and the joblib file is used), and `CompactModel` redoes the arithmetic with
numpy: the same tokenisation and n-grams as scikit-learn's TfidfVectorizer (word and char_wb),
sublinear tf, idf and l2 norm in the vectoriser's dtype, the SVM's scores, the sigmoids and their
normalisation, as `model.calibrated_probabilities` does. A test checks that both give the same
probabilities (to 1e-9) and the same explaining terms.

The file is plain arrays (`numpy.load(allow_pickle=False)`): no code runs when it is read.
Writing it is `model_files.save_model` (atomically, before the `current` pointer moves).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edrm.errors import InvalidInputError
from edrm.ingest.classify.features import MARK, char_sample
from edrm.ingest.classify.rules import MAX_TEXT_CHARS

if TYPE_CHECKING:
    import numpy as np

    from edrm.ingest.classify.model import TrainedModel

FORMAT = 1
TOP_TERMS = 4  # as model.TOP_TERMS
_WHITE_SPACES = re.compile(r"\s\s+")  # as TfidfVectorizer's char_wb analyser


def compact_arrays(model: TrainedModel) -> dict[str, Any] | None:
    """The arrays of `model`'s compact file, or None when its pipeline is not of the known form."""
    import numpy as np

    try:
        union = model.pipeline.named_steps["tfidf"]
        calibrated = model.pipeline.named_steps["clf"]
        parts = dict(union.transformer_list)
        words, chars = parts["words"], parts["chars"]
        fitted = calibrated.calibrated_classifiers_
    except (AttributeError, KeyError, TypeError):
        return None
    if [name for name, _ in union.transformer_list] != ["words", "chars"]:
        return None
    if union.transformer_weights is not None or len(fitted) != 1:
        return None
    one = fitted[0]
    if one.method != "sigmoid" or not all(hasattr(c, "a_") for c in one.calibrators):
        return None
    if not (_plain_words(words) and _plain_chars(chars)):
        return None
    classes = [str(c) for c in calibrated.classes_]
    if [str(c) for c in one.estimator.classes_] != classes:
        return None
    coef = np.asarray(one.estimator.coef_, dtype=np.float64)
    if coef.shape[0] != (1 if len(classes) == 2 else len(classes)):
        return None
    if len(one.calibrators) != coef.shape[0]:
        return None
    meta = {
        "format": FORMAT,
        "classes": classes,
        "version": int(model.version),
        "input_version": int(getattr(model, "input_version", 0)),
        "auto_threshold": getattr(model, "auto_threshold", None),
        "example_count": int(model.example_count),
        "left_out": list(model.left_out),
        "trained_at": model.trained_at.isoformat(),
        "words": {
            "ngram_range": list(words.ngram_range),
            "token_pattern": words.token_pattern,
            "strip_accents": words.strip_accents,
            "lowercase": bool(words.lowercase),
            "dtype": np.dtype(words.dtype).name,
        },
        "chars": {"ngram_range": list(chars.ngram_range), "dtype": np.dtype(chars.dtype).name},
    }
    return {
        "meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        "word_terms": _terms_blob(words.vocabulary_),
        "word_idf": np.asarray(words.idf_),
        "char_terms": _terms_blob(chars.vocabulary_),
        "char_idf": np.asarray(chars.idf_),
        "weights": np.ascontiguousarray(coef.T),  # feature -> one column per SVM row
        "intercepts": np.asarray(one.estimator.intercept_, dtype=np.float64),
        "slopes": np.array([c.a_ for c in one.calibrators], dtype=np.float64),
        "offsets": np.array([c.b_ for c in one.calibrators], dtype=np.float64),
    }


def _plain_words(vectoriser: Any) -> bool:
    return bool(
        vectoriser.analyzer == "word"
        and vectoriser.preprocessor is None
        and vectoriser.tokenizer is None
        and vectoriser.stop_words is None
        and vectoriser.strip_accents in (None, "unicode")
        and vectoriser.use_idf
        and vectoriser.sublinear_tf
        and vectoriser.norm == "l2"
        and not vectoriser.binary
        and vectoriser.input == "content"
    )


def _plain_chars(vectoriser: Any) -> bool:
    return bool(
        vectoriser.analyzer == "char_wb"
        and vectoriser.preprocessor is char_sample
        and vectoriser.use_idf
        and vectoriser.sublinear_tf
        and vectoriser.norm == "l2"
        and not vectoriser.binary
        and vectoriser.input == "content"
    )


def _terms_blob(vocabulary: dict[str, int]) -> np.ndarray:
    """The terms in column order, one a line (no term holds a line break: both analysers split
    on white space), as UTF-8 bytes."""
    import numpy as np

    terms = [""] * len(vocabulary)
    for term, column in vocabulary.items():
        if "\n" in term:
            raise ValueError("a vocabulary term holds a line break")
        terms[column] = term
    return np.frombuffer("\n".join(terms).encode(), dtype=np.uint8)


def _vocabulary(blob: np.ndarray) -> dict[str, int]:
    text = blob.tobytes().decode()
    return {term: column for column, term in enumerate(text.split("\n"))} if text else {}


def _strip_accents(text: str) -> str:
    """scikit-learn's strip_accents_unicode."""
    try:
        text.encode("ASCII", errors="strict")
        return text
    except UnicodeEncodeError:
        normalized = unicodedata.normalize("NFKD", text)
        return "".join(c for c in normalized if not unicodedata.combining(c))


@dataclass(frozen=True)
class CompactView:
    """The compact model's opinion of one document (as `model.ModelView`)."""

    model: CompactModel
    probabilities: dict[str, float]
    columns: Any  # the document's non-zero feature columns (ascending)
    values: Any  # and their tf-idf values

    def terms(self, class_code: str) -> list[str]:
        """The terms that pushed the document most towards `class_code`."""
        if class_code not in self.probabilities:
            return []
        return self.model.top_terms(self.model.classes.index(class_code), self)


@dataclass
class CompactModel:
    """A trained classifier read from its .npz file: see the module docstring."""

    classes: list[str]
    version: int
    input_version: int
    auto_threshold: float | None
    example_count: int
    left_out: list[str]
    trained_at: str
    arrays: dict[str, Any] = field(repr=False)
    settings: dict[str, Any] = field(repr=False)
    word_vocabulary: dict[str, int] = field(repr=False)
    char_vocabulary: dict[str, int] = field(repr=False)

    def view(self, text: str) -> CompactView:
        """Calibrated probabilities of every class, for one document (`model.model_view`)."""
        import numpy as np

        text = text[:MAX_TEXT_CHARS]
        word_cols, word_vals = self._tfidf(
            self._word_terms(text), self.word_vocabulary, self.arrays["word_idf"], 0, "words"
        )
        char_cols, char_vals = self._tfidf(
            self._char_terms(char_sample(text)),
            self.char_vocabulary,
            self.arrays["char_idf"],
            len(self.word_vocabulary),
            "chars",
        )
        columns = np.concatenate([word_cols, char_cols])
        values = np.concatenate([word_vals, char_vals])
        # as scipy's sparse x dense product: the float32 values in float64
        scores = values.astype(np.float64) @ self.arrays["weights"][columns]
        scores = scores + self.arrays["intercepts"]
        calibrated = 1.0 / (1.0 + np.exp(self.arrays["slopes"] * scores + self.arrays["offsets"]))
        if len(self.classes) == 2:
            row = np.array([1.0 - calibrated[0], calibrated[0]])
        else:
            total = calibrated.sum()
            uniform = np.full_like(calibrated, 1 / len(calibrated))
            row = calibrated / total if total != 0 else uniform
        probabilities = {code: float(row[i]) for i, code in enumerate(self.classes)}
        return CompactView(self, probabilities, columns, values)

    def _word_terms(self, text: str) -> list[str]:
        settings = self.settings["words"]
        if settings["lowercase"]:
            text = text.lower()
        if settings["strip_accents"] == "unicode":
            text = _strip_accents(text)
        tokens = re.findall(settings["token_pattern"], text)
        low, high = settings["ngram_range"]
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high + 1, len(tokens) + 1)):
            grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        return grams

    def _char_terms(self, text: str) -> list[str]:
        low, high = self.settings["chars"]["ngram_range"]
        grams = []
        for word in _WHITE_SPACES.sub(" ", text).split():
            padded = f" {word} "
            for n in range(low, high + 1):
                offset = 0
                grams.append(padded[:n])
                while offset + n < len(padded):
                    offset += 1
                    grams.append(padded[offset : offset + n])
                if offset == 0:  # a short word counts once
                    break
        return grams

    def _tfidf(
        self, grams: list[str], vocabulary: dict[str, int], idf: Any, start: int, part: str
    ) -> tuple[Any, Any]:
        """One vectoriser's row: known terms' counts -> 1 + log, x idf, / l2 norm (in the
        vectoriser's dtype; the norm summed in float64 in column order, as scikit-learn does)."""
        import numpy as np

        counts = Counter(vocabulary[g] for g in grams if g in vocabulary)
        dtype = np.dtype(self.settings[part]["dtype"])
        columns = np.array(sorted(counts), dtype=np.int64)
        values = np.array([counts[c] for c in columns], dtype=dtype)
        if len(columns):
            np.log(values, values)
            values += dtype.type(1.0)
            values *= idf[columns]
            squares = (values * values).astype(np.float64)
            total = float(np.cumsum(squares)[-1])  # summed in order, as scikit-learn's loop
            if total != 0.0:
                values = (values.astype(np.float64) / math.sqrt(total)).astype(dtype)
        return columns + start, values

    def top_terms(self, class_index: int, view: CompactView) -> list[str]:
        """Terms of the document with the largest weight x tf-idf towards the class."""
        import numpy as np

        if len(view.columns) == 0:
            return []
        weights = self.arrays["weights"]
        if weights.shape[1] == 1:  # two classes: one row, positive towards the second
            towards = weights[:, 0] if class_index == 1 else -weights[:, 0]
        else:
            towards = weights[:, class_index]
        contributions = towards[view.columns] * view.values
        names = self._names()
        terms: list[str] = []
        for i in np.argsort(-contributions):
            if contributions[i] <= 0 or len(terms) == TOP_TERMS:
                break
            column = int(view.columns[i])
            if column >= len(names):
                continue  # character n-grams explain nothing to a person
            term = names[column]
            if term.startswith(MARK):
                continue  # nor do marker words
            terms.append(term)
        return terms

    def _names(self) -> list[str]:
        names = self.__dict__.get("_word_names")
        if names is None:
            names = [""] * len(self.word_vocabulary)
            for term, column in self.word_vocabulary.items():
                names[column] = term
            self.__dict__["_word_names"] = names
        return names


def load_compact(path: Path) -> CompactModel:
    """Read a compact model file (numpy only; no pickles)."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}, not {FORMAT}")
        words, chars = arrays.pop("word_terms"), arrays.pop("char_terms")
    except FileNotFoundError:
        raise
    except Exception as exc:  # a truncated or foreign file: say which one
        raise InvalidInputError(f"{path}: cannot load the compact model ({exc})") from None
    return CompactModel(
        classes=list(meta["classes"]),
        version=int(meta["version"]),
        input_version=int(meta["input_version"]),
        auto_threshold=meta["auto_threshold"],
        example_count=int(meta["example_count"]),
        left_out=list(meta["left_out"]),
        trained_at=str(meta["trained_at"]),
        arrays=arrays,
        settings={"words": meta["words"], "chars": meta["chars"]},
        word_vocabulary=_vocabulary(words),
        char_vocabulary=_vocabulary(chars),
    )
