"""The query language parser (search/query.py): its AST, its warnings, and fuzzing."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.query import (
    MAX_CLAUSES,
    MAX_QUERY_CHARS,
    And,
    DateRange,
    MatchAll,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    YearRange,
    parse,
    positive_leaves,
    replace_spans,
    to_text,
)


def t(text: str, field: str | None = None, *, prefix: bool = False, fuzzy: int = 0) -> Term:
    return Term(text, field, prefix, fuzzy)


def node(text: str) -> Node:
    parsed = parse(text)
    assert parsed.warning is None, parsed.warning
    return parsed.node


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", MatchAll()),
        ("   ", MatchAll()),
        ("flood", t("flood")),
        ("flood defence", And((t("flood"), t("defence")))),
        ('"risk register"', Phrase("risk register")),
        ('"risk   register"~2', Phrase("risk register", slop=2)),
        ("title:budget", t("budget", "title")),
        ("TITLE:budget", t("budget", "title")),
        ('title:"risk register"', Phrase("risk register", "title")),
        ("creator:smith", t("smith", "creator")),
        ("class:FIN-AP", t("FIN-AP", "class")),
        ("class:FIN*", t("FIN", "class", prefix=True)),
        ("type:letter", t("letter", "type")),
        ('marking:"TOP SECRET"', Phrase("TOP SECRET", "marking")),
        ("ref:FIN/2024/12", t("FIN/2024/12", "ref")),
        ("year:2019..2021", YearRange(2019, 2021)),
        ("year:2021", YearRange(2021, 2021)),
        ("year:>=2019", YearRange(2019, None)),
        ("year:>2019", YearRange(2020, None)),
        ("year:<2020", YearRange(None, 2019)),
        ("year:<=2020", YearRange(None, 2020)),
        ("year:2019..", YearRange(2019, None)),
        ("year:..2019", YearRange(None, 2019)),
        ("date:>=2024-01-01", DateRange(date(2024, 1, 1), None)),
        ("date:>2024-01-01", DateRange(date(2024, 1, 2), None)),
        ("date:<2024-01-01", DateRange(None, date(2023, 12, 31))),
        ("date:2024-01-01..2024-06-30", DateRange(date(2024, 1, 1), date(2024, 6, 30))),
        ("date:2024-02", DateRange(date(2024, 2, 1), date(2024, 2, 29))),
        ("date:2024", DateRange(date(2024, 1, 1), date(2024, 12, 31))),
        ("date:2024-03-05", DateRange(date(2024, 3, 5), date(2024, 3, 5))),
        ("k AND b", And((t("k"), t("b")))),
        ("k && b", And((t("k"), t("b")))),
        ("a OR b", Or((t("a"), t("b")))),
        ("a || b", Or((t("a"), t("b")))),
        ("a OR b c", Or((t("a"), And((t("b"), t("c")))))),  # AND binds tighter than OR
        ("k b OR c", Or((And((t("k"), t("b"))), t("c")))),
        ("(a OR b) c", And((Or((t("a"), t("b"))), t("c")))),
        ("NOT a", Not(t("a"))),
        ("-a", Not(t("a"))),
        ("a -b", And((t("a"), Not(t("b"))))),
        ("a NOT b", And((t("a"), Not(t("b"))))),
        ("NOT NOT a", t("a")),
        ("--a", t("a")),
        ("+k +b", And((t("k"), t("b")))),
        ("-(a OR b)", Not(Or((t("a"), t("b"))))),
        ("-year:2020", Not(YearRange(2020, 2020))),
        ("procure*", t("procure", prefix=True)),
        ("procurment~", t("procurment", fuzzy=1)),
        ("procurment~1", t("procurment", fuzzy=1)),
        ("procurment~2", t("procurment", fuzzy=2)),
        ("procurment~0", t("procurment")),
        ("title:(budget OR forecast)", Or((t("budget", "title"), t("forecast", "title")))),
        ('title:(budget "cash flow")', And((t("budget", "title"), Phrase("cash flow", "title")))),
        ("year:(2019 OR 2021)", Or((YearRange(2019, 2019), YearRange(2021, 2021)))),
        ("e-mail", t("e-mail")),
        ("10:30", t("10:30")),
        ("health and safety", And((t("health"), t("safety")))),  # stop words dropped
        ("the and", And((t("the"), t("and")))),  # ... unless that is all there is
        ("the -flood", And((t("the"), Not(t("flood"))))),
        ('"the"', Phrase("the")),
        ("a b", t("b")),  # "a" is a stop word
        ("!!! flood", t("flood")),  # punctuation alone is no word
        ("flood - defence", And((t("flood"), t("defence")))),
    ],
)
def test_parse(text: str, expected: Node) -> None:
    assert node(text) == expected


@pytest.mark.parametrize(
    ("text", "expected", "warning"),
    [
        ("foo:bar", And((t("foo"), t("bar"))), "Unknown field 'foo': searched for 'foo:bar' as"),
        ("author:smith", And((t("author"), t("smith"))), "Fields are title, creator"),
        ('foo:"x y"', And((t("foo"), Phrase("x y"))), "Unknown field 'foo'"),
        ('"risk register', Phrase("risk register"), "Missing closing quote"),
        ("(a OR b", Or((t("a"), t("b"))), "was never closed"),
        ("k) b", And((t("k"), t("b"))), "unmatched ')'"),
        ("a AND", t("a"), "'AND' needs a search term on both sides"),
        ("AND a", t("a"), "'AND' needs a search term on both sides"),
        ("a OR", t("a"), "'OR' needs a search term on both sides"),
        ("a NOT", t("a"), "'NOT' needs a search term after it"),
        ("year:abc", MatchAll(), "Could not read 'year:abc' (try year:2019..2021"),
        ("flood year:2019..20x", t("flood"), "Could not read 'year:2019..20x'"),
        ("date:2024-13-01", MatchAll(), "Could not read 'date:2024-13-01'"),
        ("date:2024-02-30", MatchAll(), "Could not read"),
        ("year:..", MatchAll(), "Could not read"),
        ("year:2021..2019", YearRange(2019, 2021), "runs backwards"),
        ("x~3", t("x", fuzzy=2), "at most ~2"),
        ("pro*ment", t("pro", prefix=True), "Wildcards work only at the end"),
        ("pro?ure", t("pro", prefix=True), "Wildcards work only at the end"),
        ("p*", t("p"), "at least 2 characters"),
        ("proc*~", t("proc", prefix=True), "both a prefix and fuzzy"),
        ("title:", MatchAll(), "Nothing followed 'title:'"),
    ],
)
def test_bad_syntax_gives_a_best_effort_query_and_a_helpful_warning(
    text: str, expected: Node, warning: str
) -> None:
    parsed = parse(text)
    assert parsed.node == expected
    assert parsed.warning is not None and warning in parsed.warning


def test_limits() -> None:
    long = parse("flood " * 400)
    assert long.warning and f"first {MAX_QUERY_CHARS} characters" in long.warning
    many = parse(" ".join(f"w{i}" for i in range(MAX_CLAUSES + 10)))
    assert isinstance(many.node, And) and len(many.node.children) == MAX_CLAUSES
    assert many.warning and "search terms were used" in many.warning
    deep = parse("(" * 50 + "flood" + ")" * 50)
    assert positive_leaves(deep.node) == [t("flood")]
    negations = parse("-" * 900 + "flood")
    assert negations.node in (t("flood"), Not(t("flood")))


def test_spans_point_at_the_words_for_did_you_mean() -> None:
    text = 'Flod title:defnce "a b" -x procur*'
    parsed = parse(text)
    spans = {
        leaf.text: leaf.span for leaf in positive_leaves(parsed.node) if isinstance(leaf, Term)
    }
    assert text[slice(*spans["Flod"])] == "Flod"
    assert text[slice(*spans["defnce"])] == "defnce"
    fixed = replace_spans(text, {spans["Flod"]: "Flood", spans["defnce"]: "defence"})
    assert fixed == 'Flood title:defence "a b" -x procur*'


def test_positive_leaves_skip_negated_words() -> None:
    leaves = positive_leaves(parse('k -b NOT c (d OR "e f") year:2020').node)
    assert leaves == [t("k"), t("d"), Phrase("e f")]


@pytest.mark.parametrize(
    "text",
    [
        'title:"risk register" year:2021..2023 -draft',
        "(a OR b) AND NOT c",
        "class:FIN* type:letter marking:SECRET",
        "procurment~2 proc* date:2024-01-01..",
        '"x y"~3 ref:"A/1" -(p OR q)',
    ],
)
def test_to_text_round_trips(text: str) -> None:
    parsed = parse(text)
    assert parse(to_text(parsed.node)).node == parsed.node


QUERYISH = st.lists(
    st.sampled_from(
        [
            "flood",
            "risk",
            "a",
            "the",
            "AND",
            "OR",
            "NOT",
            "&&",
            "||",
            "-",
            "+",
            "(",
            ")",
            '"',
            ":",
            "*",
            "~",
            "~2",
            "?",
            "title:",
            "class:",
            "year:",
            "date:",
            "foo:",
            "..",
            ">=",
            "<",
            "2019",
            "2024-01-01",
            "FIN-AP",
            " ",
            "  ",
            "\t",
            "é",
            "😀",
            "\\",
            "'",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), QUERYISH))
def test_parse_never_raises_and_round_trips(text: str) -> None:
    parsed = parse(text)
    assert isinstance(parsed.warnings, tuple)
    assert parse(to_text(parsed.node)).node == parsed.node
    for leaf in positive_leaves(parsed.node):
        if isinstance(leaf, Term) and leaf.span is not None:
            start, end = leaf.span
            assert 0 <= start <= end <= len(parsed.text)
