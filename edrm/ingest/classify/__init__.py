"""The classify step: suggest file-plan classes for a document, each with a confidence and reason.

Two sources of evidence:

* **Rules** (config/classification.toml): per class, keywords, phrases, regular expressions (run
  with a time limit), e-mail senders and file-name globs. Each distinct match is worth points
  (keyword 1; phrase or file name 2; pattern or sender 3). The strongest class's points give the
  rules' *strength* ``s = 1 - exp(-points / evidence_scale)``, and every matching class gets its
  *share* ``q = points / all classes' points``.
* **Model**: TF-IDF over word 1-2-grams and character 3-5-grams (sublinear tf) and a
  class-balanced linear SVM, wrapped in ``CalibratedClassifierCV`` (sigmoid) so that its scores
  are probabilities ``p``. It reads `features.model_text`: the text and file name and, for
  e-mail, the body without quoted text, the subject, sender, recipients count and attachment
  names.

Only classes that exist in the file plan and that the filer may file into are weighed: rules for
any other class are dropped before the combination (so they take no share), and only those
classes are suggested for the filer's decision (the suggestions kept for every reader weigh
every class of the plan, and each reader is offered those they may file into).

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
* a confident model (top probability at least ``confident_model``, default 0.8) is not
  overridden without evidence: rules for another class count only when their own strength is
  at least ``override_strength`` (default 0.85, e.g. three keywords and a pattern).

Auto-filing: at or above the threshold the trainer learnt (the lowest confidence at which
held-out training documents, rules and model combined, were right at least
``classifier_target_precision`` of the time, by a Wilson lower bound), or the configured default
when no model learnt one; a class's own threshold in the rules file can only raise it.
Everything else goes to the filer's triage list with its suggestions.

The reason names the rule evidence that matched and the model's top contributing terms for that
class (the SVM's coefficient x the document's tf-idf value, largest first).

Calibration: the sigmoid is fitted on out-of-fold SVM scores from ``cv = min(3, smallest class)``
stratified folds (``ensemble=False``), and the SVM that makes predictions is fitted on every
example. Small classes: a class needs at least two examples to be calibrated; a class with one
example is left out of the model (listed in ``TrainedModel.left_out``) and for it the rules decide
(it is given the model's top probability in the combination) until a second document is filed.

Modules: `rules` (the rules file, and what the rules find in a document), `features` (what the
model reads), `model` (training, the learnt threshold and the model's view of a document),
`model_files` (saving and loading models), `compact` (the model's numpy-only form, what ingest
classifies with: no scikit-learn in the process), `suggestions` (the combination, the reasons and
the auto-file threshold).
"""

# Model files saved before classify became a package name the class
# `edrm.ingest.classify.TrainedModel` (pickle looks a class up by its module path), so that
# name must still resolve for them to load.
from edrm.ingest.classify.model import TrainedModel

__all__ = ["TrainedModel"]
