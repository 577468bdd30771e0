"""Question kinds and the evidence each one looks for in a sentence.

One table, ``KINDS``: who, when, where, how many, how old, why, what-did-X-say
and lists, each with the pattern that recognises the question and the
evidence a sentence holds for it (a date for "when", a number for "how
many"). ``sentence_facts`` keeps what a store needs of each sentence to
score it later without re-reading it, and ``related`` the word families
("attend": "participate", "join", "delegate"). Leaves out: reading the
question itself (``question.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, NamedTuple, Sequence

from .sentences import PLACE_OF, terms, words, words_and_terms

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
FUTURE = re.compile(r"\b(will|would|next|coming|upcoming|tomorrow|plans? to|preparing to|expected to|"
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
    if past and _matches(FUTURE, sentence):
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


# Checked in order; the first kind whose pattern matches the (lower-case) focus wins.
KINDS = (
    Kind("age", re.compile(r"\bhow old\b|\b(what|which) age\b|\bage of\b"),
         _age_evidence),
    Kind("number", re.compile(r"\b(how (many|much|long|old|far|big|large|tall|high|often|fast|heavy|deep|wide)|"
                              r"what (number|percentage|percent|share|proportion|amount)|how much)\b"),
         _number_evidence),
    Kind("quote", re.compile(r"\b(what|how) (did|does|do|has|have|had) .{1,60}\b(say|said|write|wrote|tell|told|"
                             r"call|called|describe|described|post|posted|add|added|state|stated|use|used)\b|"
                             r"\bwhat (word|words|term|phrase|expression)\b"), _quote_evidence),
    Kind("person", re.compile(r"^(who|whom|whose)\b|\bwhom\b|\b(who|whom|whose) (is|was|are|were|did|does|do|has|have|had|"
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
                            r"(days?|dates?|times?|years?|months?|weeks?|decades?|century|centuries|periods?|eras?)\b|"
                            r"\bhow long ago\b"),
         _date_evidence),
    Kind("reason", re.compile(r"^why\b|\bwhy (is|was|are|were|did|does|do|has|had|would)\b|\bwhat (caused|led to|"
                              r"made|prompted|reason)\b|\bfor what (reason|purpose)\b"), _reason_evidence),
)
KIND_NAMES = ("other",) + tuple(k.name for k in KINDS)
_BY_NAME = {k.name: k for k in KINDS}

# Questions whose answer is a list gathered across passages.
LIST = re.compile(
    r"\b(who (else|attended|participated|took part|joined|was there|were there|was at|were at|met|were present|"
    r"was present|came|showed up|sat)|participants?|attendees?|delegates?|delegations?|everyone|everybody|"
    r"who all|which (countries|officials|people|leaders|ministers|nations)|list|name (the|all|every))\b"
)
PAST = re.compile(r"\b(did|was|were|had|happened|ago|last)\b|\b\w+ed\b")


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
    given = {n.split()[-1] for n in names if n.split()}
    last = {w.lower() for w in given}
    lowered = sentence.lower()
    if not any(w in lowered for w in last):  # most sentences never name the speaker
        return False
    if len(lowered) != len(sentence):  # lower case moved the offsets: find the name by pattern
        return any(_NAME_END.match(sentence, m.end()) and (
            _SAID_AFTER.match(sentence, m.end()) or _SAID_BEFORE.search(sentence, 0, m.start()))
            for w in given for m in re.finditer(r"\b" + re.escape(w), sentence, re.IGNORECASE))
    for w in last:  # each place the name stands as a word: the verb after it, or before it past a title
        at = lowered.find(w)
        while at >= 0:
            end = at + len(w)
            if (bool(at) and bool(_WORD.match(sentence, at - 1))) != bool(_WORD.match(w)) and _NAME_END.match(
                    sentence, end) and (_SAID_AFTER.match(sentence, end) or _SAID_BEFORE.search(sentence, 0, at)):
                return True
            at = lowered.find(w, at + 1)
    return False


def speaks_after(sentence: str, before: str, names: Sequence[str]) -> bool:
    """Whether ``sentence`` gives the words of one of ``names`` through a pronoun, "he said" or "she
    added", with the name in the sentence ``before`` it or earlier in its own ("Ukraine's presidential
    adviser, Andrii Yermak, said ... ." then '"It was a very substantive conversation," he wrote.').

    >>> speaks_after('"We continue our work," he wrote.', "Andrii Yermak said the talks went well.", ["Yermak"])
    True
    >>> speaks_after('"We continue our work," he wrote.', "Rubio spoke with Sergey Lavrov.", ["Yermak"])
    False
    >>> speaks_after('"It matters," she added.', 'The Trump plan offers "carrots," she said.', ["Trump"])
    False
    """
    found = _PRONOUN_SAID.search(sentence)
    if not found:
        return False
    last = [n.split()[-1] for n in names if n.split()]
    if any(_named(w, before) for w in last) and (speaks(before, names) or not is_speech(before)):
        return True
    # earlier in its own sentence, with no one else named between ("Andrew Felps will not let us stay if he
    # has bought the place, as he says"; not "The Trump administration has offered Russia carrots, she said")
    ahead = sentence[:found.start()]
    return any(at is not None and not _CAPITAL_WORD.search(ahead, at) for w in last for at in [_named(w, ahead)])


def _named(word: str, text: str) -> int | None:
    """Where ``word`` last stands in ``text`` as a word of its own, past its end; None where it does not."""
    ends = [m.end() for m in re.finditer(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text, re.IGNORECASE)]
    return ends[-1] if ends else None


_CAPITAL_WORD = re.compile(r"\b[A-Z][a-z]")


def said_by_pronoun(sentence: str) -> bool:
    """Whether a sentence gives words to "he", "she" or "they" ('"...," he wrote.')."""
    return bool(_PRONOUN_SAID.search(sentence))


def asks_speaker(question: str, name: str) -> bool:
    """Whether a question has ``name`` speak: the name before a verb of speech within three words ("What did
    Yermak say about it?"), not after one ("Who said Russia is using the attacks?").

    >>> asks_speaker("What did Yermak say about it?", "Yermak"), asks_speaker("Who said Russia is late?", "Russia")
    (True, False)
    """
    return any(_SAID_AFTER.match(question, m.end())
               for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", question))


# Around a speaker's name, patterns compiled once, not per question's names: "Sybiha('s) ... said" within
# three words, or just past a phrase set off by commas ("Alina Polyakova, president of the Center ..., called
# this"; not "Lavrov, conveying the message he gave, spokeswoman Tammy Bruce said"),
# and "said (Foreign Minister Andrii) Sybiha" past up to four capitalised words or "the".
_WORD = re.compile(r"\w")
_NAME_END = re.compile(r"(?:'s)?\b")
# Besides the verbs of ``_SPEECH`` (whose sentences stores mark as speech), those that give a speaker's words
# less often: "Gottfried Fritschel pointed out in 1867 that ..." answers "What did Fritschel say ...?".
_SPOKE = (r"\b(?:write|tell|pointed out|explained|claimed|replied|answered|asked|announced|insisted|declared|remarked|"
          r"admitted|reported|recalled|observed|cried|exclaimed|maintained|contended|concluded|testified|"
          r"acknowledged|promised|urged|vowed|denied|confirmed|predicted|whispered|shouted|continued)\b")
# lower case: "the United States" states nothing
_SAID_WORDS = _SPEECH.pattern + "|" + _SPOKE
_SAID = (r"(?:(?-i:" + _SAID_WORDS + "|" + _SAID_WORDS.replace("\\b", "\0").upper().replace("\0", "\\b")
         + r")|\bAccording to\b)")  # or shouted
_SAID_AFTER = re.compile(r"(?:'s)?\b(?:\s*,[^,;\"“”]{1,100},\s*(?-i:[a-z]+\s+)?|\W+(?:[\w'-]+\W+){0,3}?)" + _SAID,
                         re.IGNORECASE)
_PRONOUN_SAID = re.compile(r"\b(?:he|she|they)\s+(?:\w+ly\s+)?" + _SAID + r"|" + _SAID + r"\s+(?:he|she|they)\b",
                           re.IGNORECASE)
_SAID_BEFORE = re.compile(_SAID + r"\W+(?:(?-i:the|[A-Z][\w.'-]*)\W+){0,4}?\Z", re.IGNORECASE)


# What answering reads of a sentence before any question: its terms in order, its word count, and
# whether it reports speech. Stores keep it (``Store.sentence_facts``), so a question's first look
# at a passage does not tokenise it (most of the score stage's time, on passages not seen before).
class SentenceFacts(NamedTuple):
    """What scoring needs of a sentence without reading it again: what stores keep for each sentence."""

    terms: tuple[str, ...]  # its stemmed content terms, in order
    words: int  # how many words it has
    speech: bool  # whether it reports speech (``is_speech``)


def sentence_facts(sentence: str) -> SentenceFacts:
    """A sentence's ``SentenceFacts``."""
    split, sentence_terms = words_and_terms(sentence)
    return SentenceFacts(tuple(sentence_terms), len(split), is_speech(sentence))


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
host hosted organise organised organize organized hold held convene convened
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
# A question about someone's role names its noun ("What is Rubio's job?", "What position does Sybiha hold?");
# news gives the role in the words that name the person ("Secretary of State Marco Rubio"), seldom with it.
ROLE_NOUNS = ("job", "role", "position", "title", "occupation", "profession", "post")
ROLE_ASKED = re.compile(rf"\b(?:what|which)\s+(?:(?:is|was|are|were)\s+)?(?:the\s+|(?:[\w.-]+\s+){{0,3}}?[\w.-]+['’]s\s+)?"
                        rf"(?:{'|'.join(ROLE_NOUNS)})s?\b", re.IGNORECASE)
ROLE_TERMS = frozenset(t for noun in ROLE_NOUNS for t in terms(noun))
_ROLE_VERBS = frozenset(terms("hold held serve served work worked"))


def asks_role(question: str, own: Sequence[str], named: Iterable[str]) -> bool:
    """Whether a question asks for the role of whom it names and nothing else: a role noun asked for, and no
    term but the names', that noun's and "hold" or "serve" (``own``: its terms; ``named``: its names' terms).
    "What job did Tesla's father have in Gospic?" asks more: the father's job is no role beside Tesla's name."""
    named = set(named)
    return bool(named) and bool(ROLE_ASKED.search(question)) and all(
        t in named or t in ROLE_TERMS or t in _ROLE_VERBS for t in own)

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
