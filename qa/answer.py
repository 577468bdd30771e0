"""Answers: the question and its retrieved passages become a short cited answer.

Extractive: every sentence of an answer is the article's own, followed by its
citation marker ``[n]``, so citations are true by construction. Each sentence
of the retrieved passages is described by a few features (the share of the
question's terms it holds, its cosine to the question, its passage's score,
the evidence the question's kind prefers, ...) and scored with weights fitted
on labelled questions (``qa/weights.py``, refit by ``python -m qa fit``).
The question is refused, with the closest passages still cited, when a named
thing it asks about is absent from every article, or when the calibrated
answerability of the best sentence is below the threshold. Lists ("Who
attended?") gather every sentence that names people. Leaves out: question
analysis (``question.py``) and generated (LLM) answers.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np

from .articles import END_MATTER, LEAD, Passage, embed_text
from .question import KIND_NAMES, Question, SentenceFacts, evidence, is_speech, needs_evidence, related
from .retrieve import Hit
from .sentences import terms, words
from .store import facts_of
from .vocabulary import Vocabulary
from .weights import Weights


@dataclass(frozen=True)
class Citation:
    """One numbered source: the passage and the sentence of it the answer uses."""

    n: int
    article: str
    section: str
    text: str
    sentence: str
    score: float  # the sentence's share of the answer (0..1): how likely it holds it, among the candidates
    title: str = ""
    paragraphs: tuple[int, int] = (0, 0)
    start: int = 0  # offset of the passage in the repaired article text
    sentence_start: int = 0  # offset of the sentence in ``text``

    @property
    def section_label(self) -> str:
        return {LEAD: "Lead", END_MATTER: "End matter"}.get(self.section, self.section)


@dataclass(frozen=True)
class Answer:
    """What ``ask()`` returns: the answer text with ``[n]`` markers and its sources.

    ``confidence`` is the calibrated probability (0..1) that the articles
    answer the question; ``searched`` is what was searched when the question
    was cleaned up (markup, a long preamble, typos), else the question itself.
    """

    text: str
    answered: bool
    citations: list[Citation] = field(default_factory=list)
    question: str = ""
    confidence: float = 0.0
    searched: str = ""

    @property
    def searched_differs(self) -> bool:
        """Whether the search read the question differently from how it was typed."""
        return bool(self.searched) and _plain(self.searched) != _plain(self.question)

    def __str__(self) -> str:
        lines = [f"Searched for: {self.searched}", ""] if self.searched_differs else []
        lines.append(self.text)
        if self.citations:
            lines.append("")
            lines.append("Sources:" if self.answered else "Closest passages:")
            for c in self.citations:
                where = f"{c.title} > {c.section_label}" if c.title else c.section_label
                lines.append(f"[{c.n}] {where} (paragraph {_para(c.paragraphs)}, score {c.score:.2f})")
                lines.append(f"    {c.sentence}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready form: the same shape the API and ``--json`` give."""
        data = asdict(self)
        for c in data["citations"]:
            c["paragraphs"] = list(c["paragraphs"])
            c["section_label"] = {LEAD: "Lead", END_MATTER: "End matter"}.get(c["section"], c["section"])
        return data


def _plain(text: str) -> str:
    return " ".join(words(text))


def _para(span: tuple[int, int]) -> str:
    return str(span[0]) if span[0] == span[1] else f"{span[0]}-{span[1]}"


# ---------------------------------------------------------------- features

# What describes a sentence as an answer; the fitted weights name them in this order.
SENTENCE_FEATURES = (
    "coverage",  # share of the question's IDF weight the sentence holds (its header counts half)
    "window",  # the same over the sentence and its neighbours
    "previous_coverage",  # the same for the sentence before (the question's words there, the answer here)
    "next_coverage",  # and for the sentence after
    "passage_coverage",  # the same over the whole passage (and the conversation's terms, at half)
    "names",  # share of the question's named things the sentence holds
    "bigrams",  # share of the question's word pairs the sentence holds in order
    "cosine",  # cosine of the sentence (pooled in its passage) to the question
    "cosine_gap",  # that cosine minus the best of any candidate sentence
    "cosine_z",  # that cosine in standard deviations above the question's mean cosine to the corpus's sentences
    "passage_dense",  # the passage's cosine, in standard deviations above the corpus's mean
    "passage_lexical",  # the passage's BM25 score, the same way
    "passage_first",  # 1 for the passage retrieval ranked first
    "novelty",  # share of the sentence's terms the question does not hold
    "length",  # log of the sentence's length in words
    "speech",  # the sentence reports speech (said, wrote, called)
    *(f"evidence_{kind}" for kind in KIND_NAMES[1:]),  # the evidence the question's kind prefers
)
# What says whether the articles answer the question at all.
ANSWERABILITY_FEATURES = (
    "best_score",  # the best sentence's fitted score
    "best_coverage",
    "best_cosine",
    "max_cosine",  # the best cosine of any candidate sentence
    "max_cosine_z",  # the same on the question's own scale (``cosine_z``)
    "passage_coverage",  # of the best sentence's passage
    "top_passage_score",
    "unknown_share",  # share of the question's IDF weight on terms no article holds
    "unknown_count",
    "focus_unknown",  # 1 when every word asked about the question's names is one no article holds
    "evidence_missing",  # a how-many/when question and no candidate holds a number/time
    "list_support",  # for a list of people: sentences naming people that hold every term asked (up to 3)
    "term_count",  # log(1 + the question's content terms)
)


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
        return float(self.features[SENTENCE_FEATURES.index(name)])


@dataclass(frozen=True)
class _Read:
    """What scoring needs of a passage's sentences, worked out once per passage."""

    header: frozenset[str]
    texts: tuple[str, ...]  # each sentence
    held: tuple[frozenset[str], ...]  # each sentence's terms
    pairs: tuple[frozenset[tuple[str, str]], ...]  # each sentence's adjacent term pairs
    length: np.ndarray  # log(1 + words) per sentence
    speech: np.ndarray  # 1 where the sentence reports speech
    terms: frozenset[str]  # every term of the passage and its header


def _read(passage: Passage, facts: Sequence[SentenceFacts]) -> _Read:
    held = tuple(frozenset(t) for t, _, _ in facts)
    header = frozenset(terms(embed_text(passage.section, "")))
    return _Read(header, tuple(passage.text[a:b] for a, b in passage.sentences), held,
                 tuple(frozenset(zip(t, t[1:])) for t, _, _ in facts),
                 np.array([math.log(1 + n) for _, n, _ in facts]),
                 np.array([1.0 if speech else 0.0 for _, _, speech in facts]),
                 header.union(*held))


_READS: OrderedDict[Passage, _Read] = OrderedDict()  # the latest passages read, by any store
READS_KEPT = 100_000


def reads(passages: Sequence[Passage], rows: Sequence[int],
          facts: Callable[[list[int]], list[list[SentenceFacts]]] | None = None) -> dict[int, _Read]:
    """What scoring needs of the sentences of ``passages[row]`` for each row; ``facts``: the store's, for rows not kept.

    Without ``facts`` they are worked out from the text (``facts_of``).
    """
    out: dict[int, _Read] = {}
    missing: list[int] = []
    for row in dict.fromkeys(rows):
        read = _READS.get(passages[row])
        if read is None:
            missing.append(row)
        else:
            _READS.move_to_end(passages[row])
            out[row] = read
    if missing:
        found = facts(missing) if facts is not None else [facts_of(passages[r]) for r in missing]
        for row, sentences in zip(missing, found):
            out[row] = _READS[passages[row]] = _read(passages[row], sentences)
        while len(_READS) > READS_KEPT:
            _READS.popitem(last=False)
    return out


def sentence_features(
    q: Question,
    hits: Sequence[Hit],
    passages: Sequence[Passage],
    sentence_cosines: Callable[[int], np.ndarray],
    vocabulary: Vocabulary,
    cosine_scale: tuple[float, float] = (0.0, 1.0),
    facts: Callable[[list[int]], list[list[SentenceFacts]]] | None = None,
) -> tuple[list[tuple[Hit, Passage, int]], np.ndarray]:
    """Every sentence of the retrieved passages and its feature row (``SENTENCE_FEATURES``).

    ``cosine_scale`` is the question's mean cosine to the corpus's sentences
    and its spread (``Retriever.sentence_scale``); ``facts`` the store's
    ``sentence_facts`` (see ``reads``). Each feature is one array operation
    over the sentences of every passage: this runs on every question.
    """
    # Coverage is of the terms the articles know (a term is held when any of its
    # family is): an unknown term lowers every sentence alike, and the
    # answerability model weighs the unknown share on its own.
    alts = [f for f in (related(t) for t in q.terms) if any(vocabulary.knows(a) for a in f)]
    w = np.array([min(vocabulary.idf(a) for a in family if vocabulary.knows(a)) for family in alts])
    total = float(w.sum()) or 1.0
    context = {t: 0.5 * vocabulary.idf(t) for t in q.context_terms}
    context_total = total + sum(context.values())
    name_terms = [frozenset(terms(n)) for n in q.names]
    asked_pairs = set(zip(q.terms, q.terms[1:]))
    own = frozenset(q.terms)
    column = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
    kind_column = column.get(f"evidence_{q.kind}")

    rows: list[tuple[Hit, Passage, int]] = []
    read_list: list[_Read] = []
    held_rows: list[list[bool]] = []
    header_rows: list[list[bool]] = []
    sizes: list[int] = []  # sentences per passage
    cosines: list[np.ndarray] = []
    context_share: list[float] = []
    per_passage: list[tuple[float, float, float]] = []  # z_dense, z_lexical, first
    before_rows = [h.row - 1 for h in hits if h.row > 0] if context else []  # "he" was named a paragraph back
    read_of = reads(passages, [h.row for h in hits] + before_rows, facts)
    for rank_, hit in enumerate(hits):
        passage = passages[hit.row]
        read = read_of[hit.row]
        n = len(read.held)
        if not n:
            continue
        read_list.append(read)
        sizes.append(n)
        rows.extend((hit, passage, i) for i in range(n))
        held_rows.extend([bool(f & h) for f in alts] for h in read.held)
        header_rows.append([bool(f & read.header) for f in alts])
        c = sentence_cosines(hit.row)
        cosines.append(c[:n] if len(c) >= n else np.resize(c, n))
        in_context = read.terms
        if context and hit.row > 0:
            previous = passages[hit.row - 1]
            if (previous.article, previous.section) == (passage.article, passage.section):
                in_context = read.terms | read_of[hit.row - 1].terms
        context_share.append(sum(v for t, v in context.items() if t in in_context))
        per_passage.append((hit.z_dense, hit.z_lexical, 1.0 if rank_ == 0 else 0.0))
    if not rows:
        return rows, np.zeros((0, len(SENTENCE_FEATURES)))

    counts = np.array(sizes)
    starts = np.cumsum(counts) - counts
    spread = np.repeat(np.arange(len(counts)), counts)  # each sentence's passage
    held = np.array(held_rows, dtype=bool).reshape(len(rows), len(alts))
    header = np.array(header_rows, dtype=bool).reshape(len(counts), len(alts))
    before = np.zeros_like(held)  # the sentence before, in the same passage
    before[1:] = held[:-1]
    before[starts] = False
    after = np.zeros_like(held)
    after[:-1] = held[1:]
    after[starts[1:] - 1] = False
    in_header = header[spread]
    in_passage = (np.logical_or.reduceat(held, starts) if len(alts) else header) | header

    matrix = np.zeros((len(rows), len(SENTENCE_FEATURES)))
    matrix[:, column["coverage"]] = (held @ w + 0.5 * ((~held & in_header) @ w)) / total
    matrix[:, column["window"]] = ((held | before | after | in_header) @ w) / total
    matrix[:, column["previous_coverage"]] = (before @ w) / total
    matrix[:, column["next_coverage"]] = (after @ w) / total
    matrix[:, column["passage_coverage"]] = ((in_passage @ w + np.array(context_share)) / context_total)[spread]
    matrix[:, column["cosine"]] = np.concatenate(cosines)
    cos = matrix[:, column["cosine"]]
    matrix[:, column["cosine_gap"]] = cos - cos.max()
    matrix[:, column["cosine_z"]] = (cos - cosine_scale[0]) / cosine_scale[1]
    passage_columns = [column["passage_dense"], column["passage_lexical"], column["passage_first"]]
    matrix[:, passage_columns] = np.array(per_passage)[spread]
    matrix[:, column["length"]] = np.concatenate([r.length for r in read_list])
    matrix[:, column["speech"]] = np.concatenate([r.speech for r in read_list])
    every = [h for r in read_list for h in r.held]
    if name_terms:
        matrix[:, column["names"]] = [sum(1 for t in name_terms if t and t <= h) / len(name_terms) for h in every]
    if asked_pairs:
        matrix[:, column["bigrams"]] = [len(asked_pairs & p) / len(asked_pairs) for r in read_list for p in r.pairs]
    matrix[:, column["novelty"]] = [len(h - own) / len(h) if h else 0.0 for h in every]
    if kind_column is not None:
        asked = q.asked_words
        matrix[:, kind_column] = [evidence(q.kind, s, asked, q.past) for r in read_list for s in r.texts]
    return rows, matrix


def rank(rows: Sequence[tuple[Hit, Passage, int]], matrix: np.ndarray, weights: Weights, k: int) -> list[Candidate]:
    """The sentences of the ``k`` passages whose best sentence scores highest, best first."""
    scores = matrix @ weights.sentence if len(matrix) else np.zeros(0)
    order = np.argsort(-scores, kind="stable")
    passages: list[int] = []
    for j in order:
        row = rows[j][0].row
        if row not in passages:
            passages.append(row)
    keep = set(passages[:k])
    return [Candidate(*rows[j], matrix[j], float(scores[j])) for j in order if rows[j][0].row in keep]


def answerability_features(q: Question, candidates: Sequence[Candidate], vocabulary: Vocabulary) -> np.ndarray:
    """The question-level features (``ANSWERABILITY_FEATURES``) of its best candidates."""
    best = candidates[0]
    idf = {t: vocabulary.idf(t) for t in q.terms}
    total = sum(idf.values()) or 1.0
    unknown = [t for t in q.unknown if t in idf]
    column = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
    kind_column = column.get(f"evidence_{q.kind}")
    evidence_missing = bool(needs_evidence(q.kind) and kind_column is not None
                            and not any(c.features[kind_column] > 0 for c in candidates))
    fused = max(c.hit.score for c in candidates)
    return np.array([
        best.score,
        best.features[column["coverage"]],
        best.features[column["cosine"]],
        max(c.features[column["cosine"]] for c in candidates),
        max(c.features[column["cosine_z"]] for c in candidates),
        best.features[column["passage_coverage"]],
        fused,
        sum(idf[t] for t in unknown) / total,
        len(unknown),
        1.0 if _focus_unknown(q) else 0.0,
        1.0 if evidence_missing else 0.0,
        _list_support(q, candidates),
        math.log(1 + len(q.terms)),
    ], dtype=np.float64)


def _focus_unknown(q: Question) -> bool:
    """Whether the question asks about something no article holds a word for ("How old is Rubio?": old)."""
    name_terms = {t for n in q.names for t in terms(n)}
    focus = [t for t in q.terms if t not in name_terms]
    return bool(focus) and all(t in q.unknown for t in focus)


def _list_support(q: Question, candidates: Sequence[Candidate]) -> float:
    """How many sentences (up to 3) name people and hold every term a list-of-people question asks."""
    if not (q.is_list and q.kind == "person") or q.unknown or not q.terms:
        return 0.0
    full = [c for c in candidates if c.feature("coverage") >= 0.999 and c.feature("evidence_person") > 0
            and not is_speech(c.sentence) and c.passage.section != END_MATTER]
    return float(min(3, len(full)))


def answerability(q: Question, candidates: Sequence[Candidate], vocabulary: Vocabulary, weights: Weights) -> float:
    """Calibrated probability that the articles answer the question (from its best candidates)."""
    if not candidates:
        return 0.0
    x = answerability_features(q, candidates, vocabulary)
    return float(1 / (1 + math.exp(-(x @ weights.answerable + weights.answerable_bias))))


# ---------------------------------------------------------------- composing


def shares(candidates: Sequence[Candidate]) -> np.ndarray:
    """Each candidate's share of the answer: the softmax of the fitted scores, 0..1."""
    if not candidates:
        return np.zeros(0)
    scores = np.array([c.score for c in candidates])
    e = np.exp(scores - scores.max())
    return e / e.sum()


def choose(q: Question, candidates: Sequence[Candidate], weights: Weights, limit: int, list_limit: int) -> list[Candidate]:
    """The answer's sentences: the best, then those likely enough to hold the answer too.

    A list of people ("Who attended?") gathers, within ``list_margin`` of the
    best, every sentence naming people, but not those quoting what someone
    said (a commentator is not a participant) nor the credits.
    """
    if not candidates:
        return []
    share = shares(candidates)
    gather = q.is_list and q.kind == "person"
    pool = list(zip(candidates, share))
    if gather:
        # Sentences naming people (not quoting them, not the credits) that hold
        # what is asked: the question's most specific term the best one holds.
        named = [(c, p) for c, p in pool if c.feature("evidence_person") > 0 and c.passage.section != END_MATTER
                 and not (is_speech(c.sentence) and not q.speech)]
        key = _key_family(q, named[0][0], candidates) if named else frozenset()
        pool = [(c, p) for c, p in named if not key or key & _held(c)] or pool[:1]
    best = pool[0][0]
    chosen = [best]
    seen = {best.sentence.strip().lower()}
    cap = list_limit if gather else limit
    for cand, p in pool[1:]:
        if len(chosen) >= cap:
            break
        if (cand.score < best.score - weights.list_margin) if gather else (p < weights.keep_share):
            break
        key = cand.sentence.strip().lower()
        if key in seen or len(words(cand.sentence)) < 4:
            continue
        seen.add(key)
        chosen.append(cand)
    return chosen


def _held(cand: Candidate) -> frozenset[str]:
    read = _READS.get(cand.passage) or _read(cand.passage, facts_of(cand.passage))  # read when it was scored
    return read.held[cand.index]


def _key_family(q: Question, best: Candidate, candidates: Sequence[Candidate]) -> frozenset[str]:
    """The family of the question's term that ``best`` holds and the fewest candidate sentences do."""
    held = _held(best)
    families = [related(t) for t in q.terms if related(t) & held]
    if not families:
        return frozenset()
    return min(families, key=lambda f: sum(1 for c in candidates if f & _held(c)))


def compose(
    q: Question,
    candidates: Sequence[Candidate],
    sure: float,
    threshold: float,
    weights: Weights,
    limit: int = 3,
    list_limit: int = 4,
) -> Answer:
    """The ``Answer``: chosen sentences in article order with ``[n]``, or a plain refusal.

    ``sure`` is the calibrated answerability; below ``threshold`` the question is refused.
    """
    if not candidates:
        return Answer("The articles don't say: there is nothing to search.", False, [], q.text, 0.0, q.searched)
    if q.absent or sure < threshold:
        return refuse(q, candidates, sure)
    chosen = choose(q, candidates, weights, limit, list_limit)
    share = dict(zip(map(id, candidates), shares(candidates)))
    chosen.sort(key=lambda c: (c.passage.article, c.passage.start + c.passage.sentences[c.index][0]))
    citations = [_cite(n, c, share[id(c)]) for n, c in enumerate(chosen, 1)]
    text = " ".join(f"{c.sentence} [{cit.n}]" for c, cit in zip(chosen, citations))
    return Answer(text, True, citations, q.text, round(sure, 3), q.searched)


def refuse(q: Question, candidates: Sequence[Candidate], sure: float) -> Answer:
    """A plain "the articles don't say", with the closest passages as numbered sources."""
    if q.absent:
        listed = ", ".join(f'"{w}"' for w in q.absent[:3])
        text = f"The articles don't say: they never mention {listed}."
    else:
        text = "The articles don't say. The closest passages are listed below."
    closest: list[Candidate] = []
    rows: set[int] = set()
    for cand in candidates:
        if cand.hit.row not in rows:
            rows.add(cand.hit.row)
            closest.append(cand)
        if len(closest) == 3:
            break
    share = dict(zip(map(id, candidates), shares(candidates)))
    citations = [_cite(n, c, share[id(c)]) for n, c in enumerate(closest, 1)]
    return Answer(text, False, citations, q.text, round(sure, 3), q.searched)


def _cite(n: int, cand: Candidate, share: float) -> Citation:
    p = cand.passage
    return Citation(
        n=n,
        article=p.article,
        section=p.section,
        text=p.text,
        sentence=cand.sentence,
        score=round(float(share), 3),
        title=p.title,
        paragraphs=p.paragraphs,
        start=p.start,
        sentence_start=p.sentences[cand.index][0],
    )
