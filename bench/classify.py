"""Classification benchmark: rules only, model only and both combined. Prints figures; asserts
nothing.

    .venv/bin/python bench/classify.py [PATH] [--count N] [--seed S] [--test-share F]
                                       [--rules FILE]

Without PATH: the generated demo corpus (`generate_documents(seed, count)`), each document
labelled with its transaction class (a folder code is mapped to the class it sits in).
With PATH: a folder-per-class corpus; each sub-folder's name is the class code and its `.txt`
files are the documents.

The documents are split per class (stratified; a fixed seed): a share goes to the test set, the
rest trains the model; a class with a single document only trains. For each approach it reports
accuracy and macro-F1 of the top suggestion, and how many test documents would be filed
automatically (top confidence at or above the class's threshold; default from
config/ingest.toml) with the accuracy of those.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edrm.demo.corpus import demo_folders, generate_documents  # noqa: E402
from edrm.fileplan.io import read_file  # noqa: E402
from edrm.ingest.classify.features import model_text  # noqa: E402
from edrm.ingest.classify.model import TrainedModel, learnt_threshold, train  # noqa: E402
from edrm.ingest.classify.rules import RuleSet, load_rules  # noqa: E402
from edrm.ingest.classify.suggestions import suggest, threshold_for  # noqa: E402
from edrm.ingest.types import load_ingest_config  # noqa: E402
from edrm.settings import DEFAULT_CONFIG_DIR  # noqa: E402


@dataclass(frozen=True)
class Labelled:
    text: str
    filename: str
    sender: str
    class_code: str


@dataclass(frozen=True)
class Result:
    name: str
    accuracy: float
    macro_f1: float
    auto_filed: int
    auto_correct: int
    seconds_per_doc: float


def sender_from_text(text: str) -> str:
    """The From: line of an e-mail printed as text (the pipeline takes it from the headers)."""
    match = re.search(r"^From:\s*(.+)$", text[:3000], re.MULTILINE)
    return match.group(1).strip() if match else ""


def plain_text(raw: bytes, mime: str) -> str:
    text = raw.decode("utf-8", errors="replace")
    if mime == "text/html":
        return BeautifulSoup(text, "html.parser").get_text("\n")
    return text


def load_demo(seed: int, count: int) -> list[Labelled]:
    parents = {folder.code: folder.parent_code for folder in demo_folders()}
    docs = []
    for doc in generate_documents(seed=seed, count=count):
        text = plain_text(doc.content, doc.mime)
        code = parents.get(doc.into_code, doc.into_code)
        docs.append(Labelled(text, doc.filename, sender_from_text(text), code))
    return docs


def load_folder(path: Path) -> list[Labelled]:
    docs = []
    for folder in sorted(p for p in path.iterdir() if p.is_dir()):
        for file in sorted(folder.glob("*.txt")):
            text = file.read_text(encoding="utf-8", errors="replace")
            docs.append(Labelled(text, file.name, sender_from_text(text), folder.name))
    return docs


def stratified_split(
    docs: list[Labelled], test_share: float, seed: int
) -> tuple[list[Labelled], list[Labelled]]:
    by_class: dict[str, list[Labelled]] = defaultdict(list)
    for doc in docs:
        by_class[doc.class_code].append(doc)
    rng = random.Random(seed)
    training, testing = [], []
    for code in sorted(by_class):
        members = by_class[code][:]
        rng.shuffle(members)
        n_test = (
            0
            if len(members) < 2
            else min(len(members) - 1, max(1, round(test_share * len(members))))
        )
        testing += members[:n_test]
        training += members[n_test:]
    return training, testing


def evaluate(
    name: str,
    test: list[Labelled],
    rules: RuleSet,
    model: TrainedModel | None,
    thresholds: RuleSet,
    default_threshold: float,
    allowed: set[str] | None = None,
) -> Result:
    truth, predicted = [], []
    auto = correct_auto = 0
    started = time.perf_counter()
    for doc in test:
        suggestions = suggest(
            doc.text, doc.filename, doc.sender, rules, model, allowed=allowed or None
        )
        best = suggestions[0] if suggestions else None
        guess = best.class_code if best else ""
        truth.append(doc.class_code)
        predicted.append(guess)
        learnt = learnt_threshold(model)
        if best and best.confidence >= threshold_for(guess, thresholds, default_threshold, learnt):
            auto += 1
            correct_auto += guess == doc.class_code
    elapsed = (time.perf_counter() - started) / max(1, len(test))
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / max(1, len(test))
    labels = sorted(set(truth))
    macro = f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)
    return Result(name, accuracy, float(macro), auto, correct_auto, elapsed)


def transaction_codes() -> set[str]:
    return {
        row.code
        for row in read_file(DEFAULT_CONFIG_DIR / "fileplan.toml")
        if row.kind == "transaction"
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", type=Path, help="folder-per-class corpus")
    parser.add_argument("--count", type=int, default=160, help="demo documents to generate")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--test-share", type=float, default=0.3)
    parser.add_argument("--rules", type=Path, default=DEFAULT_CONFIG_DIR / "classification.toml")
    args = parser.parse_args()

    if args.path:
        docs = load_folder(args.path)
        rules = load_rules(args.rules)
        source = f"folder corpus {args.path}"
    else:
        docs = load_demo(args.seed, args.count)
        rules = load_rules(args.rules, transaction_codes())
        source = f"demo corpus, seed {args.seed}, {args.count} documents generated"
    default_threshold = load_ingest_config(DEFAULT_CONFIG_DIR / "ingest.toml").default_threshold
    training, testing = stratified_split(docs, args.test_share, seed=0)
    classes = Counter(doc.class_code for doc in docs)
    print(f"{source}: {len(docs)} documents in {len(classes)} classes")
    print(f"  smallest class {min(classes.values())}, largest {max(classes.values())}")
    print(
        f"  train {len(training)}, test {len(testing)} (stratified, test share {args.test_share})"
    )

    started = time.perf_counter()
    model = train([(model_text(doc.text, doc.filename), doc.class_code) for doc in training])
    trained_in = time.perf_counter() - started
    print(f"  model: {len(model.classes)} classes, trained in {trained_in:.2f} s", end="")
    print(f"; left out (one example): {', '.join(model.left_out) or 'none'}")
    print(
        f"  auto-file threshold: {default_threshold} (per-class overrides: {len(rules.thresholds)})"
    )
    print()

    # only the corpus's classes may be suggested, and only their rules weigh (as in the product)
    allowed = {doc.class_code for doc in docs}
    results = [
        evaluate("rules only", testing, rules, None, rules, default_threshold, allowed),
        evaluate("model only", testing, RuleSet(), model, rules, default_threshold, allowed),
        evaluate("combined", testing, rules, model, rules, default_threshold, allowed),
    ]
    header = ("approach", "accuracy", "macro-F1", "auto-filed", "auto acc.", "ms/doc")
    print("{:<12} {:>9} {:>9} {:>14} {:>10} {:>8}".format(*header))
    for r in results:
        share = f"{r.auto_filed}/{len(testing)}"
        auto_accuracy = f"{r.auto_correct / r.auto_filed:.3f}" if r.auto_filed else "-"
        print(
            f"{r.name:<12} {r.accuracy:>9.3f} {r.macro_f1:>9.3f} {share:>14} {auto_accuracy:>10} "
            f"{r.seconds_per_doc * 1000:>8.1f}"
        )


if __name__ == "__main__":
    main()
