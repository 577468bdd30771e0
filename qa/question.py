"""Questions: what a question asks, whatever way a person typed it.

``analyse`` turns the raw text into a ``Question``:

- normalised: markup stripped (HTML tags, Markdown emphasis, links), controls
  and extra whitespace dropped, a shouted question lowered;
- focused: of a long paste, the sentence that asks; a chatty lead-in
  ("quick question:", "can you tell me") dropped. The rest never causes a refusal;
- repaired: a word that neither the articles nor English know is replaced by
  the nearest word the articles (else English) use, one or two slips away;
- named things found (people, places, organisations, quoted terms), and
  those that no article mentions, with case, possessives, plurals, demonyms and
  typos forgiven;
- its kind (who, when, where, how many, why, what-did-X-say, list) from one
  table, ``KINDS``, with the evidence each kind prefers in a sentence.

Follow-ups ("What did he write?", "And the Germans?") borrow the previous
question: its words guide retrieval, and an elliptical one its kind too.
Leaves out: scoring sentences and composing answers (``answer.py``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Callable, Sequence

from .conversation import Turn
from .names import mentioned, named_things
from .references import FRAMING, WH, is_follow_up, own_terms, read
from .sentences import PLACE_OF, STOPWORDS, split_sentences, terms, unspaced, words, words_and_terms
from .vocabulary import Vocabulary

# ---------------------------------------------------------------- kinds

_NUMBER = re.compile(
    r"\b(\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|dozens?|once|twice|thrice|half|several|percent)\b|%",
    re.IGNORECASE,
)
# An age: "58-year-old", "aged 58", "Reitan, 58, said" (AP style), or a birth that gives it.
_AGE = re.compile(r"\b\d{1,3}[- ]years?[- ]old\b|\baged? \d{1,3}\b|\b[A-Z][a-z]+, \d{1,3},|\bborn (in|on) |"
                  r"\bin (his|her|their) (early |mid-|late )?\d0s\b")
# A time that dates an event ("on Wednesday night", "in 1969", "March 3") and
# one that only places it loosely ("in the coming weeks", "later").
_WHEN_EXACT = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|"
    r"june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|"
    r"oct|nov|dec|yesterday|today|tonight|\d{3,4}s?|\d{1,2}(st|nd|rd|th)|(last|this) (night|morning|"
    r"week|month|year|weekend)|(\d+|a|one|two|three|four|five|six|seven|eight|nine|ten) (days?|weeks?|"
    r"months?|years?|hours?|decades?|centuries) (ago|earlier|later|after|before)|century|decade)\b",
    re.IGNORECASE,
)
_WHEN_LOOSE = re.compile(
    r"\b(morning|afternoon|evening|night|weeks?|months?|years?|earlier|later|recently|soon|"
    r"since|until|during|after|before|when|while|once|then|age|era|period|time)\b",
    re.IGNORECASE,
)
_FUTURE = re.compile(r"\b(will|would|next|coming|upcoming|tomorrow|plans? to|preparing to|expected to|"
                     r"going to|soon)\b", re.IGNORECASE)
_PLACE = re.compile(r"\b(in|at|to|from|near|across|outside|inside|into|throughout) (the )?[A-Z][a-z]+")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?: (?:[A-Z]\. )?[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)+")
_QUOTE = re.compile(r"[\"\u201c\u201d]")
_SPEECH = re.compile(r"\b(said|says|say|told|tells|wrote|writes|added|adds|called|calls|described|describes|"
                     r"suggested|suggests|stated|states|argued|argues|noted|notes|commented|posted|"
                     r"according to|in a statement|warned|warns)\b", re.IGNORECASE)
_REASON = re.compile(r"\b(because|due to|since|as a result|caused|causes|cause|so that|in order to|"
                     r"blamed|owing to|led to|leads to|stopped|failed|thanks to|therefore|reason|"
                     r"so as to|to (?:help|allow|make|ensure|prevent|avoid|protect|reduce))\b",
                     re.IGNORECASE)


def _count(pattern: re.Pattern, sentence: str, asked: frozenset[str]) -> int:
    """Matches of ``pattern`` in ``sentence`` that the question does not already hold."""
    return sum(1 for found in _matches(pattern, sentence) if not found <= asked)


_IGNORECASE = int(re.IGNORECASE)


@lru_cache(maxsize=200_000)
def _matches(pattern: re.Pattern, sentence: str) -> tuple[frozenset[str], ...]:
    """The words of each match of ``pattern`` in ``sentence`` (sentences come back question after question)."""
    if pattern.flags & _IGNORECASE:  # the same matches, three times faster in ``re``
        pattern, sentence = _case_sensitive(pattern), sentence.lower()
    return tuple(frozenset(words(m.group(0))) for m in pattern.finditer(sentence))


@lru_cache(maxsize=None)
def _case_sensitive(pattern: re.Pattern) -> re.Pattern:
    """A case-insensitive pattern written in lower case, compiled to match lower-cased text."""
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


def _number_evidence(sentence: str, asked: frozenset[str], past: bool) -> float:
    return 1.0 if _count(_NUMBER, sentence, asked) else 0.0


def _age_evidence(sentence: str, asked: frozenset[str], past: bool) -> float:
    return 1.0 if _count(_AGE, sentence, asked) else 0.0


def _date_evidence(sentence: str, asked: frozenset[str], past: bool) -> float:
    exact = _count(_WHEN_EXACT, sentence, asked)
    score = 1.0 if exact else 0.4 if _count(_WHEN_LOOSE, sentence, asked) else 0.0
    if past and _matches(_FUTURE, sentence):
        score *= 0.5  # "When did they launch it?" is not answered by what they will do
    return score


def _place_evidence(sentence: str, asked: frozenset[str], past: bool) -> float:
    if _count(_PLACE, sentence, asked):
        return 1.0
    return 0.5 if any(w not in asked for w in _places(sentence)) else 0.0


@lru_cache(maxsize=200_000)
def _places(sentence: str) -> frozenset[str]:
    """The words of ``sentence`` that name a place or its people (from ``PLACE_OF``)."""
    return frozenset(w for w in words(sentence) if PLACE_OF.get(w))


def _person_evidence(sentence: str, asked: frozenset[str], past: bool) -> float:
    return min(1.0, _count(_NAME, sentence, asked) / 2)


def _quote_evidence(sentence: str, asked: frozenset[str], past: bool) -> float:
    return 1.0 if _matches(_QUOTE, sentence) else 0.5 if _matches(_SPEECH, sentence) else 0.0


def _reason_evidence(sentence: str, asked: frozenset[str], past: bool) -> float:
    return 1.0 if _matches(_REASON, sentence) else 0.0


@dataclass(frozen=True)
class Kind:
    """A kind of question: the patterns that ask it, and the evidence it prefers in a sentence."""

    name: str
    asks: re.Pattern
    evidence: Callable[[str, frozenset[str], bool], float]
    needs_evidence: bool = False  # a sentence without any is no answer ("How many ...?")


# Checked in order; the first kind whose pattern matches the (lower-case) focus wins.
KINDS = (
    Kind("age", re.compile(r"\bhow old\b|\b(what|which) age\b|\bage of\b"),
         _age_evidence, needs_evidence=True),
    Kind("number", re.compile(r"\b(how (many|much|long|old|far|big|large|tall|high|often|fast|heavy|deep|wide)|"
                              r"what (number|percentage|percent|share|proportion|amount)|how much)\b"),
         _number_evidence, needs_evidence=True),
    Kind("quote", re.compile(r"\b(what|how) (did|does|do|has|have|had) .{1,60}\b(say|said|write|wrote|tell|told|"
                             r"call|called|describe|described|post|posted|add|added|state|stated|use|used)\b|"
                             r"\bwhat (word|words|term|phrase|expression)\b"), _quote_evidence),
    Kind("person", re.compile(r"^(who|whom|whose)\b|\b(who|whom|whose) (is|was|are|were|did|does|do|has|have|had|"
                              r"will|would|can|could|else|attended|joined|met|led|took|said|wrote|won|"
                              r"founded|played|invented|discovered|[a-z]+ed)\b|\b(participants?|attendees?|"
                              r"delegates?|everyone|everybody)\b|\b(which|what) (\w+ ){0,2}"
                              r"(officials?|people|persons?|leaders?|ministers?|diplomats?|envoys?|participants?|"
                              r"president|secretary|spokes(wo)?man|spokesperson|adviser|advisor|reporters?|"
                              r"writers?|actors?|actress(es)?|authors?|scientists?|emperor|king|queen|"
                              r"general|person|man|woman|men|women|"
                              + "|".join(sorted({w for w, place in PLACE_OF.items() if w != place}))
                              + r")\b|\b(name|list) (everyone|everybody|all|the people)\b"),
         _person_evidence),
    Kind("place", re.compile(r"^where\b|\bwhere (is|was|are|were|did|does|do|will|can|could)\b|\b(which|what) "
                             r"(city|cities|country|countries|place|capital|town|region|state|continent|"
                             r"location|venue|river|island|area|building)\b|\bin what (city|country|place)\b"),
         _place_evidence),
    Kind("date", re.compile(r"^when\b|\bwhen (is|was|are|were|did|does|do|will|had|has)\b|\b(what|which) "
                            r"(day|date|time|year|month|week|decade|century|period|era)\b|\bhow long ago\b"),
         _date_evidence, needs_evidence=True),
    Kind("reason", re.compile(r"^why\b|\bwhy (is|was|are|were|did|does|do|has|had|would)\b|\bwhat (caused|led to|"
                              r"made|prompted|reason)\b|\bfor what (reason|purpose)\b"), _reason_evidence),
)
KIND_NAMES = ("other",) + tuple(k.name for k in KINDS)
_BY_NAME = {k.name: k for k in KINDS}

# Questions whose answer is a list gathered across passages.
_LIST = re.compile(
    r"\b(who (else|attended|participated|took part|joined|was there|were there|was at|were at|met|were present|"
    r"was present|came|showed up|sat)|participants?|attendees?|delegates?|delegations?|everyone|everybody|"
    r"who all|which (countries|officials|people|leaders|ministers|nations)|list|name (the|all|every))\b"
)
_PAST = re.compile(r"\b(did|was|were|had|happened|ago|last)\b|\b\w+ed\b")


def evidence(kind: str, sentence: str, asked: frozenset[str] = frozenset(), past: bool = False) -> float:
    """How well ``sentence`` holds what a question of this kind asks for, 0..1.

    ``asked`` are the question's own words: a name or number the question
    already holds is no answer to it.

    >>> evidence("date", "a missile hit Dnipro on Wednesday night")
    1.0
    >>> evidence("date", "forces are preparing an offensive in the coming weeks", past=True)
    0.2
    >>> evidence("person", "Rubio spoke with Sergey Lavrov", frozenset({"rubio"}))
    0.5
    """
    found = _BY_NAME.get(kind)
    return found.evidence(sentence, asked, past) if found else 0.0


def needs_evidence(kind: str) -> bool:
    """Whether an answer to this kind must hold its evidence (a number, a time)."""
    found = _BY_NAME.get(kind)
    return bool(found and found.needs_evidence)


def is_speech(sentence: str) -> bool:
    """Whether a sentence reports what someone said, wrote or called something."""
    return bool(_matches(_SPEECH, sentence))


def speaks(sentence: str, names: Sequence[str]) -> bool:
    """Whether ``sentence`` reports the speech of one of ``names``: the name within three words of "said",
    "told", "wrote", "according to", ... ("Macron described the talks" is Macron's; "Polyakova suggested
    that Putin does not want a ceasefire" is not Putin's).

    >>> speaks("Polyakova suggested peace efforts failed because Putin does not want a ceasefire.", ["Putin"])
    False
    >>> speaks('"We are ready," said Foreign Minister Andrii Sybiha.', ["Sybiha"])
    True
    """
    pattern = _speaker(tuple(names))
    return bool(pattern and pattern.search(sentence))


@lru_cache(maxsize=4096)
def _speaker(names: tuple[str, ...]) -> re.Pattern | None:
    last = sorted({n.split()[-1] for n in names if n.split()}, key=len, reverse=True)
    if not last:
        return None
    name = r"\b(?:" + "|".join(re.escape(w) for w in last) + r")(?:'s)?\b"
    verb = _SPEECH.pattern
    gap = r"\W+(?:[\w'-]+\W+){0,3}?"
    title = r"\W+(?:(?-i:the|[A-Z][\w.'-]*)\W+){0,4}?"  # "said Foreign Minister Andrii Sybiha"
    return re.compile(f"{name}{gap}{verb}|{verb}{title}{name}", re.IGNORECASE)


# What answering reads of a sentence before any question: its terms in order, its word count, and
# whether it reports speech. Stores keep it (``Store.sentence_facts``), so a question's first look
# at a passage does not tokenise it (most of the score stage's time, on passages not seen before).
SentenceFacts = tuple[tuple[str, ...], int, bool]


def sentence_facts(sentence: str) -> SentenceFacts:
    """A sentence's ``SentenceFacts``."""
    split, sentence_terms = words_and_terms(sentence)
    return tuple(sentence_terms), len(split), is_speech(sentence)


# Words people ask with for what articles say in other words: each line is a
# family; a question's word also finds the others (at the same weight, in
# retrieval and in sentence coverage). Kept to families whose members stand in
# for each other in news questions about events, people and numbers.
RELATED = """
attend attended attendee attendees participate participated participant participants join joined
    delegate delegates delegation represent represented representing representative representatives
meet met meeting meetings talk talks summit negotiation negotiations round rounds
die died dead death deaths kill killed killing fatalities victims
injure injured injuries wounded hurt
say said tell told state stated statement remark remarks comment commented
write wrote written post posted tweet tweeted
begin began start started launch launched open opened
end ended finish finished conclude concluded close closed
win won victory beat defeat defeated
lose lost loss
buy bought purchase purchased acquire acquired
build built construct constructed
cost costs price paid spend spent budget
lead led head headed chair chaired
host hosted organise organised organize organized
visit visited trip travel travelled traveled
ask asked request requested demand demanded
agree agreed agreement deal
attack attacks attacked strike strikes struck hit raid bombing
fight fighting war conflict battle
leader leaders president prime-minister chancellor
country countries nation nations
city cities town towns
job role position title
wife husband spouse married
born birth birthplace
"""
RELATED_TERMS: dict[str, frozenset[str]] = {}
for _family in re.sub(r"\n\s+", " ", RELATED.strip()).splitlines():
    _stems = frozenset(t for word in _family.split() for t in terms(word.replace("-", " ")))
    for _t in _stems:
        RELATED_TERMS[_t] = RELATED_TERMS.get(_t, frozenset()) | _stems


def related(term: str) -> frozenset[str]:
    """A term and those of its family in ``RELATED`` ("attend" finds "join", "particip").

    >>> sorted(related("attend"))
    ['attend', 'attende', 'deleg', 'join', 'particip', 'repres']
    """
    return RELATED_TERMS.get(term, frozenset((term,)))


# ---------------------------------------------------------------- the question


@dataclass(frozen=True)
class Question:
    """What answering needs to know about a question."""

    text: str  # as asked (stripped)
    searched: str  # what is searched: normalised, focused, repaired
    kind: str  # one of KIND_NAMES
    is_list: bool
    terms: tuple[str, ...]  # stemmed content terms of ``searched``
    context_terms: tuple[str, ...] = ()  # from the conversation, weighted less
    names: tuple[str, ...] = ()  # named things asked about ("Angela Merkel", "convergence")
    absent: tuple[str, ...] = ()  # named things no article mentions
    unknown: tuple[str, ...] = ()  # other terms no article holds
    repaired: tuple[tuple[str, str], ...] = ()  # (typed, searched) word pairs
    past: bool = False  # asks about what happened, not what will
    previous: str = ""  # the question a follow-up leans on
    conversation: tuple[str, ...] = ()  # the latest earlier questions, as they were read, oldest first
    conversation_terms: tuple[str, ...] = ()  # their terms and this question's

    @property
    def query(self) -> str:
        """What the dense side embeds: the question as read, its references resolved (where the
        conversation points is searched apart, ``Retriever.leaning``).

        >>> analyse("What did he write?", history=[("Who is Andrii Yermak?", "...")]).query
        'What did Andrii Yermak write?'
        """
        return self.searched

    @property
    def search_terms(self) -> list[str]:
        """What BM25 searches for: the question's terms, their families (``RELATED``), the conversation's."""
        out = list(self.terms)
        for t in self.terms:
            out += sorted(related(t) - {t})
        return out + [t for t in self.context_terms if t not in out]

    @property
    def asked_words(self) -> frozenset[str]:
        return frozenset(words(self.searched))

    @property
    def speech(self) -> bool:
        """Whether it asks what someone said (then quotes are answers, not noise)."""
        return self.kind == "quote"


_TAG = re.compile(r"<[^>\n]{1,200}>")
_LINK = re.compile(r"\[([^\]\n]+)\]\((?:https?://|www\.)[^)\s]*\)")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`+|~~)(?=\S)(.+?)(?<=\S)\1")
# Terminal escape sequences, removed whole (not only their ESC byte, which left "[31m" or "[2J" as words):
# CSI (ESC [ or the 8-bit CSI, parameters, a final byte), OSC (ESC ], up to BEL or ESC \), and two-byte escapes.
_ESCAPE = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
# What people type before the question itself: greetings and fillers, and requests.
_FILLERS = (r"hey|hi|hello|ok|okay|so|well|um+|uh+|oh|right|and|also|btw|please|just|quick|one more|"
            r"another|a|quick question|question|sorry|thanks|thank you|help|hmm+|yo|dear \w+")
_REQUESTS = (r"i was wondering|i am wondering|i'm wondering|i wonder|i wanted to know|i want to know|"
             r"i'd like to know|i would like to know|i need to know|i'm curious|i am curious|curious|"
             r"do you know|does anyone know|anyone know|any idea|can you tell me|could you tell me|"
             r"can you please tell me|could you please tell me|please tell me|can you|could you|would you|"
             r"tell me|let me know|remind me|i forgot|i forget")
_LEAD_IN = re.compile(r"^(?:(?:" + _FILLERS + "|" + _REQUESTS + r")\b[\s,:;.!?\-\u2013\u2014]*)+", re.IGNORECASE)
_REQUEST = re.compile(r"\b(" + _REQUESTS + r")\b", re.IGNORECASE)
# Contractions typed without their apostrophe ("whos there"): read as contractions, not typos.
# Leaves out those that are words too (its, wont, cant, ill, were, id, well, shed, hell).
_UNAPOSTROPHISED = {
    w.replace("'", ""): w for w in """who's what's where's when's how's why's that's there's here's
    don't doesn't didn't isn't aren't wasn't weren't hasn't haven't hadn't couldn't wouldn't shouldn't
    i'm i've you're they're""".split()
}
_BARE_CONTRACTION = re.compile(r"\b(" + "|".join(_UNAPOSTROPHISED) + r")\b", re.IGNORECASE)
# A clause that asks after a preamble in the same sentence: "I read ..., and I'd
# like to know who ...?". Only a request ("I'd like to know", "can you tell me")
# marks what comes before as a preamble: "Since he ..., how was it achieved?"
# needs its head.
_CLAUSE_BREAK = re.compile(r"[,;]\s+|\s+[-\u2013\u2014]+\s+")
_ASKS = re.compile(r"\W*(who|whom|whose|what|which|where|when|why|how)\b", re.IGNORECASE)
# Phrases that ask with several words what one word of ``RELATED`` says.
_PHRASE_WORD = {"take part": "participate", "took part": "participated", "taking part": "participating",
                "takes part": "participates", "show up": "attend", "showed up": "attended",
                "turn up": "attend", "turned up": "attended",
                "who was there": "who attended", "who were there": "who attended",
                "who was present": "who attended", "who were present": "who attended",
                "who was at": "who attended", "who were at": "who attended"}
_PHRASES = re.compile(r"\b(" + "|".join(_PHRASE_WORD) + r")\b", re.IGNORECASE)
# Of people, being there is attending: "which officials were there", "who all was at the meeting". Only
# asked of people: "what was present in the bread" is no question of attending.
_BEING_THERE = re.compile(r"\b(?:was|were|is|are)\s+(?:there|present|at)\b", re.IGNORECASE)


def strip_escapes(text: str) -> str:
    """``text`` without terminal escape sequences (colours, cursor moves, titles).

    >>> strip_escapes("\x1b[31mWho attended the talks?\x1b[0m"), strip_escapes("Who attended\x1b[2J the talks?")
    ('Who attended the talks?', 'Who attended the talks?')
    """
    return _ESCAPE.sub("", text)


def normalise(text: str) -> str:
    """The question without markup, control characters, extra whitespace or shouting.

    >>> normalise("<b>Who</b> is **Lammy**?")
    'Who is Lammy?'
    >>> normalise("WHO ATTENDED THE TALKS")
    'who attended the talks'
    >>> normalise("Whos the US envoy")
    "Who's the US envoy"
    """
    text = unicodedata.normalize("NFKC", strip_escapes(text))
    text = _CONTROL.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = " ".join(text.split())
    text = _BARE_CONTRACTION.sub(lambda m: _restore_case(m.group(0), _UNAPOSTROPHISED[m.group(0).lower()]), text)
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 6 and sum(c.isupper() for c in letters) > 0.7 * len(letters):
        text = text.lower()  # shouting: case says nothing about names
    return text


def _restore_case(typed: str, word: str) -> str:
    return word.upper() if typed.isupper() and len(typed) > 1 else word.capitalize() if typed[0].isupper() else word


def focus(text: str) -> str:
    """The part of a (normalised) question that asks: its asking sentence, lead-in dropped.

    >>> focus("I read a long thread about Paris. She said more. Which city is next?")
    'Which city is next?'
    >>> focus("quick question: how popular was it?")
    'how popular was it?'
    >>> focus("can you tell me who attended")
    'who attended'
    >>> focus("I read that there were talks in Paris about the war, and I'd like to know who went?")
    'who went?'
    """
    spans = split_sentences(text)
    if len(spans) > 1:
        pieces = [text[a:b] for a, b in spans]
        asking = [p for p in pieces if p.rstrip().endswith("?")]
        if not asking:
            asking = [p for p in pieces if re.match(WH + r"\b", _LEAD_IN.sub("", p), re.IGNORECASE)]
        text = (asking or pieces)[-1]
    # "Some context: the question?" keeps the question.
    head, colon, tail = text.partition(": ")
    if colon and re.match(r"\W*" + WH + r"\b", _LEAD_IN.sub("", tail), re.IGNORECASE):
        text = tail
    for found in reversed(list(_CLAUSE_BREAK.finditer(text))):
        tail = text[found.end():]
        lead = _LEAD_IN.match(tail)
        if lead and _REQUEST.search(lead.group(0)) and _ASKS.match(tail[lead.end():]):
            text = tail
            break
    stripped = _LEAD_IN.sub("", text).strip()
    return stripped if terms(stripped) or not terms(text) else text


def kind_of(text: str) -> str:
    """The kind of a question, from the ``KINDS`` table.

    >>> kind_of("When was Dnipro hit?"), kind_of("Which Briton was at the talks?")
    ('date', 'person')
    """
    low = text.lower()
    return next((k.name for k in KINDS if k.asks.search(low)), "other")


# The earlier questions that say what a conversation is about: its latest three (conv-dev's histories hold
# at most three; further back, a chat has often moved on).
CONVERSATION_TURNS = 3


def analyse(question: str, vocabulary: Vocabulary | None = None,
            history: Sequence[Turn | tuple[str, str]] | None = None) -> Question:
    """What a question asks, read against the articles' vocabulary (when given) and the turns before it.

    >>> q = analyse("Who did Rubio speak with by phone?")
    >>> q.kind, q.is_list, q.names
    ('person', False, ('Rubio',))
    >>> analyse("What did he write?", history=[("Who is Andrii Yermak?", "...")]).searched
    'What did Andrii Yermak write?'
    """
    text = " ".join(str(question).split())
    clean = normalise(text)
    asked = focus(clean)
    cased = asked != asked.lower() and asked[1:] != asked[1:].lower()
    repaired: list[tuple[str, str]] = []
    if vocabulary is not None:
        asked, repaired = repair_typos(asked, vocabulary, cased)
    earlier = [(t.question, t.answer) if isinstance(t, Turn) else (str(t[0]), str(t[1])) for t in history or ()]
    follow = bool(earlier) and (is_follow_up(asked) or is_follow_up(clean))
    reading = read(asked, [(focus(normalise(q)), a) for q, a in earlier], vocabulary, cased)
    previous = reading.previous if follow else ""
    typed, asked = asked, reading.text
    kind = kind_of(asked)
    is_list = bool(_LIST.search(asked.lower()))
    if follow and kind == "other" and not re.search(WH + r"\b", asked, re.IGNORECASE):
        kind, is_list = kind_of(previous), bool(_LIST.search(previous.lower()))  # "Name one."
    # Whom a pronoun stood for says which sentences are about the right one, not what is asked of them:
    # its words weigh as the conversation's ("What did he write?" asks about writing, of Yermak).
    phrased = _PHRASES.sub(lambda m: _PHRASE_WORD[m.group(0).lower()], typed if reading.subject else asked)
    if kind == "person":
        phrased = _BEING_THERE.sub("attended", phrased)
    own = tuple(t for t in dict.fromkeys(terms(phrased)) if t not in FRAMING)
    context_terms = tuple(t for t in dict.fromkeys(terms(f"{reading.subject} {previous}")) if t not in own)
    conversation = reading.earlier[-CONVERSATION_TURNS:]
    conversation_terms = tuple(dict.fromkeys(
        t for asked_before in (*conversation, asked) for t in own_terms(asked_before))) if earlier else ()
    names = named_things(asked, vocabulary, cased or bool(reading.subject))
    known = (lambda term: any(vocabulary.knows(t) for t in related(term))) if vocabulary is not None else (
        lambda term: True)
    absent = tuple(n for n in names if not mentioned(n, vocabulary))
    name_terms = {t for n in names for t in terms(n)}
    unknown = tuple(t for t in own if not known(t) and t not in name_terms and not unspaced(t))
    return Question(
        text=text,
        searched=asked,
        kind=kind,
        is_list=is_list,
        terms=own,
        context_terms=context_terms,
        names=names,
        absent=absent,
        unknown=unknown,
        repaired=tuple(repaired),
        past=bool(_PAST.search(asked.lower())) and not _FUTURE.search(asked),
        previous=previous,
        conversation=conversation,
        conversation_terms=conversation_terms,
    )


# ---------------------------------------------------------------- typo repair

# Slips forgiven by word length: short words are too easily another word.
MIN_REPAIR_LENGTH = 5
LONG_WORD = 7  # from this length two slips are forgiven, below it one
# An English word the articles lack is a repair only if it is common (the
# 40,000 most frequent words): rarer ones are mostly names ("merkel" is one
# slip from "terkel"), and a name must not become another name.
COMMON_ENGLISH = 250_000


@lru_cache(maxsize=1)
def english() -> dict[str, int]:
    """An English word list with frequencies (the one ``symspellpy`` ships), loaded once."""
    try:
        data = (resources.files("symspellpy") / "frequency_dictionary_en_82_765.txt").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return {}
    out = {}
    for line in data.splitlines():
        word, _, count = line.partition(" ")
        if count.isdigit():
            out[word] = int(count)
    return out


@lru_cache(maxsize=64)
def _english_near_length(length: int, spread: int) -> tuple[str, ...]:
    """The common English words (see ``COMMON_ENGLISH``) within ``spread`` of a length: typo candidates."""
    return tuple(w for w, count in english().items() if count >= COMMON_ENGLISH and abs(len(w) - length) <= spread)


def repair_typos(text: str, vocabulary: Vocabulary, cased: bool = True) -> tuple[str, list[tuple[str, str]]]:
    """The text with each word the articles and English both lack replaced by its nearest known word.

    A name (capitalised where case means something) is repaired only to a word
    the articles hold, so a name they lack stays absent.
    """
    repaired: list[tuple[str, str]] = []

    def fix(match: re.Match) -> str:
        word, possessive = match.group(1), match.group(2) or ""
        low = word.lower()
        is_name = cased and word[:1].isupper() and match.start() > 0
        if len(low) < MIN_REPAIR_LENGTH or low in STOPWORDS or _known(low, vocabulary):
            return match.group(0)
        if not is_name and low in english():
            return match.group(0)  # a real word the articles don't use: not a slip
        better = nearest(low, vocabulary, articles_only=is_name)
        if better is None:
            return match.group(0)
        better = better.capitalize() if word[:1].isupper() else better
        repaired.append((word, better))
        return better + possessive

    return re.sub(r"\b([A-Za-z]+)('s\b|'(?=\s|$))?", fix, text), repaired


def _known(word: str, vocabulary: Vocabulary) -> bool:
    return vocabulary.knows_word(word) or all(vocabulary.knows(t) for t in terms(word))


def nearest(word: str, vocabulary: Vocabulary, articles_only: bool = False) -> str | None:
    """The known word one slip (two for long words) from ``word``, or None.

    The nearest by slips (``slips``); among equally near, the articles' own
    words first, then the more frequent.
    """
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    limit = 1 if len(word) < LONG_WORD else 2
    pools = [vocabulary.words_near_length(len(word), limit)]
    if not articles_only:
        pools.append(_english_near_length(len(word), limit))
    best: tuple | None = None
    choice = None
    for own, pool in enumerate(pools):
        for candidate, distance, _ in process.extract(word, pool, scorer=OSA.distance, score_cutoff=limit,
                                                     limit=20):
            if candidate[0] != word[0] and distance > 1:
                continue  # two slips and a different first letter: another word
            count = vocabulary.words.get(candidate, 0) if own == 0 else english().get(candidate, 0)
            key = (slips(word, candidate), own, -count)
            if best is None or key < best:
                best, choice = key, candidate
    return choice


def slips(typed: str, meant: str) -> float:
    """How many typing slips turn ``meant`` into ``typed``: a dropped, doubled or
    swapped letter counts 1, a wrong or stray letter 1.5 (rarer).

    >>> slips("scince", "science"), slips("scince", "since"), slips("caerer", "career")
    (1.0, 1.5, 1.0)
    """
    n, m = len(typed), len(meant)
    d = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        d[i][0] = d[i - 1][0] + _stray(typed, i - 1)
    for j in range(1, m + 1):
        d[0][j] = float(j)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            same = typed[i - 1] == meant[j - 1]
            best = min(
                d[i - 1][j] + _stray(typed, i - 1),  # a letter too many in what was typed
                d[i][j - 1] + 1.0,  # a letter dropped
                d[i - 1][j - 1] + (0.0 if same else 1.5),  # a wrong letter
            )
            if i > 1 and j > 1 and typed[i - 1] == meant[j - 2] and typed[i - 2] == meant[j - 1] and not same:
                best = min(best, d[i - 2][j - 2] + 1.0)  # two letters swapped
            d[i][j] = best
    return d[n][m]


def _stray(typed: str, i: int) -> float:
    """Cost of an extra letter at ``typed[i]``: 1 when it doubles a neighbour, else 1.5."""
    doubled = (i > 0 and typed[i - 1] == typed[i]) or (i + 1 < len(typed) and typed[i + 1] == typed[i])
    return 1.0 if doubled else 1.5
