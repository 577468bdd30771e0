"""Scoring: each sentence of the retrieved passages described and scored, and the question's answerability.

Every sentence of a question's candidate passages is described by the
features of ``features.SENTENCE_FEATURES`` (the share of the question's terms
it holds, its cosine to the question, its passage's scores, the evidence the
question's kind prefers, whether it is in the conversation's focus, ...) and
scored with weights fitted on labelled questions (``weights.py``, refit by
``python -m qa fit``). The passages are re-ranked by their best sentence.
Answerability is a calibrated probability from the question-level features
of ``features.ANSWERABILITY_FEATURES`` and their products. Leaves out: retrieval
(``retrieve.py``), question analysis (``question.py``) and composing the
answer (``answer.py``).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np

from .articles import END_MATTER, Passage, embed_text
from .conversation import Focus
from .features import ANSWERABILITY_FEATURES, SENTENCE_FEATURES
from .kinds import SentenceFacts, evidence, is_speech, related, speaks, speaks_after
from .names import paired_otherwise
from .question import Question, only_unknown
from .retrieve import Hit, Leaning
from .sentences import terms
from .spans import PROPOSERS, asks_for_role
from .store import facts_of
from .vocabulary import Vocabulary
from .weights import Weights

COLUMN = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
_KINDS_WITH_EVIDENCE = frozenset(name[len("evidence_"):] for name in SENTENCE_FEATURES if name.startswith("evidence_"))


@dataclass(frozen=True)
class Retrieved:
    """What scoring reads of one question's retrieval: its passages and how to read their sentences."""

    hits: Sequence[Hit]  # the candidate passages, best first
    passages: Sequence[Passage]  # every passage of the corpus, by row
    cosines: Callable[[int], np.ndarray]  # a row's sentences' cosines to the question
    vocabulary: Vocabulary
    cosine_scale: tuple[float, float] = (0.0, 1.0)  # the question's mean cosine to the corpus's sentences, spread
    facts: Callable[[list[int]], list[list[SentenceFacts]]] | None = None  # the store's sentence facts
    focus: Focus = field(default_factory=Focus)  # the conversation's articles
    leaning: Leaning = field(default_factory=lambda: Leaning({}))  # where the conversation's words point


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, with its features and fitted score."""

    hit: Hit
    passage: Passage
    index: int  # sentence number within the passage
    features: np.ndarray
    score: float

    @property
    def sentence(self) -> str:
        a, b = self.passage.sentences[self.index]
        return self.passage.text[a:b]

    def feature(self, name: str) -> float:
        return float(self.features[COLUMN[name]])


@dataclass(frozen=True)
class _Read:
    """What scoring needs of a passage's sentences, worked out once per passage."""

    header: frozenset[str]
    texts: tuple[str, ...]  # each sentence
    held: tuple[frozenset[str], ...]  # each sentence's terms
    joined: tuple[str, ...]  # each sentence's terms in order, " a b c " (its adjacent pairs are found in it)
    length: np.ndarray  # log(1 + words) per sentence
    speech: np.ndarray  # 1 where the sentence reports speech
    terms: frozenset[str]  # every term of the passage and its header


def _read(passage: Passage, facts: Sequence[SentenceFacts]) -> _Read:
    held = tuple(frozenset(f.terms) for f in facts)
    header = _header_terms(passage.section)
    return _Read(header, tuple(passage.text[a:b] for a, b in passage.sentences), held,
                 tuple(f" {' '.join(f.terms)} " for f in facts),
                 np.array([math.log(1 + f.words) for f in facts]),
                 np.array([1.0 if f.speech else 0.0 for f in facts]),
                 header.union(*held))


@lru_cache(maxsize=65536)
def _header_terms(section: str) -> frozenset[str]:
    """The terms of a section header (passages of one section share it)."""
    return frozenset(terms(embed_text(section, "")))


# The latest passages read, by any store and thread: sentences come back question after question.
_READS: OrderedDict[Passage, _Read] = OrderedDict()
_READS_LOCK = threading.Lock()
READS_KEPT = 100_000


def reads(passages: Sequence[Passage], rows: Sequence[int],
          facts: Callable[[list[int]], list[list[SentenceFacts]]] | None = None) -> dict[int, _Read]:
    """What scoring needs of the sentences of ``passages[row]`` for each row; ``facts``: the store's, for rows not kept.

    Without ``facts`` they are worked out from the text (``facts_of``).
    """
    out: dict[int, _Read] = {}
    missing: list[int] = []
    with _READS_LOCK:
        for row in dict.fromkeys(rows):
            read = _READS.get(passages[row])
            if read is None:
                missing.append(row)
            else:
                _READS.move_to_end(passages[row])
                out[row] = read
    if missing:
        found = facts(missing) if facts is not None else [facts_of(passages[r]) for r in missing]
        made = {row: _read(passages[row], sentences) for row, sentences in zip(missing, found)}
        out.update(made)
        with _READS_LOCK:
            for row, read in made.items():
                _READS[passages[row]] = read
            while len(_READS) > READS_KEPT:
                _READS.popitem(last=False)
    return out


def held(cand: Candidate) -> frozenset[str]:
    """The terms of a candidate's sentence."""
    return reads([cand.passage], [0])[0].held[cand.index]


def _last_sentence(passages: Sequence[Passage], row: int) -> str:
    """The sentence before passage ``row``'s first: the last of the passage before it in the same section."""
    if row <= 0:
        return ""
    before, passage = passages[row - 1], passages[row]
    if (before.article, before.section) != (passage.article, passage.section) or not before.sentences:
        return ""
    return before.text[slice(*before.sentences[-1])]


def sentence_features(q: Question, retrieved: Retrieved) -> tuple[list[tuple[Hit, Passage, int]], np.ndarray]:
    """Every sentence of the retrieved passages and its feature row (``SENTENCE_FEATURES``).

    Each feature is one array operation over the sentences of every passage:
    this runs on every question.
    """
    hits, passages, vocabulary = retrieved.hits, retrieved.passages, retrieved.vocabulary
    # Coverage is of the terms the articles know (a term is held when any of its
    # family is): an unknown term lowers every sentence alike, and the
    # answerability model weighs the unknown share on its own.
    alts = [f for f in (related(t) for t in q.terms) if any(vocabulary.knows(a) for a in f)]
    w = np.array([min(vocabulary.idf(a) for a in family if vocabulary.knows(a)) for family in alts])
    total = float(w.sum()) or 1.0
    context = {t: 0.5 * vocabulary.idf(t) for t in q.context_terms}
    context_total = total + sum(context.values())
    name_terms = [frozenset(terms(n)) for n in q.names]
    asked_pairs = [f" {a} {b} " for a, b in dict.fromkeys(zip(q.terms, q.terms[1:]))]
    own = frozenset(q.terms)
    column = COLUMN
    kind_column = column.get(f"evidence_{q.kind}")
    focus, leaning = retrieved.focus, retrieved.leaning
    top_leaning = next(iter(leaning.scores), None)

    rows: list[tuple[Hit, Passage, int]] = []
    read_list: list[_Read] = []
    read_rows: list[int] = []  # the row of each of them
    held_rows: list[list[bool]] = []
    header_rows: list[list[bool]] = []
    sizes: list[int] = []  # sentences per passage
    cosines: list[np.ndarray] = []
    context_share: list[float] = []
    per_passage: list[tuple[float, ...]] = []  # z_dense, z_lexical, first, focus, earlier, conversation, its top
    before_rows = [h.row - 1 for h in hits if h.row > 0] if context else []  # "he" was named a paragraph back
    read_of = reads(passages, [h.row for h in hits] + before_rows, retrieved.facts)
    focus_terms: set[str] = set()
    for rank_, hit in enumerate(hits):
        passage = passages[hit.row]
        read = read_of[hit.row]
        n = len(read.held)
        if not n:
            continue
        read_list.append(read)
        read_rows.append(hit.row)
        sizes.append(n)
        rows.extend((hit, passage, i) for i in range(n))
        held_rows.extend([bool(f & h) for f in alts] for h in read.held)
        header_rows.append([bool(f & read.header) for f in alts])
        c = retrieved.cosines(hit.row)
        cosines.append(c[:n] if len(c) >= n else np.resize(c, n))
        in_context = read.terms
        if context and hit.row > 0:
            previous = passages[hit.row - 1]
            if (previous.article, previous.section) == (passage.article, passage.section):
                in_context = read.terms | read_of[hit.row - 1].terms
        context_share.append(sum(v for t, v in context.items() if t in in_context))
        latest = passage.article in focus.latest
        if latest:
            focus_terms |= read.terms
        per_passage.append((hit.z_dense, hit.z_lexical, 1.0 if rank_ == 0 else 0.0, focus.sure if latest else 0.0,
                            float(not latest and passage.article in focus.earlier),
                            leaning.of(passage.article) if leaning.scores else 0.0,
                            float(passage.article == top_leaning)))
    if not rows:
        return rows, np.zeros((0, len(SENTENCE_FEATURES)))

    counts = np.array(sizes)
    starts = np.cumsum(counts) - counts
    spread = np.repeat(np.arange(len(counts)), counts)  # each sentence's passage
    held_ = np.array(held_rows, dtype=bool).reshape(len(rows), len(alts))
    header = np.array(header_rows, dtype=bool).reshape(len(counts), len(alts))
    before = np.zeros_like(held_)  # the sentence before, in the same passage
    before[1:] = held_[:-1]
    before[starts] = False
    after = np.zeros_like(held_)
    after[:-1] = held_[1:]
    after[starts[1:] - 1] = False
    in_header = header[spread]
    in_passage = (np.logical_or.reduceat(held_, starts) if len(alts) else header) | header

    matrix = np.zeros((len(rows), len(SENTENCE_FEATURES)))
    matrix[:, column["coverage"]] = (held_ @ w + 0.5 * ((~held_ & in_header) @ w)) / total
    matrix[:, column["window"]] = ((held_ | before | after | in_header) @ w) / total
    matrix[:, column["previous_coverage"]] = (before @ w) / total
    matrix[:, column["next_coverage"]] = (after @ w) / total
    matrix[:, column["passage_coverage"]] = ((in_passage @ w + np.array(context_share)) / context_total)[spread]
    matrix[:, column["cosine"]] = np.concatenate(cosines)
    cos = matrix[:, column["cosine"]]
    matrix[:, column["cosine_gap"]] = cos - cos.max()
    matrix[:, column["cosine_z"]] = (cos - retrieved.cosine_scale[0]) / retrieved.cosine_scale[1]
    passage_columns = [column[name] for name in ("passage_dense", "passage_lexical", "passage_first", "focus",
                                                 "focus_earlier", "conversation", "conversation_top")]
    matrix[:, passage_columns] = np.array(per_passage)[spread]
    if focus.latest and any(t and not t <= focus_terms for t in name_terms):
        matrix[:, column["focus_lacks"]] = matrix[:, column["focus"]]
    matrix[:, column["length"]] = np.concatenate([r.length for r in read_list])
    matrix[:, column["speech"]] = np.concatenate([r.speech for r in read_list])
    every = [h for r in read_list for h in r.held]
    if name_terms:
        matrix[:, column["names"]] = [sum(1 for t in name_terms if t and t <= h) / len(name_terms) for h in every]
    if asked_pairs:
        matrix[:, column["bigrams"]] = [sum(pair in j for pair in asked_pairs) / len(asked_pairs)
                                        for r in read_list for j in r.joined]
    matrix[:, column["novelty"]] = [len(h - own) / len(h) if h else 0.0 for h in every]
    if kind_column is not None and asks_for_role(q.kind, q.searched, q.terms, q.names):
        # who someone is: the evidence is a sentence giving their role ("U.S. Secretary of State Marco Rubio"),
        # not one naming others beside them
        whose = frozenset(q.terms) | {t for n in q.names for t in terms(n)}
        # (a role is given beside a name the question holds: a sentence without one is not read, 9 ms a question)
        matrix[:, kind_column] = [float(not whose.isdisjoint(h) and bool(PROPOSERS["role"](s, whose)))
                                  for r in read_list for s, h in zip(r.texts, r.held)]
    elif kind_column is not None:
        asked = q.asked_words
        matrix[:, kind_column] = [evidence(q.kind, s, asked, q.past) for r in read_list for s in r.texts]
    if q.speech and q.names:
        # Only a sentence that reports speech at all can report X's (``speaks`` looks for the same verbs), by
        # name or by a pronoun after it ("he wrote", the sentence before naming him).
        speakers = q.speakers or q.names
        matrix[:, column["speaker"]] = [
            bool(said) and (speaks(s, speakers) or speaks_after(s, before, speakers))
            for row, r in zip(read_rows, read_list)
            for s, said, before in zip(r.texts, r.speech, [_last_sentence(passages, row), *r.texts])]
    if focus.said:
        before, after = _after_answer(rows, frozenset(focus.said))
        matrix[:, column["answered_before"]] = before
        matrix[:, column["after_answer"]] = after
    return rows, matrix


# How far after a quoted sentence the next answer is still looked for (conversations walk on through a story).
AFTER_ANSWER = 3


def _after_answer(rows: Sequence[tuple[Hit, Passage, int]], said: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per sentence: whether the latest answer quoted it, and 1/k for the k-th sentence after one it quoted."""
    before = np.zeros(len(rows))
    after = np.zeros(len(rows))
    by_article: dict[str, list[tuple[int, int]]] = {}  # article -> (offset in the article, row index)
    for j, (_, passage, i) in enumerate(rows):
        a, b = passage.sentences[i]
        if passage.text[a:b] in said:
            before[j] = 1.0
        by_article.setdefault(passage.article, []).append((passage.start + a, j))
    for placed in by_article.values():
        placed.sort()
        last = None
        for position, (_, j) in enumerate(placed):
            if before[j]:
                last = position
            elif last is not None and position - last <= AFTER_ANSWER:
                after[j] = 1.0 / (position - last)
    return before, after


def rank(rows: Sequence[tuple[Hit, Passage, int]], matrix: np.ndarray, weights: Weights, k: int) -> list[Candidate]:
    """The sentences of the ``k`` passages whose best sentence scores highest, best first.

    A sentence of the article the conversation's latest answer came from scores ``weights.focus_margin``
    more: a follow-up stays on its story unless another answers it better by that much, or it names
    something that article lacks ("How high did the River Lauter peak?" after a question about a ferry).
    """
    scores = matrix @ weights.sentence if len(matrix) else np.zeros(0)
    if weights.focus_margin and len(matrix):
        scores = scores + weights.focus_margin * (matrix[:, COLUMN["focus"]] - matrix[:, COLUMN["focus_lacks"]])
    order = np.argsort(-scores, kind="stable")
    passages: list[int] = []
    for j in order:
        row = rows[j][0].row
        if row not in passages:
            passages.append(row)
    keep = set(passages[:k])
    return [Candidate(*rows[j], matrix[j], float(scores[j])) for j in order if rows[j][0].row in keep]


# What a sentence owes to the conversation rather than to the question: its article's place in it.
CONVERSATION_FEATURES = ("focus", "focus_earlier", "focus_lacks", "conversation", "conversation_top",
                         "answered_before", "after_answer")
_CONVERSATION_COLUMNS = [COLUMN[name] for name in CONVERSATION_FEATURES]


def alone_score(candidate: Candidate, weights: Weights) -> float:
    """A candidate's score without what the conversation adds (its features above and the focus margin): how
    well the sentence answers the question by itself."""
    f = candidate.features
    lift = float(f[_CONVERSATION_COLUMNS] @ weights.sentence[_CONVERSATION_COLUMNS])
    if weights.focus_margin:
        lift += weights.focus_margin * (f[COLUMN["focus"]] - f[COLUMN["focus_lacks"]])
    return candidate.score - lift


def answerability_features(q: Question, candidates: Sequence[Candidate], vocabulary: Vocabulary,
                           weights: Weights) -> np.ndarray:
    """The question-level features (``ANSWERABILITY_FEATURES``) of its best candidates.

    For a question that leans on no earlier turn and asks only about words no article holds
    (``Question.stray``), the best score is the best sentence's without the conversation's part
    (``alone_score``): it is as answerable inside a conversation as alone. With that part, "What's the weather
    in Kyiv?" asked fourth was answered, 0.70 sure (0.04 asked first)."""
    best = candidates[0]
    idf = {t: vocabulary.idf(t) for t in q.terms}
    total = sum(idf.values()) or 1.0
    unknown = [t for t in q.unknown if t in idf]
    column = COLUMN
    kind_column = column.get(f"evidence_{q.kind}") if q.kind in _KINDS_WITH_EVIDENCE else None
    evidence_missing = bool(kind_column is not None and not any(c.features[kind_column] > 0 for c in candidates))
    kind_missing = bool(kind_column is not None and best.features[kind_column] <= 0)
    fused = max(c.hit.score for c in candidates)
    name_terms = {t for n in q.names for t in terms(n)}
    best_terms = names_held(q, best, candidates)
    named = {t: v for t, v in idf.items() if t in name_terms}
    return np.array([
        alone_score(best, weights) if q.stray else best.score,
        best.features[column["coverage"]],
        best.features[column["cosine"]],
        max(c.features[column["cosine"]] for c in candidates),
        max(c.features[column["cosine_z"]] for c in candidates),
        best.features[column["passage_coverage"]],
        fused,
        sum(idf[t] for t in unknown) / total,
        len(unknown),
        1.0 if only_unknown(q.terms, q.names, q.unknown) else 0.0,
        1.0 if evidence_missing else 0.0,
        1.0 if kind_missing else 0.0,
        _list_support(q, candidates),
        math.log(1 + len(q.terms)),
        sum(v for t, v in named.items() if t in best_terms) / total,
        sum(v for t, v in named.items() if t not in best_terms) / total,
        1.0 if q.speech and q.names and not any(c.features[column["speaker"]] > 0 for c in candidates) else 0.0,
    ], dtype=np.float64)


def names_held(q: Question, best: Candidate, candidates: Sequence[Candidate]) -> frozenset[str]:
    """The terms of the best sentence, and in a question about someone, the first names of the people it
    names whose surname that sentence holds where no candidate gives the surname another first name: "Who is
    Vladimir Putin?" of an article that says only "Putin" is about him; "Who is Melania Trump?" of one that says
    "President Donald Trump" is not."""
    found = held(best)
    extra = set()
    for name in q.names if q.kind in ("person", "quote") else ():  # as ``question.analyse`` gates them
        parts = name.split()
        if len(parts) < 2 or not set(terms(parts[-1])) <= found:
            continue
        if not any(paired_otherwise(c.sentence, name) for c in candidates):
            extra |= {t for p in parts[:-1] for t in terms(p)}
    return found | extra


def _list_support(q: Question, candidates: Sequence[Candidate]) -> float:
    """How many sentences (up to 3) name people and hold every term a list-of-people question asks."""
    if not (q.is_list and q.kind == "person") or q.unknown or not q.terms:
        return 0.0
    full = [c for c in candidates if c.feature("coverage") >= 0.999 and c.feature("evidence_person") > 0
            and not is_speech(c.sentence) and c.passage.section != END_MATTER]
    return float(min(3, len(full)))


_PAIRS = np.triu_indices(len(ANSWERABILITY_FEATURES))


def answerability_terms(x: np.ndarray) -> np.ndarray:
    """The answerability features and their products two by two (``features.ANSWERABILITY_TERMS``)."""
    x = np.asarray(x, dtype=np.float64)
    return np.concatenate([x, x[..., _PAIRS[0]] * x[..., _PAIRS[1]]], axis=-1)


def sure_of(x: np.ndarray, weights: Weights) -> float:
    """The fitted probability that a question is answered, from its answerability features ``x``."""
    score = float(answerability_terms(x) @ weights.answerable + weights.answerable_bias)
    return 1 / (1 + math.exp(-max(-700.0, min(700.0, score))))


def answerability(q: Question, candidates: Sequence[Candidate], vocabulary: Vocabulary, weights: Weights) -> float:
    """Calibrated probability that the articles answer the question (from its best candidates)."""
    if not candidates:
        return 0.0
    return sure_of(answerability_features(q, candidates, vocabulary, weights), weights)


def shares(candidates: Sequence[Candidate]) -> np.ndarray:
    """Each candidate's share of the answer: the softmax of the fitted scores, 0..1."""
    if not candidates:
        return np.zeros(0)
    scores = np.array([c.score for c in candidates])
    e = np.exp(scores - scores.max())
    return e / e.sum()
