"""Answers: the question and its retrieved passages become a short cited answer.

Extractive: every sentence of an answer is the article's own, followed by its
citation marker ``[n]``, so citations are true by construction. Sentences are
scored by the share of the question's IDF weight they hold, their cosine to
the question, their passage's retrieval score, and how well they fit the kind
of question (who -> people, how many -> numbers, where -> places, when ->
dates, what did X say -> quotes). A question is refused, with the closest
passages still cited, when it names something no article mentions or when no
sentence is a confident match. Leaves out: generated (LLM) answers.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np

from .articles import END_MATTER, LEAD, Passage, embed_text
from .retrieve import Hit
from .sentences import STOPWORDS, terms, words

QUESTION_WORDS = frozenset(
    "who whom whose what which where when why how is are was were do does did can could "
    "will would should has have had tell list name names give many much anyone anybody someone "
    "somebody anything something".split()
)
# Words that frame a question rather than name what it is about: their absence
# from the articles says nothing ("What happened in Dnipro?").
FRAME_WORDS = frozenset(
    """happen happened happens happening role roles stand stands mean means meaning post posted
    thing things kind type sort result results outcome purpose reason reasons event events news
    story situation issue issues topic topics main key point points summary summarize summarise
    describe described explain explained involved involvement know known learn find fact facts
    detail details information mention mentioned job position title called call name named
    important significance significant happened get got like""".split()
)

# Kinds of question and the evidence each prefers.
_KINDS = [
    ("number", re.compile(r"\b(how (many|much|long|old|far|big|large)|what (number|percentage|share))\b")),
    ("quote", re.compile(r"\b(what|how) (did|does|do|has|have) .{1,60}\b(say|said|write|wrote|tell|told|"
                         r"call|called|describe|described|post|posted|add|added|state|stated)\b")),
    ("person", re.compile(r"^(who|whom|whose)\b|\b(which|what) (\w+ ){0,2}(officials?|people|persons?|"
                          r"leaders?|ministers?|diplomats?|envoys?|participants?|president|secretary|"
                          r"spokes(wo)?man|spokesperson|adviser|advisor|reporters?|writers?)\b")),
    ("place", re.compile(r"^where\b|\b(which|what) (city|country|countries|place|capital|town|region)\b")),
    ("date", re.compile(r"^when\b|\b(what|which) (day|date|time|year|month|week)\b")),
    ("reason", re.compile(r"^why\b|\bwhat (caused|led to)\b|\bfor what reason\b")),
]
_LIST = re.compile(
    r"\b(who (attended|participated|took part|joined|was there|were there|was at|were at|met|were)|"
    r"participants|attendees|delegat\w*|who .* (officials|people)|which (countries|officials|people|leaders)|"
    r"list|name (the|all))\b"
)
_NUMBER = re.compile(
    r"\b(\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozens?|once|twice|thrice|half|several|percent)\b|%",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|"
    r"june|july|august|september|october|november|december|yesterday|today|tomorrow|tonight|"
    r"(next|last|this) (week|month|year)|\d{4}|morning|night|earlier|later|weeks?|months?)\b",
    re.IGNORECASE,
)
_PLACE = re.compile(r"\b(in|at|to|from|near|across) (the )?[A-Z][a-z]+")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?: [A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)+")
# Counted nouns an answer gives in other words ("180 million dollars" for money).
GENERIC_COUNTS = frozenset("money time times people persons percent cost costs".split())
_COUNTED = re.compile(r"\bhow (many|much) ([a-z][a-z'-]+)")
_QUOTE = re.compile(r"[\"\u201c\u201d]")
_REASON = re.compile(r"\b(because|due to|since|as a result|caused|after|when|so that|in order to|blamed|"
                     r"owing to|led to|stopped|failed)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Citation:
    """One numbered source: the passage and the sentence of it the answer uses."""

    n: int
    article: str
    section: str
    text: str
    sentence: str
    score: float
    title: str = ""
    paragraphs: tuple[int, int] = (0, 0)
    start: int = 0  # offset of the passage in the repaired article text
    sentence_start: int = 0  # offset of the sentence in ``text``

    @property
    def section_label(self) -> str:
        return {LEAD: "Lead", END_MATTER: "End matter"}.get(self.section, self.section)


@dataclass(frozen=True)
class Answer:
    """What ``ask()`` returns: the answer text with ``[n]`` markers and its sources."""

    text: str
    answered: bool
    citations: list[Citation] = field(default_factory=list)
    question: str = ""
    confidence: float = 0.0

    def __str__(self) -> str:
        lines = [self.text]
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


def _para(span: tuple[int, int]) -> str:
    return str(span[0]) if span[0] == span[1] else f"{span[0]}-{span[1]}"


@dataclass(frozen=True)
class Question:
    """What answering needs to know about a question."""

    text: str
    kind: str  # number, quote, person, place, date, or other
    is_list: bool
    terms: tuple[str, ...]
    context_terms: tuple[str, ...]  # from the conversation, weighted less
    names: tuple[str, ...]  # capitalised words: people, places, organisations
    focus: tuple[str, ...] = ()  # other content words: what is asked about the names

    @property
    def focus_terms(self) -> set[str]:
        return {t for w in self.focus for t in terms(w)}


def analyse(question: str, context: str = "") -> Question:
    """Kind of question, its terms and the names it mentions.

    >>> q = analyse("Who did Rubio speak with by phone?")
    >>> q.kind, q.is_list, q.names
    ('person', False, ('Rubio',))
    """
    low = question.lower().strip()
    kind = next((name for name, pattern in _KINDS if pattern.search(low)), "other")
    own = tuple(dict.fromkeys(terms(question)))
    extra = context[: max(0, len(context) - len(question))] if context.endswith(question) else ""
    context_terms = tuple(t for t in dict.fromkeys(terms(extra)) if t not in own)
    tokens = re.findall(r"[A-Za-z][\w'\u2019-]*", question)
    names = []
    for i, token in enumerate(tokens):
        bare = re.sub(r"['\u2019]s$", "", token)
        if i == 0 or not bare[:1].isupper() or bare.lower() in QUESTION_WORDS or bare.lower() in STOPWORDS:
            continue
        names.append(bare)
    name_terms = set(terms(" ".join(names)))
    focus = [w for w in words(question) if w not in STOPWORDS and w not in QUESTION_WORDS
             and w not in FRAME_WORDS and terms(w) and not set(terms(w)) & name_terms]
    return Question(question, kind, bool(_LIST.search(low)), own, context_terms,
                    tuple(dict.fromkeys(names)), tuple(dict.fromkeys(focus)))


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, with its score parts."""

    hit: Hit
    passage: Passage
    index: int  # sentence number within the passage
    lexical: float
    cosine: float
    fit: float
    score: float

    @property
    def sentence(self) -> str:
        a, b = self.passage.sentences[self.index]
        return self.passage.text[a:b]


def kind_fit(kind: str, sentence: str) -> float:
    """How well a sentence holds the kind of thing a question asks for, 0..1."""
    if kind == "number":
        return 1.0 if _NUMBER.search(sentence) else 0.0
    if kind == "date":
        return 1.0 if _DATE.search(sentence) else 0.0
    if kind == "place":
        return 1.0 if _PLACE.search(sentence) else 0.0
    if kind == "person":
        return min(1.0, len(_NAME.findall(sentence)) / 2)
    if kind == "quote":
        return 1.0 if _QUOTE.search(sentence) else 0.0
    if kind == "reason":
        return 1.0 if _REASON.search(sentence) else 0.0
    return 0.0


# Weights of the score parts; measured on labelled questions (see README),
# term coverage and cosine together beat either alone.
W_LEXICAL, W_COSINE, W_PASSAGE, W_FIT, W_CONTEXT, W_HEADER = 1.0, 1.0, 0.3, 0.25, 0.5, 0.5


@lru_cache(maxsize=100_000)
def sentence_terms(text: str) -> frozenset[str]:
    """A sentence's terms, stemmed once: the same sentences come back question after question."""
    return frozenset(terms(text))


def score_sentences(
    q: Question,
    hits: Sequence[Hit],
    passages: Sequence[Passage],
    sentence_cosines: Callable[[int], np.ndarray],
    idf: Callable[[str], float],
) -> list[Candidate]:
    """Every sentence of the retrieved passages, scored for this question, best first."""
    # A term no article holds weighs the most: it lowers every sentence alike,
    # so it changes no ranking, but it lowers the confidence of the answer.
    weights = {t: idf(t) for t in q.terms}
    total = sum(weights.values()) or 1.0
    context_weights = {t: idf(t) for t in q.context_terms}
    context_total = sum(context_weights.values()) or 1.0
    out: list[Candidate] = []
    for hit in hits:
        passage = passages[hit.row]
        cosines = sentence_cosines(hit.row)
        prior = 1 / (1 + math.exp(-hit.score / 2))
        # A sentence is read under its section header, as its passage was
        # embedded: "Why was the ferry late?" matches under "Why it was late".
        header = set(terms(embed_text(passage.section, "")))
        # A follow-up's referent ("he" = Yermak) is often named a paragraph or two
        # before the answer: the conversation's terms count across the passage
        # and the one before it in the same section.
        in_passage: set[str] = set()
        if q.context_terms:
            before = passages[hit.row - 1] if hit.row > 0 else None
            same = before is not None and (before.article, before.section) == (passage.article, passage.section)
            in_passage = set(terms(passage.text + (" " + before.text if same else "")))
        context = sum(w for t, w in context_weights.items() if t in in_passage) / context_total
        for i, (a, b) in enumerate(passage.sentences):
            text = passage.text[a:b]
            held = sentence_terms(text)
            lexical = sum(w * (1.0 if t in held else W_HEADER if t in header else 0.0)
                          for t, w in weights.items()) / total
            fit = kind_fit(q.kind, text)
            cosine = float(cosines[i]) if i < len(cosines) else 0.0
            score = (W_LEXICAL * lexical + W_COSINE * cosine + W_PASSAGE * prior + W_FIT * fit
                     + W_CONTEXT * context * bool(q.context_terms))
            out.append(Candidate(hit, passage, i, lexical, cosine, fit, score))
    out.sort(key=lambda c: -c.score)
    return out


def absent_words(q: Question, known: Callable[[str], bool]) -> list[str]:
    """Words of the question that show the articles cannot answer it.

    A name no article mentions ("capital of Peru"), or, except for who-questions
    (asked about people by other words: "attended" for "joined"), a question
    whose every other content word is absent ("How old is Rubio?": "old").

    >>> q = analyse("What is the capital of Peru?")
    >>> absent_words(q, lambda t: t in {"capit"})
    ['Peru']
    >>> absent_words(analyse("How many troops will the coalition send?"), lambda t: t in {"coalit", "send"})
    ['troops']
    """
    missing = [name for name in q.names if not any(known(t) for t in terms(name))]
    if q.focus and q.kind != "person" and not any(known(t) for t in q.focus_terms):
        missing += q.focus
    counted = _COUNTED.search(q.text.lower())
    noun = counted.group(2) if counted else ""
    if noun not in GENERIC_COUNTS and terms(noun) and not any(known(t) for t in terms(noun)):
        missing.append(noun)  # "How many troops ...?" where no article counts troops
    return missing


def choose(q: Question, candidates: Sequence[Candidate], keep_ratio: float, limit: int, list_limit: int) -> list[Candidate]:
    """The answer's sentences: the best, then near-best ones (more for lists), no repeats."""
    if not candidates:
        return []
    best = candidates[0]
    if q.kind in NEEDS_FIT and not best.fit:
        # "How many ...?" is not answered by a sentence without a number.
        fitting = [c for c in candidates if c.fit and c.score >= FIT_RATIO * best.score]
        if not fitting:
            return []
        best = fitting[0]
    cap = list_limit if q.is_list else limit
    ratio = keep_ratio - (0.1 if q.is_list else 0.0)
    chosen = [best]
    seen = {best.sentence.strip().lower()}
    for cand in candidates:
        if len(chosen) >= cap or cand.score < ratio * best.score:
            break
        key = cand.sentence.strip().lower()
        if key in seen or len(words(cand.sentence)) < 4:
            continue
        if q.is_list and q.kind == "person" and cand.fit < 1 and cand is not best:
            continue  # a list of people gathers sentences naming two or more
        seen.add(key)
        chosen.append(cand)
    return chosen


# Kinds whose answer must hold its kind of evidence, and how far below the
# best sentence a fitting one may score and still be taken instead.
NEEDS_FIT = ("number", "date")
FIT_RATIO = 0.75


# Below this cosine, a best sentence holding none of the question's focus
# words is taken as not answering it: on our labelled sets this refused 14 of
# 19 unanswerable questions and no answerable one that was answered right.
FOCUS_MIN_COSINE = 0.5


def off_focus(q: Question, best: Candidate) -> bool:
    """Whether the best sentence misses what the question asks about its names.

    "How many volunteers did the Red Cross send?" is not answered by a Red Cross
    sentence about meals: it holds none of "volunteers", "send".
    """
    if not q.focus:
        return False
    held = set(terms(embed_text(best.passage.section, best.sentence)))
    return not (held & q.focus_terms) and best.cosine < FOCUS_MIN_COSINE


def confidence(best: Candidate) -> float:
    """How sure the best sentence is an answer: term coverage, cosine, and fit to the question's kind."""
    return best.lexical + best.cosine + W_FIT * best.fit


def compose(
    q: Question,
    candidates: Sequence[Candidate],
    absent: Sequence[str],
    min_confidence: float,
    keep_ratio: float = 0.8,
    limit: int = 2,
    list_limit: int = 4,
) -> Answer:
    """The ``Answer``: chosen sentences in article order with ``[n]``, or a plain refusal."""
    if not candidates:
        return Answer("The articles don't say: there is nothing to search.", False, [], q.text, 0.0)
    sure = confidence(candidates[0])
    unsure = sure < min_confidence or off_focus(q, candidates[0])
    chosen = [] if absent or unsure else choose(q, candidates, keep_ratio, limit, list_limit)
    if not chosen:
        return refuse(q, candidates, absent, sure)
    chosen.sort(key=lambda c: (c.passage.article, c.passage.start + c.passage.sentences[c.index][0]))
    citations = [_cite(n, c) for n, c in enumerate(chosen, 1)]
    text = " ".join(f"{c.sentence} [{cit.n}]" for c, cit in zip(chosen, citations))
    return Answer(text, True, citations, q.text, round(sure, 3))


def refuse(q: Question, candidates: Sequence[Candidate], absent: Sequence[str], sure: float) -> Answer:
    """A plain "the articles don't say", with the closest passages as numbered sources."""
    if absent:
        # Names say it best ("Peru"); other words only when no name is missing.
        names = [w for w in absent if w in q.names]
        shown = list(dict.fromkeys(names or absent))[:3]
        listed = ", ".join(f'"{w}"' for w in shown)
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
    citations = [_cite(n, c) for n, c in enumerate(closest, 1)]
    return Answer(text, False, citations, q.text, round(sure, 3))


def _cite(n: int, cand: Candidate) -> Citation:
    p = cand.passage
    return Citation(
        n=n,
        article=p.article,
        section=p.section,
        text=p.text,
        sentence=cand.sentence,
        score=round(cand.score, 3),
        title=p.title,
        paragraphs=p.paragraphs,
        start=p.start,
        sentence_start=p.sentences[cand.index][0],
    )
