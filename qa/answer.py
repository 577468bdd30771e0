"""Answers: a question's scored candidate sentences become a short cited answer.

Extractive: every sentence of an answer is the article's own, followed by its
citation marker ``[n]``, so citations are true by construction. The best
sentence leads; others join when they are likely enough to hold the answer
too, from the same article (an answer speaks of one story). The question
is refused, with the closest passages still cited, when a named thing it
asks about is absent from every article, or when the calibrated
answerability is below the threshold. Lists ("Who attended?") gather every
sentence that names people. An article's own bracketed footnote numbers
("[3]") are written "[note 3]" in the answer's text, so that a bracketed
number there is always a citation. Leaves out: scoring sentences
(``scoring.py``), question analysis (``question.py``) and generated (LLM)
answers.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Callable, Mapping, Sequence

from .articles import END_MATTER, section_label
from .features import NounShape
from .kinds import is_speech, related, said_by_pronoun, speaks
from .question import Question
from .scoring import Candidate, held, shares
from .sentences import IRREGULAR, own_notes, terms, words
from .spans import (
    PROPOSERS,
    Proposal,
    Short,
    Span,
    asked_kind,
    asked_noun,
    asks_for_role,
    attributed,
    best,
    chosen_option,
    every,
    given,
    names_only,
    noun_key,
    propose,
    question_slot,
)
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
    url: str = ""  # the web page the article came from, when it is one

    @property
    def section_label(self) -> str:
        return section_label(self.section)


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
    short: Short | None = None  # the name, date, number or place asked for, when one answers (``spans.py``)

    @property
    def searched_differs(self) -> bool:
        """Whether the search read the question differently from how it was typed."""
        return bool(self.searched) and _plain(self.searched) != _plain(self.question)

    def __str__(self) -> str:
        lines = [f"Searched for: {self.searched}", ""] if self.searched_differs else []
        if self.short:
            lines.append(self.short.cited())
        lines.append(self.text)
        if self.citations:
            lines.append("")
            lines.append("Sources:" if self.answered else "Closest passages:")
            for c in self.citations:
                where = f"{c.title} > {c.section_label}" if c.title else c.section_label
                lines.append(f"[{c.n}] {where} (paragraph {_para(c.paragraphs)}, score {c.score:.2f})")
                lines.append(f"    {c.sentence}")
                if c.url:
                    lines.append(f"    {c.url}")
        return "\n".join(lines)

    @property
    def articles(self) -> tuple[str, ...]:
        """The articles this answer cites, the one its best sentence came from first."""
        return tuple(dict.fromkeys(c.article for c in self.citations))

    def to_dict(self) -> dict:
        """JSON-ready form: the same shape the API and ``--json`` give."""
        data = asdict(self)
        for c in data["citations"]:
            c["paragraphs"] = list(c["paragraphs"])
            c["section_label"] = section_label(c["section"])
        if self.short is not None:
            data["short"] = {"text": self.short.text, "cited": self.short.cited(), "spans": list(data["short"]["spans"])}
        return data

    def compact(self, passages: bool = False) -> dict[str, Any]:
        """What a tool needs (``COMPACT_SCHEMA``): text, short answer, answered, confidence, and each citation's
        sentence and whereabouts; a citation's whole passage only when ``passages``."""
        short = {"text": self.short.text, "cited": self.short.cited()} if self.short is not None else None
        citations = []
        for c in self.citations:
            cited = {"n": c.n, "article": c.article, "title": c.title, "section": c.section_label,
                     "paragraphs": list(c.paragraphs), "sentence": c.sentence}
            if c.url:
                cited["url"] = c.url
            if passages:
                cited["passage"] = c.text
            citations.append(cited)
        return {"text": self.text, "short": short, "answered": self.answered, "confidence": self.confidence,
                "question": self.question, "citations": citations}

    def linked(self, urls: dict[str, str]) -> "Answer":
        """This answer with each citation's web address (``urls``: article name -> URL, for web articles)."""
        if not any(c.article in urls for c in self.citations):
            return self
        return replace(self, citations=[replace(c, url=urls.get(c.article, c.url)) for c in self.citations])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Answer":
        """The ``Answer`` that ``to_dict()`` gave (as the page keeps answers in the browser); KeyError if not one."""
        known = {f.name for f in fields(Citation)}
        citations = [Citation(**{k: (tuple(v) if k == "paragraphs" else v) for k, v in c.items() if k in known})
                     for c in data.get("citations") or []]
        short = data.get("short")
        return cls(text=str(data["text"]), answered=bool(data["answered"]), citations=citations,
                   question=str(data["question"]), confidence=float(data.get("confidence") or 0.0),
                   searched=str(data.get("searched") or ""),
                   short=Short(tuple(Span(**span) for span in short["spans"])) if short else None)


# The JSON Schema of ``Answer.compact()``: what the MCP tool declares as its output.
COMPACT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "the answer: the sentences that say it, with [n] citation "
                                                  "markers; or why the articles don't say"},
        "short": {"type": ["object", "null"], "description": "the name, date, number or place asked for, "
                  "when one answers",
                  "properties": {"text": {"type": "string"}, "cited": {"type": "string"}},
                  "required": ["text", "cited"]},
        "answered": {"type": "boolean", "description": "false: the articles don't say; the citations are "
                                                       "then the closest passages"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1,
                       "description": "how likely the articles answer the question"},
        "question": {"type": "string"},
        "citations": {"type": "array", "items": {
            "type": "object",
            "properties": {"n": {"type": "integer"}, "article": {"type": "string", "description": "file name"},
                           "title": {"type": "string"}, "section": {"type": "string"},
                           "paragraphs": {"type": "array", "items": {"type": "integer"}},
                           "sentence": {"type": "string", "description": "the cited sentence, verbatim"},
                           "url": {"type": "string", "description": "the web page, for articles from links"},
                           "passage": {"type": "string", "description": "the whole passage, when asked for"}},
            "required": ["n", "article", "title", "section", "paragraphs", "sentence"]}},
    },
    "required": ["text", "short", "answered", "confidence", "question", "citations"],
}


def _plain(text: str) -> str:
    return " ".join(words(text))


def _para(span: tuple[int, int]) -> str:
    return str(span[0]) if span[0] == span[1] else f"{span[0]}-{span[1]}"


# ---------------------------------------------------------------- composing


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
        pool = [(c, p) for c, p in named if not key or key & held(c)] or pool[:1]
    best = pool[0][0]
    if not gather:  # one story: the best sentence's article
        pool = [(c, p) for c, p in pool if c.passage.article == best.passage.article]
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
    if q.names and asks_for_role(q.kind, q.searched, q.terms, q.names):
        # who someone is: the likeliest sentence of the story that gives their role, where none chosen does
        # ("Who is Rubio?" chose his call with Lavrov; "U.S. Secretary of State Marco Rubio ..." says who he is)
        whose = frozenset(q.terms) | {t for n in q.names for t in terms(n)}
        if not any(PROPOSERS["role"](c.sentence, whose) for c in chosen):
            role = next((c for c, _ in pool[1:] if c not in chosen and PROPOSERS["role"](c.sentence, whose)), None)
            if role is not None:
                chosen = [*chosen[:cap - 1], role]
    return chosen


def _key_family(q: Question, best: Candidate, candidates: Sequence[Candidate]) -> frozenset[str]:
    """The family of the question's term that ``best`` holds and the fewest candidate sentences do."""
    best_terms = held(best)
    families = [related(t) for t in q.terms if related(t) & best_terms]
    # A word family of ``RELATED`` ("attended": joined, participants) says what the people did; a plain word
    # ("officials") only who they are: a list is keyed on what they did where the question says it.
    families = [f for f in families if len(f) > 1] or families
    if not families:
        return frozenset()
    return min(families, key=lambda f: sum(1 for c in candidates if f & held(c)))


def compose(
    q: Question,
    candidates: Sequence[Candidate],
    sure: float,
    threshold: float,
    weights: Weights,
    limit: int = 3,
    list_limit: int = 4,
    rarity: Callable[[str], float] | None = None,
) -> Answer:
    """The ``Answer``: chosen sentences in article order with ``[n]``, or a plain refusal.

    ``sure`` is the calibrated answerability; below ``threshold`` the question is refused. ``rarity``: a
    term's rarity in the articles, for the short answer (``shorten``).
    """
    if not candidates:
        return Answer("The articles don't say: there is nothing to search.", False, [], q.text, 0.0, q.searched)
    if q.gated or sure < threshold or unspoken(q, candidates):
        return refuse(q, candidates, sure)
    chosen = choose(q, candidates, weights, limit, list_limit)
    share = dict(zip(map(id, candidates), shares(candidates)))
    lead = chosen[0].passage.article
    chosen.sort(key=lambda c: (c.passage.article != lead, c.passage.article,
                               c.passage.start + c.passage.sentences[c.index][0]))
    citations = [_cite(n, c, share[id(c)]) for n, c in enumerate(chosen, 1)]
    text = " ".join(f"{own_notes(c.sentence)} [{cit.n}]" for c, cit in zip(chosen, citations))
    short = shorten(q, citations, weights, rarity)
    return Answer(text, True, citations, q.text, round(sure, 3), q.searched, short)


def shorten(q: Question, citations: Sequence[Citation], weights: Weights,
            rarity: Callable[[str], float] | None = None) -> Short | None:
    """The short answer: the best span of the cited sentences for the kind of thing asked (a list: every
    name), or None when the question asks for none or no sentence holds one. ``rarity``: a term's rarity in
    the articles (``Vocabulary.rarity``), which tells something particular from "one" or "part"."""
    asked = asked_of(q)
    cited, proposals = _proposals(q, asked, citations, rarity, weights.span_nouns)
    option = chosen_option(q.searched, [c.sentence for c in cited]) if asked is None else None
    if option is not None:  # "Was it a failure or a success?": the one the sentence says
        i, a, b = option
        at = cited[i].start + cited[i].sentence_start
        return Short((Span(cited[i].sentence[a:b], cited[i].n, at + a, at + b),))
    if asked == "role" and not any(not given(p) for p in proposals):  # no role said: what the question's kind asks
        q = replace(q, terms=q.terms + tuple(t for t, _ in q.framed),  # the role noun is a word of it again
                    idf=q.idf + tuple(v for _, v in q.framed) if q.idf else q.idf)
        asked = asked_of(q, roles=False)
        cited, proposals = _proposals(q, asked, citations, rarity, weights.span_nouns)
    if asked == "role":  # the role the likeliest sentence gives, set off before the name first
        chosen = [next(p for p in proposals if not given(p))]
    elif q.is_list and q.kind == "person":
        chosen = every(proposals, [c.sentence for c in cited])
        chosen.sort(key=lambda p: (cited[p.sentence].n, p.start))
    else:
        one = best(proposals, weights.span_for(asked), [cited[p.sentence].sentence[p.start:p.end] for p in proposals])
        chosen = [one] if one is not None else []
    if not chosen:
        return None
    spans = []
    for p in chosen:
        c = cited[p.sentence]
        at = c.start + c.sentence_start
        spans.append(Span(c.sentence[p.start:p.end], c.n, at + p.start, at + p.end))
    return Short(tuple(spans))


def asked_of(q: Question, roles: bool = True) -> str | None:
    """The kind of span ``q`` asks for (``spans.asked_kind``), or None when it asks for no thing; ``roles``:
    whether a question about someone may ask for their role (without: a description asks for no span)."""
    if roles and asks_for_role(q.kind, q.searched, q.terms, q.names):
        return "role"
    return asked_kind(q.kind, q.searched, names_only(q.searched, q.terms, q.names))


def proposals_of(q: Question, citations: Sequence[Citation], rarity: Callable[[str], float] | None = None,
                 shapes: Mapping[str, NounShape] | None = None) -> tuple[list[Citation], list[Proposal]]:
    """The citations, likeliest sentence first, and the spans they propose for what ``q`` asks (none when it
    asks for no thing); ``shapes``: what answers to each asked noun looked like (``Weights.span_nouns``)."""
    return _proposals(q, asked_of(q), citations, rarity, shapes)


def _proposals(q: Question, asked: str | None, citations: Sequence[Citation],
               rarity: Callable[[str], float] | None = None, shapes: Mapping[str, NounShape] | None = None
               ) -> tuple[list[Citation], list[Proposal]]:
    cited = sorted(citations, key=lambda c: -c.score)
    if asked is None:
        return cited, []
    noun = asked_noun(q.searched)
    asked_terms, idf = list(q.terms), list(q.idf)
    if asked == "role":  # whose role: the person a pronoun stood for too ("What is her job?")
        extra = [t for n in q.names for t in terms(n) if t not in asked_terms]
        asked_terms, idf = asked_terms + extra, idf + [max(idf, default=1.0)] * len(extra) if idf else idf
    elif asked == "expansion":  # the shortening as typed: its stem ("tardi" of "TARDIS") spells less
        extra = list(dict.fromkeys(w.lower() for w in words(q.searched)
                                   if w.lower() not in asked_terms and set(terms(w)) & set(asked_terms)))
        asked_terms, idf = asked_terms + extra, idf + [0.0] * len(extra) if idf else idf
    proposals = propose(asked, asked_terms, [c.sentence for c in cited], [c.score for c in cited],
                        noun, question_slot(q.searched), idf, rarity, (shapes or {}).get(noun_key(noun)))
    if asked == "person" and question_slot(q.searched):  # the source a sentence closes on did not do what it
        # reports (who it is, "Who is the fire chief?", it may well say)
        sources = [attributed(c.sentence, q.searched) for c in cited]
        proposals = [p for p in proposals if sources[p.sentence] is None or p.start < sources[p.sentence]]
    return cited, proposals


def refuse(q: Question, candidates: Sequence[Candidate], sure: float) -> Answer:
    """A plain "the articles don't say", with the closest passages as numbered sources."""
    named = [w for w in q.absent if w in q.names]
    asked = "" if named else unsaid(q.searched)
    if q.absent and not asked:
        listed = ", ".join(f'"{w}"' for w in q.absent[:3])
        text = f"The articles don't say: they never mention {listed}."
    elif q.unheard or q.stray:
        listed = ", ".join(f'"{w}"' for w in (q.unheard or q.stray)[:3])
        text = f"The articles don't say{' ' + asked if asked else ''}: they never mention {listed}."
    else:
        text = f"The articles don't say{' ' + asked if asked else ''}. The closest passages are listed below."
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


def unspoken(q: Question, candidates: Sequence[Candidate]) -> bool:
    """Whether the question asks what someone said and no candidate sentence reports their words (by name, by
    a pronoun after the name, or as a story's unattributed dialogue): "What did Lavrov say?" of an article
    where Rubio spoke with Lavrov and a spokeswoman said so is not answered by her statement (the kind of
    thing asked for is missing, as a date is for "when")."""
    speakers = q.speakers
    return bool(speakers) and not any(c.feature("speaker") > 0 or speaks(c.sentence, speakers) or _anyones(c)
                                      for c in candidates)


def _anyones(c: Candidate) -> bool:
    """Whether a sentence is a story's dialogue, which names no speaker: it may be anyone's words, unless it goes
    on with a quote that the sentence before it gave to someone by name ('"...," the statement says.
    "The encouraging reception in Paris ..."' is the statement's)."""
    if not _DIALOGUE.match(c.sentence) or is_speech(c.sentence):
        return False
    if not c.index:
        return True
    before = c.passage.text[slice(*c.passage.sentences[c.index - 1])]
    return not (is_speech(before) and not said_by_pronoun(before))


# A sentence that opens with a quotation mark.
_DIALOGUE = re.compile(r"\s*[\"“'‘]")


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


_BE_ASKED = re.compile(r"^(how \w+|(?:what|which) \w+|when|where|who|whom|what|why|how)\s+(is|are|was|were)\s+"
                       r"([^?]+?)[?.!\s]*$", re.IGNORECASE)


_SAID_PAST = {"say": "said", "tell": "told", "write": "wrote", "add": "added", "state": "stated", "post": "posted"}
_SAY_ASKED = re.compile(r"what did ([^?]{1,60}?) (say|tell|write|add|state|post)\b([^?]{0,60}?)[?.!\s]*$",
                        re.IGNORECASE)


def unsaid(question: str) -> str:
    """What a refusal says the articles don't say, for a question asked with "to be" ("" for other questions).

    >>> unsaid("How old is Marco Rubio?"), unsaid("When was the treaty signed?"), unsaid("What's the weather in Kyiv?")
    ('how old Marco Rubio is', 'when the treaty was signed', 'what the weather in Kyiv is')
    >>> unsaid("Why did the talks fail?"), unsaid("What did Lavrov say about the talks?")
    ('', 'what Lavrov said about the talks')
    """
    spoken = _SAY_ASKED.match(question.strip())
    if spoken:
        return f"what {spoken.group(1)} {_SAID_PAST[spoken.group(2).lower()]}{spoken.group(3)}"
    text = re.sub(r"^(\w+)'s\b", r"\1 is", question.strip())
    found = _BE_ASKED.match(text)
    if not found or len(text.split()) > 14:
        return ""
    asking, verb, rest = found.group(1).lower(), found.group(2).lower(), found.group(3).strip()
    head, _, last = rest.rpartition(" ")
    if head and (re.fullmatch(r"[a-z]+(?:ed|en|wn)", last) or last in IRREGULAR):  # "the treaty was signed"
        return f"{asking} {head} {verb} {last}"
    return f"{asking} {rest} {verb}"
