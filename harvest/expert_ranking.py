"""How well a person's whole body of records answers a question: the profile model of expert
search (pure functions; harvest/expert_search.py gathers the records and their statistics).

Texts become *terms*: lower-case words (English stop words out, not stemmed) and the phrases of
two neighbouring words, so a paragraph keeps "machine translation" and "named entity", not
only "machine" and "entity". A person's profile is the sum of the term counts of every record
they are associated with, each weighted by how they are (creator 1, contributor 0.5, ...).

The score is a TF-IDF cosine in spirit: for each term of the question, (1 + log tf) in the
question times (1 + log tf) in the profile, each times the term's idf among the candidates'
records (all of which the asker may see), divided by the square root of the profile's length
(its number of terms), so a prolific person does not win by volume and a thin one does not
win by one lucky record.
Measured on the expertise dev set (../shared/data/expertise-dev, paragraph queries, MAP):
the README's word TF-IDF profile scores 0.450; adding two-word phrases 0.494; phrases weighted
1.4 against words 0.507; the square-root length normalisation instead of the cosine's matches
it (0.505) and needs only the question's terms. Tried and left out: a person's best record
alone (0.405) or best three (0.422), Balog's Model 2 and a Dirichlet-smoothed profile (Model 1,
0.469 with phrases), BM25 over the profile (0.487), cutting a paragraph down to its 20/40/80
heaviest terms (0.388/0.435/0.486: every term weighted by its idf does better), LSA with 100
to 400 dimensions fitted on the records (0.34 to 0.40 alone, lower in any blend), pseudo-
relevance feedback (0.46) and favouring recent records (0.47 at best).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

_TOKEN = re.compile(r"(?u)\b\w\w+\b")

#: English function words: scikit-learn's ENGLISH_STOP_WORDS (which the TF-IDF baseline uses),
#: written out so that a question does not wait for scikit-learn to load.
_STOP_TEXT = """
a about above across after afterwards again against all almost alone along already also although
always am among amongst amoungst amount an and another any anyhow anyone anything anyway anywhere
are around as at back be became because become becomes becoming been before beforehand behind
being below beside besides between beyond bill both bottom but by call can cannot cant co con
could couldnt cry de describe detail do done down due during each eg eight either eleven else
elsewhere empty enough etc even ever every everyone everything everywhere except few fifteen fifty
fill find fire first five for former formerly forty found four from front full further get give go
had has hasnt have he hence her here hereafter hereby herein hereupon hers herself him himself his
how however hundred i ie if in inc indeed interest into is it its itself keep last latter latterly
least less ltd made many may me meanwhile might mill mine more moreover most mostly move much must
my myself name namely neither never nevertheless next nine no nobody none noone nor not nothing
now nowhere of off often on once one only onto or other others otherwise our ours ourselves out
over own part per perhaps please put rather re same see seem seemed seeming seems serious several
she should show side since sincere six sixty so some somehow someone something sometime sometimes
somewhere still such system take ten than that the their them themselves then thence there
thereafter thereby therefore therein thereupon these they thick thin third this those though three
through throughout thru thus to together too top toward towards twelve twenty two un under until
up upon us very via was we well were what whatever when whence whenever where whereafter whereas
whereby wherein whereupon wherever whether which while whither who whoever whole whom whose why
will with within without would yet you your yours yourself yourselves
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
#: Characters of a record's text read for its profile (a long report says what it is about early).
MAX_CHARS = 20_000


def tokens(text: str) -> list[str]:
    """The words of `text` that carry meaning, lower-cased, in order."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOP_WORDS and not t.isdigit()]


def term_counts(text: str) -> Counter[str]:
    """Words and two-word phrases of `text`, counted (the first MAX_CHARS characters)."""
    words = tokens(text[:MAX_CHARS])
    counts = Counter(words)
    counts.update(f"{a} {b}" for a, b in pairwise(words))
    return counts


def sublinear(count: float) -> float:
    """1 + log tf for a count of at least one; a weighted count below one counts as itself."""
    return 1.0 + math.log(count) if count >= 1.0 else count


def idf(documents: int, df: int) -> float:
    return math.log((1 + documents) / (1 + df)) + 1.0


@dataclass(frozen=True)
class Record:
    """One record's terms and its length (its number of terms, repeats counted)."""

    terms: Mapping[str, int]
    length: int

    @staticmethod
    def of(text: str) -> Record:
        terms = term_counts(text)
        return Record(terms, sum(terms.values()))


@dataclass(frozen=True)
class Question:
    """A question's terms with their weights: (1 + log tf) x idf, scaled to unit length."""

    weights: dict[str, float]

    @staticmethod
    def of(text_terms: Mapping[str, int], idfs: Mapping[str, float]) -> Question:
        raw = {t: sublinear(n) * idfs[t] for t, n in text_terms.items() if t in idfs}
        norm = math.sqrt(sum(w * w for w in raw.values())) or 1.0
        return Question({t: w / norm for t, w in raw.items()})


def score(
    question: Question, records: Iterable[tuple[float, Record]], idfs: Mapping[str, float]
) -> float:
    """How well a profile (records, each with the person's association weight) answers the
    question: 0 when they share no term. Only the question's terms are looked at."""
    wanted = question.weights.keys()
    counts: dict[str, float] = {}
    length = 0.0
    for weight, record in records:
        length += weight * record.length
        for term in wanted & record.terms.keys():
            counts[term] = counts.get(term, 0.0) + weight * record.terms[term]
    if length <= 0 or not counts:
        return 0.0
    total = sum(question.weights[t] * sublinear(n) * idfs[t] for t, n in counts.items())
    return total / math.sqrt(length)


def propagate(
    scores: Mapping[int, float], neighbours: Mapping[int, Iterable[int]], share: float
) -> dict[int, float]:
    """Each person's score plus `share` of the mean score of the people they made records
    with (those who know the topic tend to work with others who do)."""
    out: dict[int, float] = {}
    for person, own in scores.items():
        near = [scores.get(other, 0.0) for other in neighbours.get(person, ())]
        out[person] = own + (share * sum(near) / len(near) if near else 0.0)
    return out
