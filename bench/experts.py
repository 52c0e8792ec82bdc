"""Expert-search benchmark. Prints figures; asserts nothing.

    .venv/bin/python bench/experts.py [--people N] [--records N] [--topics N] [--queries N]
                                      [--depth N] [--dir PATH] [--keep] [--seed S]

Builds a seeded synthetic organisation in a fresh data directory (SQLite + tantivy): the default
file plan, N people (each an expert in 1-3 of the topics, held out as ground truth), and records
with known authorship: 80% of a person's records are on one of their topics, the rest on any
topic; a fifth of the records have a second version by someone else; some are marked
OFFICIAL-SENSITIVE or SECRET or filed in classes not open to all staff. A fifth of the people
declare a free tag from one of their topics, a few declare a tag they do not know. Records are
inserted in bulk and indexed with `TantivyBackend.rebuild` (not timed as search).

Then each query (2-3 words of one topic; every fourth one a long paragraph that mentions the
topic among filler) runs through `find_experts` as a civil servant cleared to
OFFICIAL-SENSITIVE, in one session, as `edrm expert find --batch` does. It reports mean average
precision and precision at 5 against the held-out experts of the topic (less the asker, who is
never among their own results), and the latency (p50,
p95, max) per query. Targets: MAP >= 0.6, p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from edrm.access import Principal  # noqa: E402
from edrm.db import migrate  # noqa: E402
from edrm.documents.models import Document, DocumentText, DocumentVersion  # noqa: E402
from edrm.fileplan.io import read_file  # noqa: E402
from edrm.fileplan.models import FilePlanNode  # noqa: E402
from edrm.fileplan.service import import_rows  # noqa: E402
from edrm.markings import Marking  # noqa: E402
from edrm.people.models import ALL_STAFF, User  # noqa: E402
from edrm.people.roles import Role  # noqa: E402
from edrm.settings import ensure_home, load_settings  # noqa: E402
from edrm.wiring import build_runtime  # noqa: E402
from harvest import expert_search  # noqa: E402
from harvest.directory.taxonomy import Taxonomy  # noqa: E402
from harvest.models import Endorsement, Profile, Skill  # noqa: E402
from search.base import IndexedDocument  # noqa: E402

_BACKGROUND_TEXT = """
report review meeting minutes budget plan update summary note letter memo guidance approval
draft final annual quarterly monthly local national regional team office staff manager
director department service services public policy project programme risk issue action
agreed decision options paper board committee advice request response information data
system process procedure standard performance target outcome cost costs savings spending
"""
BACKGROUND = _BACKGROUND_TEXT.split()
FILLER = (
    "We are looking for someone in the department who has dealt with {topic} before, "
    "because the {a} we inherited is out of date and the {b} wants a note on what to do next, "
    "how much it might cost, and whether the work can be brought forward this year."
)
_ONSETS = "b c d f g h j k l m n p r s t v w br cr dr fl gr pl pr sh st th tr"
ONSETS = _ONSETS.split()
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "oo", "ou"]
_CODAS = "b d g k l m n p r s t x nd nt rk st ck sh"
CODAS = _CODAS.split()
TRUTH = "bench-experts-truth.json"
OPEN_MARKINGS = [("OFFICIAL", 0.85), ("OFFICIAL-SENSITIVE", 0.10), ("SECRET", 0.05)]


def made_up_word(rng: random.Random, used: set[str]) -> str:
    while True:
        word = "".join(
            rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
            for _ in range(rng.choice((2, 2, 3)))
        )
        if word not in used:
            used.add(word)
            return word


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([w for w, _p in weighted], [p for _w, p in weighted])[0]


def build(args: argparse.Namespace, home: Path) -> tuple:
    rng = random.Random(args.seed)
    settings = load_settings(
        {"home": str(home), "database_url": "", "secret_key": "bench"}, environ={}
    )
    ensure_home(settings)
    rt = build_runtime(settings)
    migrate(rt.engine)
    t0 = time.perf_counter()
    with rt.uow() as s:
        import_rows(s, read_file(settings.config_path(settings.fileplan_file)))
    with rt.uow() as s:
        nodes = s.scalars(select(FilePlanNode)).all()
        by_id = {n.id: n for n in nodes}

        def open_to_all(node: FilePlanNode) -> bool:
            return all(not n.access_names or ALL_STAFF in n.access_names for n in node.path())

        classes = [n for n in nodes if n.kind_value in ("activity", "transaction")]
        open_classes = [n for n in classes if open_to_all(n)]
        closed_classes = [n for n in classes if not open_to_all(n)]
        class_code = {n.id: n.class_node().code for n in nodes}
        floor = {
            n.id: Marking.highest(Marking.OFFICIAL, *(p.marking for p in n.path())) for n in nodes
        }
    del by_id

    # Topics: distinctive words of their own, each leaning to a couple of classes.
    used: set[str] = set(BACKGROUND)
    topics = [[made_up_word(rng, used) for _ in range(8)] for _ in range(args.topics)]
    topic_classes = [rng.sample(open_classes, 2) for _ in range(args.topics)]

    # People: experts in 1-3 topics (held out).
    now = datetime.now(UTC)
    expertise: list[list[int]] = [
        rng.sample(range(args.topics), rng.choice((1, 2, 2, 3))) for _ in range(args.people)
    ]
    with rt.uow() as s:
        s.execute(
            insert(User),
            [
                {
                    "username": f"p{i:05d}",
                    "full_name": f"Person {i:05d}",
                    "email": "",
                    "password_hash": "x",
                    "role_value": "civil_servant",
                    "clearance_value": "OFFICIAL-SENSITIVE",
                    "unit": f"Unit {i % 40}",
                    "active": True,
                    "created_at": now,
                }
                for i in range(args.people)
            ],
        )
        user_ids = dict(s.execute(select(User.username, User.id)).all())
        s.execute(
            insert(Profile),
            [
                {
                    "user_id": user_ids[f"p{i:05d}"],
                    "name": f"Person {i:05d}",
                    "unit": f"Unit {i % 40}",
                    "location": ("London", "Leeds", "York", "Bristol", "Glasgow")[i % 5],
                    "role_title": "Adviser",
                    "about": "",
                    "opted_out": False,
                    "updated_at": now,
                }
                for i in range(args.people)
            ],
        )
        profile_ids = dict(s.execute(select(Profile.user_id, Profile.id)).all())
        skills = []
        for i, mine in enumerate(expertise):
            roll = rng.random()
            if roll < 0.20:
                word = rng.choice(topics[rng.choice(mine)][:3])
            elif roll < 0.23:
                word = rng.choice(topics[rng.randrange(args.topics)][:3])
            else:
                continue
            skills.append(
                {
                    "profile_id": profile_ids[user_ids[f"p{i:05d}"]],
                    "name": word,
                    "is_tag": True,
                    "level": rng.choice((2, 3, 4)),
                    "declared_at": now,
                }
            )
        if skills:
            s.execute(insert(Skill), skills)
            skill_ids = s.scalars(select(Skill.id)).all()
            endorsers = list(profile_ids.values())
            s.execute(
                insert(Endorsement),
                [
                    {"skill_id": sid, "endorser_id": rng.choice(endorsers), "endorsed_at": now}
                    for sid in rng.sample(skill_ids, len(skill_ids) // 3)
                ],
            )
    people_built = time.perf_counter() - t0

    # Records with known authorship.
    t0 = time.perf_counter()
    index_docs: list[IndexedDocument] = []
    batch_docs: list[dict] = []
    batch_versions: list[dict] = []
    batch_texts: list[dict] = []
    per_person = max(args.records // args.people, 1)
    doc_id = 0

    def flush() -> None:
        if not batch_docs:
            return
        with rt.uow() as s:
            s.execute(insert(Document), batch_docs)
            s.execute(insert(DocumentVersion), batch_versions)
            s.execute(insert(DocumentText), batch_texts)
        batch_docs.clear()
        batch_versions.clear()
        batch_texts.clear()

    for i in range(args.people):
        uid = user_ids[f"p{i:05d}"]
        for _n in range(per_person):
            doc_id += 1
            topic = rng.choice(expertise[i]) if rng.random() < 0.8 else rng.randrange(args.topics)
            vocab = topics[topic]
            restricted = rng.random() < 0.04 and closed_classes
            node = rng.choice(closed_classes) if restricted else rng.choice(topic_classes[topic])
            marking = Marking.highest(floor[node.id], Marking(pick(rng, OPEN_MARKINGS))).value
            title = " ".join(
                [*rng.sample(vocab, 2), rng.choice(BACKGROUND), rng.choice(BACKGROUND)]
            ).capitalize()
            body = " ".join(
                rng.choice(vocab) if rng.random() < 0.15 else rng.choice(BACKGROUND)
                for _ in range(rng.randint(40, 70))
            )
            created = now - timedelta(days=rng.randrange(3650))
            name = f"Person {i:05d}"
            batch_docs.append(
                {
                    "id": doc_id,
                    "node_id": node.id,
                    "status": "filed",
                    "title": title,
                    "creator": name,
                    "identifier": f"EDRM-{doc_id:07d}",
                    "doc_type": "report",
                    "format": "text/plain",
                    "marking_value": marking,
                    "created_at": created,
                    "modified_at": created,
                    "filed_by_id": uid,
                }
            )
            batch_versions.append(
                {
                    "document_id": doc_id,
                    "number": 1,
                    "sha256": f"{doc_id:064x}",
                    "size": len(body),
                    "filename": f"{doc_id}.txt",
                    "mime": "text/plain",
                    "created_at": created,
                    "created_by": f"p{i:05d}",
                }
            )
            if rng.random() < 0.2:
                other = rng.randrange(args.people)
                batch_versions.append(
                    {
                        "document_id": doc_id,
                        "number": 2,
                        "sha256": f"{doc_id:063x}f",
                        "size": len(body),
                        "filename": f"{doc_id}.txt",
                        "mime": "text/plain",
                        "created_at": created,
                        "created_by": f"p{other:05d}",
                    }
                )
            batch_texts.append(
                {"document_id": doc_id, "text": body, "pages": [], "extracted_at": created}
            )
            index_docs.append(
                IndexedDocument(
                    id=doc_id,
                    title=title,
                    body=body,
                    class_code=class_code[node.id],
                    folder_code="",
                    doc_type="report",
                    creator=name,
                    marking=marking,
                    created=created,
                    references=(f"EDRM-{doc_id:07d}",),
                    access_keys=(f"node:{node.id}",),
                )
            )
            if len(batch_docs) >= 5000:
                flush()
    flush()
    inserted = time.perf_counter() - t0
    t0 = time.perf_counter()
    rt.search.rebuild(iter(index_docs))
    indexed = time.perf_counter() - t0
    print(
        f"built: {args.people} people in {people_built:.1f} s, {doc_id} records inserted in "
        f"{inserted:.1f} s, indexed in {indexed:.1f} s ({doc_id / indexed:.0f} records/s)"
    )
    (home / TRUTH).write_text(
        json.dumps({"args": vars(args) | {"dir": None}, "topics": topics, "expertise": expertise})
    )
    return rt, topics, expertise


def reopen(args: argparse.Namespace, home: Path) -> tuple:
    """A data directory built before with the same sizes and seed (--dir PATH --keep)."""
    truth = json.loads((home / TRUTH).read_text())
    settings = load_settings(
        {"home": str(home), "database_url": "", "secret_key": "bench"}, environ={}
    )
    print(f"reusing the organisation built in {home}")
    return build_runtime(settings), truth["topics"], truth["expertise"]


def average_precision(ranked: list[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for n, username in enumerate(ranked, start=1):
        if username in relevant:
            hits += 1
            total += hits / n
    return total / len(relevant) if relevant else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--topics", type=int, default=200)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--limit", type=int, default=50, help="People returned per query.")
    parser.add_argument("--depth", type=int, default=expert_search.DEPTH)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    home = args.dir or Path(tempfile.mkdtemp(prefix="edrm-bench-experts-"))
    try:
        run(args, home)
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


def run(args: argparse.Namespace, home: Path) -> None:
    same = (home / TRUTH).exists() and all(
        json.loads((home / TRUTH).read_text())["args"].get(k) == getattr(args, k)
        for k in ("people", "records", "topics", "seed")
    )
    rt, topics, expertise = reopen(args, home) if same else build(args, home)
    rng = random.Random(args.seed + 1)
    experts_of: dict[int, set[str]] = {}
    for i, mine in enumerate(expertise):
        for t in mine:
            experts_of.setdefault(t, set()).add(f"p{i:05d}")
    asked = rng.sample(range(args.topics), min(args.queries, args.topics))
    while len(asked) < args.queries:
        asked.append(rng.randrange(args.topics))
    queries = []
    for n, t in enumerate(asked):
        words = rng.sample(topics[t], rng.choice((2, 3)))
        if n % 4 == 3:
            text = FILLER.format(
                topic=" ".join(words), a=rng.choice(BACKGROUND), b=rng.choice(BACKGROUND)
            )
        else:
            text = " ".join(words)
        queries.append((t, text))
    taxonomy = Taxonomy()
    expert_search.DEPTH = args.depth
    with rt.uow() as s:
        asker_user = s.scalar(select(User).where(User.username == "p00000"))
        asker = Principal(
            username=asker_user.username,
            role=Role.CIVIL_SERVANT,
            clearance=Marking.OFFICIAL_SENSITIVE,
            groups=frozenset({ALL_STAFF}),
            user_id=asker_user.id,
        )
        # Warm up (opens the index reader, fills caches the way a running service has them).
        for _t, text in queries[:5]:
            expert_search.find_experts(
                s, rt, asker, text, limit=args.limit, taxonomy=taxonomy, depth=args.depth
            )
        latencies: list[float] = []
        aps: list[float] = []
        p5s: list[float] = []
        long_aps: list[float] = []
        for n, (t, text) in enumerate(queries):
            start = time.perf_counter()
            result = expert_search.find_experts(
                s, rt, asker, text, limit=args.limit, taxonomy=taxonomy, depth=args.depth
            )
            latencies.append((time.perf_counter() - start) * 1000)
            ranked = [p.username for p in result.people]
            relevant = experts_of[t] - {asker.username}  # never in their own results
            ap = average_precision(ranked, relevant)
            aps.append(ap)
            if n % 4 == 3:
                long_aps.append(ap)
            p5s.append(sum(1 for u in ranked[:5] if u in relevant) / 5)
    latencies.sort()
    p95 = latencies[max(int(len(latencies) * 0.95) - 1, 0)]
    print(
        f"expert search: {len(queries)} queries ({len(long_aps)} long paragraphs), "
        f"{args.people} people, {args.records} records, {args.topics} topics, depth {args.depth}"
    )
    print(
        f"  MAP {statistics.mean(aps):.3f} (long queries {statistics.mean(long_aps or [0]):.3f})"
        f"   P@5 {statistics.mean(p5s):.3f}   experts per topic "
        f"{statistics.mean(len(v) for v in experts_of.values()):.1f}"
    )
    print(
        f"  latency ms: p50 {statistics.median(latencies):.1f}  p95 {p95:.1f}  "
        f"max {latencies[-1]:.1f}"
    )
    print(
        f"  targets: MAP >= 0.6 {'met' if statistics.mean(aps) >= 0.6 else 'NOT met'}; "
        f"p95 < 200 ms {'met' if p95 < 200 else 'NOT met'}"
    )
    rt.close()


if __name__ == "__main__":
    main()
