"""The demo corpus: data files read by a small generator, giving the same documents every time."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import json
import random
from typing import Any

import pytest

from edrm.demo import corpus
from edrm.demo.corpus import demo_folders, demo_users, generate_documents
from edrm.demo.templates import Library, TemplateError, fill, write

# SHA-256 of the default demo (seed 2025, 160 documents) with its users and folders, as JSON.
# It pins the output byte for byte: it was the output of the hand-written corpus.py that the
# data files replaced. A deliberate change to the demo data changes it; update it then (issue
# 18 added the information-rights officer ioakes; the documents stayed byte for byte the same).
DEFAULT_DEMO_SHA256 = "8944c05e1f30a24f29a480477f56cb7ebcfdb230eea48ae62c25df8054d25033"


def _json(value: Any) -> str:
    def encode(o: Any) -> str:
        if isinstance(o, dt.date):
            return o.isoformat()
        if isinstance(o, bytes):
            return o.decode("utf-8")
        raise TypeError(type(o))

    return json.dumps(value, default=encode, ensure_ascii=False)


def _default_demo() -> str:
    return _json(
        {
            "users": [dataclasses.asdict(u) for u in demo_users()],
            "folders": [dataclasses.asdict(f) for f in demo_folders()],
            "documents": [dataclasses.asdict(d) for d in generate_documents()],
        }
    )


def test_the_default_demo_is_byte_for_byte_what_it_was() -> None:
    assert hashlib.sha256(_default_demo().encode()).hexdigest() == DEFAULT_DEMO_SHA256


def test_the_same_seed_gives_the_same_documents_and_another_seed_others() -> None:
    assert generate_documents(seed=5, count=80) == generate_documents(seed=5, count=80)
    assert generate_documents(seed=5, count=80) != generate_documents(seed=6, count=80)


def test_the_demo_has_the_expected_people_folders_and_documents() -> None:
    users, folders = demo_users(), demo_folders()
    assert len(users) == 14
    assert [u.username for u in users[:3]] == ["asmith", "rmanager", "admin"]
    assert users[10].groups == ("legal", "legal-advisers-office")
    assert collections.Counter(f.parent_code for f in folders)["FIN-AP-INV"] == 9
    assert collections.Counter(f.parent_code for f in folders)["GOV-BRD-MIN"] == 8
    assert len(folders) == 37
    assert len({f.code for f in folders}) == len(folders)
    assert sum(f.closed for f in folders) == 22 and all(f.closed_on for f in folders if f.closed)
    for count in (0, 1, 6, 40, 160):
        assert len(generate_documents(count=count)) == count


def test_every_class_gets_documents_and_the_secret_ones_survive_small_counts() -> None:
    documents = generate_documents()
    codes = {f.code: f.parent_code for f in demo_folders()}
    classes = {codes.get(d.into_code, d.into_code) for d in documents}
    assert classes == set(corpus._data("classes.toml"))
    assert len({d.filename for d in documents}) == len(documents)
    assert [d.created for d in documents] == sorted(d.created for d in documents)
    few = generate_documents(count=6)
    assert [d.marking for d in few] == ["SECRET"] * 6


def test_a_template_fills_left_to_right_and_a_lone_placeholder_keeps_its_value() -> None:
    rng = random.Random(1)
    scope = {"__builtins__": {}, "n": 7, "pick": rng.choice}
    assert fill("{n}", scope) == 7
    assert fill("No. {n:03d}, {{braces}}, {'a:b'}", scope) == "No. 007, {braces}, a:b"
    first = fill("{pick('ab')}{pick('cd')}", {**scope, "pick": random.Random(1).choice})
    again = random.Random(1)
    assert first == again.choice("ab") + again.choice("cd")


@pytest.mark.parametrize(
    ("template", "message"),
    [("{n.__class__}", "not allowed"), ("{_secret}", "not allowed"), ("{n", "unclosed")],
)
def test_a_template_refuses_private_names_and_bad_placeholders(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        fill(template, {"n": 1})


def test_a_document_kind_may_not_hide_a_helper_and_must_give_every_field() -> None:
    context = {"day": dt.date(2025, 1, 6)}
    hides = Library({}, {"k": {"person": "someone"}})
    with pytest.raises(TemplateError, match="'person'"):
        write(hides, "k", random.Random(0), context)
    short = Library({}, {"k": {"title": "T"}})
    with pytest.raises(TemplateError, match="filename"):
        write(short, "k", random.Random(0), context)
