"""Short answers: the span of a cited sentence that answers a question asking for a thing.

"Where will the talks continue?" gets "London" before the sentence that says
it; "Who attended?" the names, each with its citation. Spans are proposed by
rules, one table entry per kind of thing asked (``PROPOSERS``), and plain noun
phrases by their words' tags (``tags.py``), because no neural reader installs
offline (spaCy installs from the package index, its English pipelines do not:
they are published on GitHub only).
Fitted weights (``SPAN_FEATURES``, in the weights file) choose among the
proposals. Every span is the article's own text, with offsets into it.
Leaves out: choosing sentences (``answer.py``), question kinds
(``question.py``).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np

from .features import BORDER_AFTER, BORDER_BEFORE, SPAN_FEATURES, SPAN_TAGS, NounShape
from .kinds import asks_role
from .names import TITLES, is_city, pronoun_of
from .sentences import PLACE_OF, STOPWORDS, terms, words
from .tags import lexicon, tag_of, tagged


@dataclass(frozen=True)
class Span:
    """A short answer's piece: verbatim text of a cited sentence, its citation, and offsets into the article."""

    text: str
    n: int  # the citation ([n]) whose sentence holds it
    start: int  # offsets into the repaired article text
    end: int


@dataclass(frozen=True)
class Short:
    """The short answer: one span, or the names of a list, in article order."""

    spans: tuple[Span, ...]

    @property
    def text(self) -> str:
        return ", ".join(s.text for s in self.spans)

    def cited(self) -> str:
        """The spans with their citation markers: "Marco Rubio [1], Steve Witkoff [1]"."""
        return ", ".join(f"{s.text} [{s.n}]" for s in self.spans)


# ---------------------------------------------------------------- proposing spans

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DATE = re.compile(
    rf"\b(?:{_WEEKDAY},? )?{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{3,4}})?\b|\b\d{{1,2}} {_MONTH}(?:,? \d{{3,4}})?\b|"
    rf"\b{_MONTH},? \d{{3,4}}\b|\b{_MONTH}\b|"
    rf"\b{_WEEKDAY}(?: (?:morning|afternoon|evening|night))?\b|"
    r"\b(?:early |late |mid-)?(?:1[0-9]|20)\d{2}s?\b|"
    r"\b(?:early |late |mid-)?\d{1,2}(?:st|nd|rd|th)(?: and (?:early |late )?\d{1,2}(?:st|nd|rd|th))? centur(?:y|ies)\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th) of {_MONTH}(?:,? \d{{3,4}})?|\b\d{{1,4}} (?:BC|AD|BCE|CE)\b|\bAD \d{{1,4}}\b|"
    r"\b(?:half|a quarter|quarter)[- ](?:past|to) (?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b|"
    r"\b(?:yesterday|today|tomorrow|last (?:week|month|year)|next (?:week|month|year))\b|"
    r"\b(?:Christmas(?: Eve| Day)?|New Year['’]s(?: Eve| Day)?|Easter(?: Sunday)?|Good Friday|Thanksgiving(?: Day)?|"
    r"Halloween|Independence Day|Boxing Day|Pentecost|Ramadan|Passover|Lent|Advent)\b|"
    r"\b\d{1,2}(?::\d{2})?\s?(?:[ap]\.m\.?|[ap]m\b)|\b\d{1,2}(?::\d{2})? o['’]clock\b|\b(?:noon|midnight)\b")
_SPELLED = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
            r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
            r"dozens?|hundreds|thousands|millions|several|half|quarters?|thirds?|fourths?|fifths?|tenths?")
_COUNT = (rf"(?:[$€£¥]\s?)?\b(?:\d(?:[\d,.]*\d)?|(?:{_SPELLED})\b(?:[- ](?:{_SPELLED})\b)*)"
          r"(?: (?:million|billion|trillion|thousand|hundred))?(?:%| percent(?:age points?)?\b| per cent\b)?")
_NUMBER = re.compile(_COUNT + r"(?: (?!and\b|or\b|of\b|in\b|on\b|at\b|to\b|the\b|a\b)[a-z]+(?:-[a-z]+)?)?",
                     re.IGNORECASE)
_BARE = re.compile(_COUNT, re.IGNORECASE)  # the number without the word it counts
_AGE = re.compile(r"\b(\d{1,3})[- ]years?[- ]old\b|\baged? (\d{1,3})\b|\b[A-Z][a-z]+, (\d{1,3}),")
# Initials before words ("J. P. Morgan": "J. P" when the word came first and the name stopped at its dot).
_CAPITALISED = re.compile(r"\b(?:[A-Z]\.(?=\s)|[A-Z][\w'’.-]*)(?:\s+(?:of|de|van|von|al|bin|the|for|du|da|la|le)?\s*"
                          r"(?:[A-Z]\.(?=\s)|[A-Z][\w'’-]*))*")
_QUOTED = re.compile(r"[\"“]([^\"“”]{1,80})[\"”]|‘([^‘’]{1,60})’")


def _opener(word: str) -> bool:
    """A sentence's capitalised first word that names nothing: the lexicon knows it lower-cased, as no noun
    ("Although Grumman wanted ...": "Grumman")."""
    tag = lexicon().get(word) or lexicon().get(word.lower())  # "May" is a name as the lexicon has it
    return tag is not None and not tag.startswith(("NN", "JJ", "CD", "FW"))


# A news story's dateline says where and by whom it was filed ("PARIS (AP) —", "LONDON, England (CNN) --",
# "(CNN) --"): no one who did anything, nor a thing asked for, though its capitals look like a name. On the
# seed article "Who hosted the talks?" got "PARIS" from it. Only a place question may take it.
_DATELINE = re.compile(r"\s*(?:[A-Z][A-Z.'’ -]*[A-Z.](?:,\s*[A-Z][\w.'’ -]*?)?\s*)?\([A-Z][\w.&'’ -]*\)\s*(?:—|–|--?)\s*")


def _dateline(sentence: str) -> int:
    """Where a sentence's opening dateline ends (0: it opens with none)."""
    found = _DATELINE.match(sentence)
    return found.end() if found else 0


_ABBREVIATION = re.compile(r"(?:\b[A-Za-z]\.){2,}$")


@lru_cache(maxsize=20_000)
def _names(sentence: str) -> list[tuple[int, int]]:
    """Capitalised runs that can name someone or something, titles trimmed ("State Marco Rubio": "Marco Rubio")."""
    out = []
    for m in _CAPITALISED.finditer(sentence):
        a, b = m.start(), m.end()
        text = sentence[a:b]
        parts = list(re.finditer(r"\S+", text))
        while parts and ({parts[0].group(0).lower(), parts[0].group(0).lower().strip(".,")} & TITLES
                         or parts[0].group(0).lower() in STOPWORDS or a + parts[0].start() == 0 and _opener(parts[0].group(0))):
            parts.pop(0)
        while parts and parts[-1].group(0).lower() in ("of", "the", "for"):
            parts.pop()
        if not parts:
            continue
        a2, b2 = a + parts[0].start(), a + parts[-1].end()
        token = re.sub(r"['’]s$", "", sentence[a2:b2])
        token = token if _ABBREVIATION.search(token) else token.rstrip(".,'’")  # "U.S." keeps its last dot
        if a2 == 0 and len(parts) == 1 and token.lower() in STOPWORDS or len(token) < 2:  # "I", "the G mission"
            continue
        out.append((a2, a2 + len(token)))
    return out


def _people(sentence: str, asked: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Names that are no place, no date, and no possessive ("Trump's envoy" answers with the envoy)."""
    dates = _dates(sentence)
    found = [(a, b) for a, b in _names(sentence) if not PLACE_OF.get(sentence[a:b].lower())
             and not any(c <= a and b <= d for c, d in dates) and not re.match(r"['’]s\b", sentence[b:b + 3])]
    # the name after a title inside the run, not the run: "Houston Mayor Sylvester Turner" is Sylvester Turner
    out = []
    for a, b in found:
        words = list(re.finditer(r"\S+", sentence[a:b]))
        i = max((i for i, w in enumerate(words[:-2]) if w.group(0).lower().strip(".,") in TITLES), default=None)
        out.append((a, b) if i is None else (a + words[i + 1].start(), b))
    return out


def _inner_title(words_before: str) -> bool:
    """Whether the words before a name end on a title that other words lead ("Chicago Mayor" of "Chicago Mayor
    Laura Diaz": the person is Laura Diaz; "Lady Rowena" and "General Mendoza" keep theirs)."""
    said = words_before.split()
    return len(said) >= 2 and said[-1].lower().strip(".,") in TITLES and said[0].lower().strip(".,") not in TITLES


def _places(sentence: str, asked: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Names that are no date ("France hosted talks Thursday": France, not Thursday), and noun phrases that end
    on a place's noun ("at the French presidential palace", "in a small village")."""
    dates = _dates(sentence)
    named = [(a, b) for a, b in _names(sentence) if not any(c <= a and b <= d for c, d in dates)]
    # a place and the larger one it lies in, after a comma: "Shoreham, Long Island", "Kyiv, Ukraine"; not two of
    # a list ("Zürich, London and Paris", "Britain, France, Germany")
    within = [(a, d) for (a, b), (c, d) in zip(named, named[1:]) if sentence[b:c] == ", "
              and not sentence[:a].endswith(", ") and not _LISTED.match(sentence, d)]
    return named + within + [(a, b) for a, b in _chunks(sentence, asked)
                             if sentence[a:b].rsplit(None, 1)[-1].lower() in _PLACE_NOUNS and (a, b) not in named]


# What follows the last of a list's names: another after a comma, or "and"/"or".
_LISTED = re.compile(r",\s+(?:and\b|or\b|[A-Z])|\s+(?:and|or)\b")


# The nouns that end a place named for someone ("Madison Square Garden", "Victoria Falls", "Charlotte Street",
# "Continental Edison Company").
_PLACE_NOUNS = frozenset("""island islands garden gardens street road avenue square falls beach river lake lakes mountain
    mountains mount park hall bridge city county valley bay sea ocean church cathedral abbey palace castle tower station
    airport hospital university college school house court harbour harbor port point cape coast forest field fields
    hill hills heights village town state states land springs creek canal gate theatre theater museum library
    stadium arena center centre building hotel chapel temple republic empire kingdom union federation province region
    district territory desert peninsula gulf strait channel company corporation works factory laboratory institute
    society foundation resort""".split())


def someones(text: str) -> bool:
    """Whether a span names someone, no place: it ends on a name whose first name, or title, says he or she
    ("President Donald Trump", "Uncle Silas", "Hans Luder", "U.S. Secretary of State Marco Rubio"), not on a
    place's noun ("Madison Square Garden"). As where-questions' short answers these were people: public-dev 7
    of 119, conv-dev 13 of 170 (2026-12-07)."""
    named = text.split()
    if len(named) < 2 or named[-1].lower() in _PLACE_NOUNS:
        return False
    return any(named[i][:1].isupper() and named[i + 1][:1].isupper() and pronoun_of(" ".join(named[i:])) is not None
               for i in range(len(named) - 1)) or _titled(named)


def _titled(named: Sequence[str]) -> bool:
    """Whether words end on a name that a person's noun stands before ("Associated Press writers Illia Novikov",
    "spokeswoman Tammy Bruce"): someone, whatever their first name. "Where is Kyiv?" was answered "Associated
    Press writers Illia Novikov" (from "... Illia Novikov and Hanna Arhirova in Kyiv, Ukraine")."""
    k = len(named)
    while k and named[k - 1][:1].isupper():
        k -= 1
    noun = named[k - 1] if k else ""
    return 0 < k < len(named) and noun.islower() and noun not in _PLACE_NOUNS and (
        noun in TITLES or noun.rstrip("s") in _PERSON_NOUNS or bool(_NAMED_DOER.search(noun)))


# The nouns of a doer that stand before a name ("writers Illia Novikov", "physicist Albert Einstein"): -er and -or
# only from seven letters ("the letter Bertha", "the water Thames", "order Kuchlug" name no one).
_NAMED_DOER = re.compile(r"(?:ist|ian|man|woman|men|women|ess|eer)s?$|^(?=\w{7})\w+(?:er|or)s?$")


@lru_cache(maxsize=20_000)
def _dates(sentence: str, asked: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    return [m.span() for m in _DATE.finditer(sentence)] + [m.span() for m in _YEARS.finditer(sentence)]


# A span of years, besides each year: "1886/1887", "1962–66", "from 1963 to 1989" (public-dev's golds: "1963 to
# 1989", "2005–2010").
_YEARS = re.compile(r"\b(?:1[0-9]|20)\d{2}(?:\s?[–—/-]\s?|\s+to\s+)(?:(?:1[0-9]|20)\d{2}|\d{2})\b")
# A range of numbers, besides each end: "30–70 chloroplasts", "10–20".
_RANGE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?\s?[–—-]\s?\d+(?:[.,]\d+)?(?![\w])")


def _numbers(sentence: str, asked: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    out = []
    dates = _dates(sentence)
    for m in _NUMBER.finditer(sentence):
        a, b = m.span()
        while b > a and sentence[b - 1] in ".,":
            b -= 1
        text = sentence[a:b]
        if not text or any(c <= a < d for c, d in dates):
            continue
        if re.fullmatch(r"(?:1[0-9]|20)\d{2}", text.strip()):  # a year is a date
            continue
        tail = text.rsplit(" ", 1)
        if len(tail) == 2 and tail[1].lower() in STOPWORDS:
            b = a + len(tail[0])
        while b > a and sentence[b - 1] in ".,":
            b -= 1
        bare = _BARE.match(sentence, a, b)
        if bare and bare.end() < b and not tag_of(sentence[bare.end():b].strip()).startswith(("NN", "CD")):
            b = _unit_noun(sentence, b) or bare.end()  # a unit is a noun: "two main", "265.7 nautical" were answers
        out.append((a, b))
        if bare and bare.end() < b:  # "three grounds": "three" too
            out.append((a, bare.end()))
    for m in _RANGE.finditer(sentence):
        a, b = m.span()
        if not any(c <= a < d for c, d in dates):
            out += [(a, b)] + [(a, end) for end in [_unit_noun(sentence, b)] if end]
    return out


def _unit_noun(sentence: str, at: int) -> int | None:
    """Where the noun after a number's describing word ends ("265.7 nautical miles", "eight public universities"),
    or None when no noun follows it ("two main", then a verb: the number stands alone)."""
    m = re.compile(r" ([a-z]+(?:-[a-z]+)?)").match(sentence, at)
    return m.end() if m and tag_of(m.group(1)).startswith("NN") else None


def _ages(sentence: str, asked: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    out = []
    for m in _AGE.finditer(sentence):
        group = next(i for i in (1, 2, 3) if m.group(i))
        out.append(m.span(group))
    return out


def _quotes(sentence: str, asked: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    out = []
    for m in _QUOTED.finditer(sentence):
        a, b = m.span(1) if m.group(1) else m.span(2)
        while b > a and sentence[b - 1] in ".,;:!? ":
            b -= 1
        out.append((a, b))
    return out


_TOKEN = re.compile(r"[\w'’-]+(?:\.\w+)*")
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=20_000)
def _tokens(sentence: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((m.start(), m.end(), m.group(0)) for m in re.finditer(r"[\w'’]+", sentence))


@lru_cache(maxsize=20_000)
def _bounds(sentence: str) -> tuple[list[int], list[int]]:
    """Where each of ``_tokens`` starts and ends: a span's tokens found by bisection, not by a scan."""
    tokens = _tokens(sentence)
    return [s for s, _, _ in tokens], [e for _, e, _ in tokens]


@lru_cache(maxsize=100_000)
def _word_terms(word: str) -> frozenset[str]:
    """A word's terms (stemmed, as the question's), kept: answer sentences come back question after question."""
    return frozenset(terms(word))


@lru_cache(maxsize=20_000)
def _token_terms(sentence: str) -> tuple[frozenset[str], ...]:
    """The terms of each of ``_tokens``, kept per sentence: every question that cites it looks its words up."""
    return tuple(_word_terms(w) for _, _, w in _tokens(sentence))


# Tags that end a noun phrase's head, and those of words that only modify one.
_HEAD_TAGS = ("NN", "CD", "FW", "PRP")
_MODIFIER_TAGS = ("JJ", "RB", "VB")


@lru_cache(maxsize=20_000)
def _tag_bounds(sentence: str) -> tuple[list[int], list[int], tuple[str, ...]]:
    """Where each tagged token (``tags.tagged``) starts and ends, and its tag: a span's tags by bisection."""
    found = tagged(sentence)
    return [a for a, _, _, _ in found], [b for _, b, _, _ in found], tuple(t for _, _, _, t in found)


@lru_cache(maxsize=20_000)
def _tag_words(sentence: str) -> tuple[str, ...]:
    """Each tagged token, lower case (``_BORDER``'s keys)."""
    return tuple(w.lower() for _, _, w, _ in tagged(sentence))


@lru_cache(maxsize=100_000)
def _span_facts(sentence: str, a: int, b: int) -> tuple:
    """What the span ``a:b`` of ``sentence`` is, whatever the question, kept (spans come back with every
    question citing their sentence): its terms, log(1 + its words), whether it starts with a capital, holds a
    digit, stands in quotation marks, after a preposition, set off by a comma or bracket (``_APPOSED``), ends on
    a head word (``_HEAD_TAGS``), is of modifiers only, names someone or is a date, and the columns of the words
    just before and after it
    (``BORDER_BEFORE``, ``BORDER_AFTER``; "<s>" and "</s>": none), of the word two before, and of its first
    and last words' tags (``SPAN_TAGS``)."""
    text = sentence[a:b]
    starts, ends, tags = _tag_bounds(sentence)
    first, after = bisect_left(starts, a), bisect_left(starts, b)
    lowered = _tag_words(sentence)
    inside = tags[first:bisect_right(ends, b)]
    border = (_BEFORE_AT.get(lowered[first - 1] if first else "<s>"),
              _AFTER_AT.get(lowered[after] if after < len(lowered) else "</s>"),
              _BEFORE2_AT.get(lowered[first - 2] if first > 1 else "<s>"),
              _FIRST_AT.get(inside[0]) if inside else None, _LAST_AT.get(inside[-1]) if inside else None)
    before = [lowered[first - 1] if first else "", lowered[first - 2] if first > 1 else ""]
    # someone by name, or by the person's noun before the name ("his Russian counterpart, Sergey Lavrov")
    noun = before[1] if before[0] == "," else before[0]
    someone = text[:1].isupper() and (someones(text) or _titled([noun, *text.split()]))
    return (tuple(t for w in _TOKEN.findall(text) for t in _word_terms(w)), math.log(1 + len(words(text))),
            1.0 if text[:1].isupper() else 0.0, 1.0 if _DIGIT.search(text) else 0.0,
            1.0 if a > 0 and sentence[a - 1] in "\"“‘'" else 0.0,
            1.0 if before[0] in _PREPOSITIONS or before[0] in _DETERMINERS and before[1] in _PREPOSITIONS else 0.0,
            bool(a and _APPOSED.search(sentence, 0, a)),
            1.0 if inside and inside[-1].startswith(_HEAD_TAGS) else 0.0,
            1.0 if inside and all(t.startswith(_MODIFIER_TAGS) for t in inside) else 0.0,
            (1.0 if someone else 0.0, 1.0 if (a, b) in _dates(sentence) else 0.0),
            tuple(c for c in border if c is not None))


# Tags a noun phrase is made of (``tags.py``); any other word (a verb, preposition, adverb, determiner, a
# possessive) or punctuation ends the phrase. "-" and "&" join within one ("Procter & Gamble").
_PHRASE_TAGS = frozenset("JJ JJR JJS NN NNS NNP NNPS CD FW SYM $".split())
_PHRASE_JOINERS = frozenset("- &".split())
# Words two noun phrases are joined over, besides each alone ("maze of membranous tubes", "Angelina and
# Marica"). Held apart, "and" added F1 0.005 on public-dev as asked and as typed and on conv-dev; "or"
# after it took 0.001 back (2026-12-06).
_JOINS = frozenset(("of", "and"))
# Dates that stand beside a noun phrase as an adverb, not inside it: a weekday or a lower-case one ("talks in
# London next week", "Macron Monday said"), so they end the phrase before them. A year or a month may belong
# to the phrase ("World Cup 2014", "Theresa May"), so they do not.
_TIME_ADVERB = re.compile(rf"[a-z]|{_WEEKDAY}\b")


@lru_cache(maxsize=20_000)
def _chunks(sentence: str, asked: frozenset[str]) -> tuple[tuple[int, int], ...]:
    """Noun phrases by their words' tags ("observing lightning signals via his receivers": "lightning
    signals", "receivers"), broken at the question's own words, and two joined over ``_JOINS``. Held
    apart on public-dev the tags chose short answers at F1 0.411 against 0.395 for runs of content words
    broken only at stopwords (which let verbs in), and 0.301 against 0.283 on conv-dev (2026-12-06)."""
    runs: list[list[tuple[int, int]] | str] = []  # a phrase's word spans, or the word that ended one
    run: list[tuple[int, int]] = []
    adverbs = {a for a, _ in _dates(sentence) if _TIME_ADVERB.match(sentence, a)}
    for a, b, word, tag in tagged(sentence):
        if run and a in adverbs:  # "London next week": "London", then "next week"
            runs.append(run)
            run = []
        if tag in _PHRASE_TAGS and not _word_terms(word) & asked:
            run.append((a, b))
        elif tag in _PHRASE_JOINERS and run:
            run.append((a, b))
        else:
            if run:
                runs.append(run)
            run = []
            runs.append(word.lower())
    if run:
        runs.append(run)

    def ends(words: list[tuple[int, int]]) -> tuple[int, int] | None:
        while words and not sentence[words[-1][0]].isalnum():
            words = words[:-1]
        return (words[0][0], words[-1][1]) if words else None

    out = [span for r in runs if not isinstance(r, str) and (span := ends(r))]
    for left, middle, right in zip(runs, runs[1:], runs[2:]):
        if isinstance(middle, str) and middle in _JOINS and isinstance(left, list) and isinstance(right, list):
            a, b = ends(left), ends(right)
            if a and b:
                out.append((a[0], b[1]))
    # A break at a question's word inside someone's name leaves the rest of it ("Who did Rubio talk to?": not
    # "U.S. Secretary of State Marco"): a phrase that reaches into the name of someone the question names, and
    # not over the whole of it, is no answer. Only a person's: "Rice" of "Rice University" answers "What
    # university ...?" (over every name, public-dev's span F1 fell from 0.466 to 0.454).
    held = [(a, b) for a, b in _names(sentence) if _word_terms(sentence[a:b]) & asked
            and pronoun_of(sentence[a:b]) is not None]
    return tuple(s for s in dict.fromkeys(out) if not any(
        s[0] < b and a < s[1] and not (s[0] <= a and b <= s[1]) for a, b in held))


@lru_cache(maxsize=20_000)
def _naming_asked(sentence: str, asked: frozenset[str]) -> tuple[tuple[int, int], ...]:
    """The capitalised runs, titles included, that name someone the question names ("U.S. Secretary of State
    Marco Rubio" for "Rubio"): every word of one is that person's."""
    return tuple((m.start(), m.end()) for m in _CAPITALISED.finditer(sentence)
                 if any(m.start() <= a and b <= m.end() and _word_terms(sentence[a:b]) & asked - _TITLE_TERMS
                        and pronoun_of(sentence[a:b]) is not None for a, b in _names(sentence)))


# A title the question asks by names no one: "Who is the mayor?" asks for whoever "Houston Mayor Sylvester Turner" is.
_TITLE_TERMS = frozenset(t for title in TITLES for t in terms(title))


def _things(sentence: str, asked: frozenset[str]) -> list[tuple[int, int]]:
    return list(dict.fromkeys([*_quotes(sentence), *_names(sentence), *_chunks(sentence, asked)]))


# A person's role stands beside the name, in the words that name them: titles and role nouns before it ("U.S.
# State Department spokeswoman Tammy Bruce", "presidential envoy Steve Witkoff"), or set off by a comma before
# or after it ("Ukraine's presidential adviser, Andrii Yermak,"; "Alina Polyakova, president of the Center for
# European Policy Analysis in Washington,"). The words of a role: nouns, adjectives, names, an owner's "'s"
# and the abbreviations' dots, joined by "of", "for", "to", "on" or "and" ("special envoy to Ukraine and
# Russia"); at most ``ROLE_WORDS`` of them, with a noun among them.
_ROLE_TAGS = ("NN", "JJ", "VBN", "POS", "CD")
_ROLE_JOINERS = frozenset("of for to on and".split())
_ROLE_ARTICLES = frozenset("the a an".split())
ROLE_WORDS = 12


def _roles(sentence: str, asked: frozenset[str]) -> list[tuple[int, int]]:
    """The roles that the sentence gives the person asked about (``asked``: the question's terms): the
    apposition before the name, the words before it, the apposition after it, what it is said to be ("X was
    a ..."), in that order. A role is not
    joined by "and" to another name ("U.S. Secretary of State Marco Rubio and presidential envoy"). An owner
    has one too ("President Donald Trump's inauguration"), and may stand in another's ("Trump's envoy")."""
    found = tagged(sentence)
    people = _people(sentence)
    owners = [(a, b) for a, b in _names(sentence) if re.match(r"['’]s\b", sentence[b:b + 3])
              and not PLACE_OF.get(sentence[a:b].lower())]
    out: list[tuple[int, int]] = []
    for a, b in [*people, *owners]:
        if asked.isdisjoint(terms(sentence[a:b])):
            continue
        others = {k for k, t in enumerate(found) if any(c <= t[0] < d for c, d in people if (c, d) != (a, b))}
        persons = {k for k in others if any(c <= found[k][0] < d and _someone(sentence[c:d])
                                             and not _PLACED.search(sentence, 0, c) for c, d in people)}
        first = next((k for k, t in enumerate(found) if t[0] >= a), len(found))
        last = max((k for k, t in enumerate(found) if t[1] <= b), default=-1)
        # the words just before the name; none after a joiner ("the first patents issued to Tesla": the object
        # of "to", no title) nor across another's full name ("Kosanović's secretary Charlotte Muzar transported
        # Tesla's ashes"; a word alone may be an adjective: "Tsarist general Nikolay Dukhonin")
        joined = first > 0 and found[first - 1][2].lower() in _ROLE_JOINERS
        named = {k for k in persons if any(c <= found[k][0] < d and " " in sentence[c:d] for c, d in people)}
        before = None if joined else _role_run(found, first - 1, -1, others, named)
        shared = _shared_role(sentence, found, people, first)
        if shared:  # "writers Illia Novikov and Hanna Arhirova": the role before the pair is each one's
            out.append(shared)
        reach = first - 1 if before is None else next(k for k, t in enumerate(found) if t[0] == before[0]) - 1
        if reach >= 0 and found[reach][2] == ",":
            out.append(_role_run(found, reach - 1, -1, others, persons))
        out.append(before)
        if last + 1 < len(found) and found[last + 1][2] == ",":
            after = last + 2
            if after + 1 < len(found) and found[after][3] == "CD" and found[after + 1][2] == ",":
                after += 2  # past an age: "Diaz, 54, a former teacher,"
            out.append(_role_run(found, after, 1, others, persons, closed=True))
        said = _COPULA.match(sentence, b)  # "Nikola Tesla (...) was a Serbian American inventor, ..."
        if said:
            k = next((k for k, t in enumerate(found) if t[0] >= said.end()), len(found))
            role = _role_run(found, k, 1, set())  # what one is said to be may hold names ("Serbian American")
            when = _ROLE_TIME.search(sentence, *role) if role else None  # "chief executive last year": no time
            out.append((role[0], when.start()) if when and when.start() > role[0] else role)
    return list(dict.fromkeys(span for span in out if span is not None))


# Where the time a role was held starts: "mayor in 2019", "harbour master for ten years", "editor last year".
_ROLE_TIME = re.compile(rf"\s+(?:(?:for|in|since|until|from|during|of)\s+)?(?:(?:last|next|this|that|several|many|"
                        rf"{_SPELLED})\b|\d|{_MONTH}\b)", re.IGNORECASE)


def _shared_role(sentence: str, found: Sequence[tuple[int, int, str, str]], people: Sequence[tuple[int, int]],
                 first: int) -> tuple[int, int] | None:
    """The role before a pair of names joined by "and", for the second ("Associated Press writers Illia Novikov
    and Hanna Arhirova"; "Who is Hanna Arhirova?" had no short answer): the words before the first name, when
    no role of the second's own stands between ("Sybiha and Defense Minister Rustem Umerov" has one)."""
    if first < 2 or found[first - 1][2].lower() != "and":
        return None
    end = found[first - 2][1]
    pair = next(((c, d) for c, d in people if d == end and " " in sentence[c:d]), None)  # a full name
    if pair is None:
        return None
    k = next(k for k, t in enumerate(found) if t[0] >= pair[0])
    return _role_run(found, k - 1, -1, set())


# A name said to be someone: "is", "was", "has been" and an article after it, past a bracket ("Nikola Tesla
# (10 July 1856 – 7 January 1943) was a Serbian American inventor"), or made it ("was appointed editor of the
# magazine", ", who became chief executive", "served as mayor").
_COPULA = re.compile(r"(?:\s*\((?:[^()]|\([^()]{0,40}\)){0,200}\))?(?:\s*,\s*who)?\s+(?:(?:is|was|has been|had been)\s+"
                     r"(?:a|an|the)\s+|(?:(?:is|was|has been|had been|were)\s+)?(?:appointed|named|elected|promoted to|"
                     r"became|becomes|has become|served as|serves as|worked as|works as)\s+(?:(?:a|an|the)\s+)?)",
                     re.IGNORECASE)


# A role's noun names a person's place among others: a title, one of these, or a word made to name a doer
# ("spokeswoman", "editor", "electrician", "superintendent", "nominee"). Without it, the words before a name
# were no role: of public-dev's and conv-dev's "Who was X?", "bigamy", "arrival", "tomb", "many days".
_PERSON_NOUNS = frozenset("""envoy general chief head leader member friend counterpart officer official aide deputy chair
    host guest nurse monk priest bishop knight wife husband son daughter mother brother sister uncle aunt cousin child
    boy girl pupil graduate veteran colleague partner ally rival critic expert poet star champion hero heir candidate
    delegate diplomat emissary owner master servant slave widow bride groom mate captain chaplain""".split())
_DOER = re.compile(r"(?:[^m]er|or|ist|ian|ant|(?<!m)ent|man|woman|men|women|ess|ee|eer|ier)s?$")


def _role_noun(word: str) -> bool:
    low = word.lower().strip(".")
    return low in TITLES or low in _PERSON_NOUNS or low.rstrip("s") in _PERSON_NOUNS or bool(_DOER.search(low))


_PLACED = re.compile(r"\b(?:in|at|from|near)\s+$", re.IGNORECASE)  # "in Washington": a place, whoever it is named for


def _someone(name: str) -> bool:
    """Whether a name is a person's: its first name says he or she, or it is no city and its last word no common
    noun ("Center for European Policy Analysis" is an organisation, "Washington" a city, "Rustem Umerov" someone)."""
    return pronoun_of(name) is not None or not (
        is_city(name) or (lexicon().get(name.split()[-1].lower()) or "").startswith("NN"))


def _role_run(found: Sequence[tuple[int, int, str, str]], k: int, step: int, others: set[int],
              people: set[int] = frozenset(), closed: bool = False) -> tuple[int, int] | None:
    """The span of role words from token ``k`` on, walking ``step`` (-1: leftwards to the name, 1: after it),
    short of an "and" before ``others`` (tokens of other names) and of ``people`` (tokens of other people's
    names, ``_someone``: "Rustem Umerov, British Foreign Secretary David Lammy," is a list). ``closed``: an
    apposition set off after the name, which must end at a comma or the sentence's end, and may hold articles
    and prepositions ("president of the Center for European Policy Analysis in Washington")."""
    taken: list[int] = []
    while 0 <= k < len(found) and len(taken) < ROLE_WORDS:
        start, _, word, tag = found[k]
        low = word.lower()
        if low == "and" and k + step in others or k in people:  # a list of people, not one's role
            break
        dot = word == "." and k > 0 and found[k - 1][1] == start and found[k - 1][3] == "NNP"
        if not (dot or tag.startswith(_ROLE_TAGS) or low in _ROLE_JOINERS or low in TITLES
                or closed and taken and tag in ("DT", "IN")):
            if not (closed and not taken and low in _ROLE_ARTICLES):
                break
        else:
            taken.append(k)
        k += step
    if closed and 0 <= k < len(found) and found[k][2] not in (",", ".", ";", ")"):
        return None
    taken.sort()
    while taken and (found[taken[0]][2].lower() in _ROLE_JOINERS or found[taken[0]][3] in ("POS", "DT", "IN")):
        taken.pop(0)
    while taken and (found[taken[-1]][2].lower() in _ROLE_JOINERS or found[taken[-1]][3] in ("DT", "IN")
                     or found[taken[-1]][2] == "." and taken[-1] == len(found) - 1):  # the sentence's full stop
        taken.pop()
    if not any(_role_noun(found[j][2]) and found[j][3] in ("NN", "NNS") or found[j][2].lower() in TITLES
               for j in taken):
        return None
    return found[taken[0]][0], found[taken[-1]][1]


# The words a name shortened to its initials may pass over: "Ministry of Defence" (MoD), "Time And Relative
# Dimension In Space" (TARDIS) spell with some of them and "National Center for Biotechnology Information"
# (NCBI) without.
_SPELL_SKIPS = frozenset("of and the for in on to at a an de du des la le von van".split())
_SPELL_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")


def _expansions(sentence: str, asked: frozenset[str]) -> list[tuple[int, int]]:
    """The runs of words whose initials spell one of the question's terms ("Lunar Excursion Module" for
    "lem", "alternating current" for "ac"): what "What does LEM stand for?" asks for."""
    found = list(_SPELL_WORD.finditer(sentence))
    firsts = [m.group(0)[0].lower() for m in found]
    lowered = [m.group(0).lower() for m in found]
    out = []
    for letters in sorted(asked):
        if not 2 <= len(letters) <= 10 or not letters.isalpha() or any(
                other != letters and other.startswith(letters) for other in asked):  # a stem ("tardi" of "tardis")
            continue
        for i, first in enumerate(firsts):
            if first == letters[0] and lowered[i] != letters:
                end = _spelled(firsts, lowered, i, letters)
                if end is not None:
                    out.append((found[i].start(), found[end].end()))
    return out


def _spelled(firsts: Sequence[str], lowered: Sequence[str], i: int, letters: str, k: int = 0) -> int | None:
    """The last word of a run from word ``i`` whose initials spell ``letters[k:]`` (words of ``_SPELL_SKIPS`` may
    be passed over), or None."""
    if i >= len(firsts):
        return None
    if firsts[i] == letters[k]:
        if k + 1 == len(letters):
            return i
        end = _spelled(firsts, lowered, i + 1, letters, k + 1)
        if end is not None:
            return end
    return _spelled(firsts, lowered, i + 1, letters, k) if k and lowered[i] in _SPELL_SKIPS else None


# Who a sentence's closing attribution names (", regional authorities said.", ", U.S. State Department
# spokeswoman Tammy Bruce said in a statement."): the source of the news, not who did what it reports ("Who did
# Rubio talk to?" answered Tammy Bruce). Closing: the verb of speech and at most six words after it, none "that";
# a first pattern that let any clause close so (", and later said that Mark Twain's works had helped him") cost
# two right short answers on the dev sets, this one changes none of them.
_ATTRIBUTION = re.compile(
    r",\s+(?:(?!(?:and|but|or|was|were|is|are|had|has|have|what|that|which|who|when|while|if)\b)[^\s,\"“”]+\s+){1,10}?"
    r"(?:said|says|told|added|reported|wrote|noted|stated)(?:\s+(?!that\b)[^\s,\"“”]+){0,6}\s*[.!?]?\s*$")
# A question asking who said or reported something, whose answer the attribution is.
_REPORTING = re.compile(r"\b(?:say|says|said|tell|tells|told|report\w*|announc\w*|stated?|states|claim\w*|confirm\w*|"
                        r"write|wrote|written|add|added|note|noted|according|sources?|quot\w*|describ\w*)\b",
                        re.IGNORECASE)


def attributed(sentence: str, question: str) -> int | None:
    """Where the closing attribution of ``sentence`` starts, if it has one and ``question`` asks no one's words
    (None: every name stands)."""
    if _REPORTING.search(question):
        return None
    found = _ATTRIBUTION.search(sentence)
    return found.start() if found else None


# Why and how questions are answered by a clause: the words after what marks a reason ("uncompleted due to the
# death of Elisabeth Sladen", "because they were nomads", "to attend school") or a manner ("smuggled out in
# herring barrels", "attended as an auditor"), to the clause's end, and to the first "and" or "but" besides; at
# most ``CLAUSE_WORDS`` words. Public-dev's 137 why and how questions got no short answer before (F1 0).
_REASON_MARK = re.compile(r"\b(?:because(?:\s+of)?|due\s+to|owing\s+to|thanks\s+to|as\s+a\s+result\s+of|"
                          r"on\s+account\s+of|in\s+order\s+to|so\s+as\s+to|so\s+that|since|for|stating\s+that|"
                          r"saying\s+that|after|as)\s+", re.IGNORECASE)
_MANNER_MARK = re.compile(r"\b(?:by|through|via|using|with|as|in|into|like)\s+", re.IGNORECASE)
# A clause ends at a mark (not a comma in "1,000"), or at a full stop that ends no one-letter word ("10 p.m."
# goes on) or that a capital follows (the sentence was not split after "p.m.")
_CLAUSE_END = re.compile(r"\s*(?:[;:!?()\[\]—–\"“”]|,(?!\d)|(?<!\b\w)\.|\.(?=\s+[A-Z])|$)")
_CLAUSE_JOIN = re.compile(r"\s+(?:and|but|or|which|who|whom|where|while|when|whereas)\b")
# Without a refit, public-dev short F1 with 8 words 0.502, 12 0.503, 16 0.503 (conv-dev 0.339, 0.339, 0.340;
# 2026-12-08): the shorter of the even ones, since the answer leads.
CLAUSE_WORDS = 12


def _clauses(sentence: str, starts: Sequence[int]) -> list[tuple[int, int]]:
    """From each of ``starts``: the words to the clause's end and to its first joining word, at most
    ``CLAUSE_WORDS`` of them and not ending on a stopword."""
    out = []
    for a in starts:
        end = _CLAUSE_END.search(sentence, a)
        b = end.start() if end else len(sentence)
        if b <= a:
            continue
        joined = _CLAUSE_JOIN.search(sentence, a, b)
        for stop in ([joined.start()] if joined and joined.start() > a else []) + [b]:
            found = list(re.finditer(r"\S+", sentence[a:stop]))[:CLAUSE_WORDS]
            while found and found[-1].group(0).lower() in STOPWORDS:  # cut short: not "... the conflicts in the"
                found.pop()
            if found:
                out.append((a, a + found[-1].end()))
    return list(dict.fromkeys(out))


def _reasons(sentence: str, asked: frozenset[str]) -> list[tuple[int, int]]:
    starts = [m.end() for m in _REASON_MARK.finditer(sentence)]
    tokens = tagged(sentence)  # "to attend school": an infinitive of purpose
    starts += [a for (_, _, word, _), (a, _, _, tag) in zip(tokens, tokens[1:]) if word.lower() == "to" and tag == "VB"]
    return _clauses(sentence, sorted(starts))


def _manners(sentence: str, asked: frozenset[str]) -> list[tuple[int, int]]:
    done = [(a, b) for a, b, word, tag in tagged(sentence) if tag in ("VBD", "VBN", "VBG")
            and not _word_terms(word) & asked]  # what someone did: "he shamed him into halting the sale"
    return list(dict.fromkeys([*_clauses(sentence, [m.end() for m in _MANNER_MARK.finditer(sentence)]), *done,
                               *_clauses(sentence, [a for a, _ in done])]))


# A question offering two answers ("Was the test a failure or a success?", "Were his experiments high-voltage or
# low-voltage?"): its answer is the one the sentence holds. The second option runs from "or" to the end, or to
# a word of ``_OPTION_ENDS`` after its first; the first is as many words before "or".
_CHOICE = re.compile(r"^\W*(?:is|was|are|were|do|does|did|has|have|had|will|would|can|could|should)\b(.+?)\s+or\s+"
                     r"(?:not\s+)?([^?]+?)\W*$", re.IGNORECASE)


# Words that end an option after its first: what the sentence says of either ("... or incompatible with TV?").
_OPTION_ENDS = frozenset("""with to for than of in on at by from into about and but if when while because that which
who whom whose is are was were be been being do does did has have had will would can could should""".split())


def chosen_option(question: str, sentences: Sequence[str]) -> tuple[int, int, int] | None:
    """(sentence, start, end) of the words that say which of a question's two options holds, in the first
    sentence that holds the words of one option and not the other's; None for a question offering none."""
    found = _CHOICE.match(question.strip())
    if not found:
        return None
    second = found.group(2).split()
    cut = next((i for i, w in enumerate(second) if i and w.lower() in _OPTION_ENDS), len(second))
    second = second[:cut]  # "incompatible with live broadcast TV formats": "incompatible"
    first = found.group(1).split()[-len(second):]
    options = [set(terms(" ".join(first))), set(terms(" ".join(second)))]
    own = [options[0] - options[1], options[1] - options[0]]
    if not all(own):
        return None
    for i, sentence in enumerate(sentences):
        held = _token_terms(sentence)
        at = [[j for j, t in enumerate(held) if t & mine] for mine in own]
        if bool(at[0]) != bool(at[1]):
            a, b = _tokens(sentence)[(at[0] or at[1])[0]][:2]
            word = re.compile(r"[\w'’-]*").match  # the whole word: "high-voltage", not "high"
            start = len(sentence[:a]) - len(re.search(r"[\w'’-]*$", sentence[:a]).group(0))
            return i, start, word(sentence, b).end()
    return None


# What proposes spans for each kind of question that asks for a thing; other kinds get no short answer.
PROPOSERS: dict[str, Callable[[str, frozenset[str]], list[tuple[int, int]]]] = {
    "person": _people,
    "place": _places,
    "date": _dates,
    "number": _numbers,
    "age": _ages,
    "quote": _quotes,  # "What did Macron call the talks?": the quoted word
    "thing": _things,  # "Which ship ...?", "What is X called?", "What does Moscow demand?"
    "role": _roles,  # "Who is Tammy Bruce?", "What is Rubio's job?"
    "expansion": _expansions,  # "What does LEM stand for?": "Lunar Excursion Module"
    "reason": _reasons,  # "Why did the series end?": "the death of Elisabeth Sladen"
    "manner": _manners,  # "How did Luther smuggle the nuns out?": "herring barrels"
    "action": _manners,  # "What did the Shah do?", "What happened to his lab?": "fled", "torn down"
}
# Questions asking what a shortening stands for: "What does the acronym LEM stand for?", "What is AC short for?"
_STANDS_FOR = re.compile(r"\b(?:stands?|stood) for\b|\bshort for\b", re.IGNORECASE)
# "What did the Shah do?", "What happened to his lab?": what someone did, or what became of something.
_ACTION = re.compile(r"\bwhat\s+(?:happened|happens|has happened|had happened|will happen|(?:did|does|do|will|would|could|"
                     r"can|should|had|has)\b.{1,60}\bdo(?:ing)?\b(?=\s*(?:[?.!]|$|(?:when|after|before|during|while|at|"
                     r"to|with|about|in|on|if|as|for|so|then|next|now|there|here|that)\b)))", re.IGNORECASE)
# "How did he ...?", "How are they shaped?": a manner; "how many", "how old" are kinds of their own.
_HOW = re.compile(r"\bhow\b(?!\s+(?:many|much|old|long|far|often|big|large|high|tall|deep|wide|soon|come)\b)",
                  re.IGNORECASE)
# Questions of kind "other" that still ask for a thing: "which X", "what is X called/named", "what X did Y
# call", and where the what stands later ("In what episode ...?", "... was recognized by what award?"):
# public-dev's answered questions of kind "other" that asked for none were 367, about 50 of them so.
_THING = re.compile(r"\b(what|which|whose)\b|^name\b|\b(called|named|name of)\b", re.IGNORECASE)
# What-questions that ask for a description, not a thing: what happened, what did X do, what is X like.
# "What did X do/think/say" asks for a description where the verb ends it or a clause follows it ("What did
# Luther do during Lent?"), and for a thing where its object follows ("What did Luther think was the only
# source of knowledge of God?": the Bible); "What does X mean?" for a thing too ("universal ruler"). Of
# public-dev's 89 answered what-did/does questions given no short answer, 47 so (2026-12-06).
_DESCRIPTION = re.compile(r"\bwhat\s+(happened|happens|is happening|(did|does|do|will|would|could|can)\b.{1,60}\b"
                          r"(do|doing|think|want|say|said)\b(?=\s*(?:[?.!]|$|(?:when|after|before|during|while|at|"
                          r"to|with|about|in|on|if|as|for|so|then|next|now|there|here|that)\b))|"
                          r"(is|was|are|were)\b.{1,60}\blike\b)|^(how|why)\b|\bwhat\s+for\b", re.IGNORECASE)
# "How did Luther describe his learning?" asks for the words he used too ("rote learning").
_QUOTE_CALL = re.compile(r"\b(what|how) (did|does|do) .{1,60}\b(call|called|describe|described)\b", re.IGNORECASE)


_WHO_IS = re.compile(r"\s*who\s*(?:is|was|'s|’s)\s+(.+?)[\s?.!]*", re.IGNORECASE)


def names_only(question: str, own: Sequence[str], names: Sequence[str]) -> bool:
    """Whether a question names someone and asks nothing else of them: its terms (``own``) are all its names'
    and no verb but "is" frames them ("Who is Tammy Bruce?"; "Who called their system the 'Tesla Polyphase
    System'?" still asks for a name: say, call and tell are stopwords), or it is "Who is <name>?" whose name a
    pronoun stood for ("Who is he?" after a question about Rubio; "Who was with him?" asks for a name)."""
    # a quoted phrase is no one, nor a title after "the" ("Who is the sheriff?" asks who holds the office)
    names = [n for n in names if not _quoted(n, question) and not _office(n, question)]
    named = {t for n in names for t in terms(n)}
    if own and all(t in named for t in own) and question_slot(question) is None:
        return True
    who_is = _WHO_IS.fullmatch(question)
    return who_is is not None and any(who_is.group(1).lower() == n.lower() for n in names)


def _office(name: str, question: str) -> bool:
    """Whether a name the question holds is titles only, after "the" ("the sheriff", "the Defense Minister")."""
    return all(w.lower().strip(".") in TITLES for w in name.split()) and f"the {name.lower()}" in question.lower()


def _quoted(phrase: str, text: str) -> bool:
    """Whether ``phrase`` stands in quotation marks in ``text`` (by string search: a pattern made for each
    question's names is compiled afresh each time, 0.3 ms a question)."""
    at = text.find(phrase)
    while at >= 0:
        end = at + len(phrase)
        if at and text[at - 1] in "\"“‘'" and end < len(text) and text[end] in "\"”’'":
            return True
        at = text.find(phrase, at + 1)
    return False


def asks_for_role(kind: str, question: str, own: Sequence[str], names: Sequence[str]) -> bool:
    """Whether a question asks for the role of someone it names: who they are ("Who is Tammy Bruce?") or their
    job, title or position (``kinds.asks_role``)."""
    return (kind == "person" and names_only(question, own, names)
            or asks_role(question, own, {t for n in names for t in terms(n)}))


def asked_kind(kind: str, question: str, names_only: bool = False) -> str | None:
    """The kind of span a question asks for (a key of ``PROPOSERS``), or None (descriptions, what someone did).

    ``names_only``: the question's words are all names ("Who is Tammy Bruce?" asks for a description; its
    span, her role, is ``answer.asked_of``'s to ask for).

    >>> asked_kind("date", "When did it open?"), asked_kind("reason", "Why was it late?")
    ('date', 'reason')
    >>> asked_kind("other", "Which ship sank?"), asked_kind("quote", "What did Macron call the talks?")
    ('thing', 'quote')
    """
    if kind == "person" and names_only:
        return None
    if kind in ("person", "place", "date", "number", "age"):
        return kind
    if kind == "other" and _STANDS_FOR.search(question):
        return "expansion"
    if kind == "quote" and _QUOTE_CALL.search(question):
        return "quote"
    if kind == "reason":
        return "reason"
    question = question.strip()
    if kind == "other" and _HOW.search(question):
        return "manner"
    if kind == "other" and _ACTION.search(question):
        return "action"
    if kind in ("other", "quote") and _THING.search(question) and not _DESCRIPTION.search(question):
        return "person" if kind == "other" and _asks_for_someone(question) else "thing"
    return None


def _asks_for_someone(question: str) -> bool:
    """Whether "what" or "which" asks for a person's noun ("What artist provided the woodcuts?", "Which theologian
    differed?"): its answer is a name. Over public-dev and conv-dev, 14 questions asked so were read as asking for a
    thing ("What artist ...?" answered "Germany"); 10 of their answers are names."""
    found = _ASKED_NOUN.search(question)
    noun = found.group(1) if found else ""
    return noun.islower() and noun not in _PLACE_NOUNS and lexicon().get(noun, "NN").startswith("NN") and (
        noun.rstrip("s") in _PERSON_NOUNS or bool(_ASKED_DOER.search(noun)))


# A person's noun by its ending, as questions ask for one: -er, -or and -ess asked for a diameter, a chapter, a
# creator's words and a process as often as for a person.
_ASKED_DOER = re.compile(r"(?:ist|ian|eer)s?$|(?:^|[a-z]{3})(?:man|woman|men|women)$")


# ---------------------------------------------------------------- choosing

_PREPOSITIONS = frozenset("in at on to from near into since by during until".split())
# Words that may stand between a preposition and its noun phrase ("at the French presidential palace").
_DETERMINERS = frozenset("the a an this that these those his her its their our my your".split())
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]—–]")
_ASKED, _CAPITALISED_SPAN, _TYPED = (SPAN_FEATURES.index(name) for name in ("asked", "capitalised", "typed"))
_SHAPE = [SPAN_FEATURES.index(name) for name in ("capitalised", "digits", "length")]
_NOUN_SHAPE = [SPAN_FEATURES.index(name) for name in ("noun_capitalised", "noun_digits", "noun_length")]


def noun_key(noun: frozenset[str]) -> str | None:
    """What noun shapes are kept by: the first of the asked noun's terms (``asked_noun``), None for none.

    >>> noun_key(asked_noun("What company built the dam?")), noun_key(asked_noun("Who built it?"))
    ('compani', None)
    """
    return min(noun) if noun else None


def span_shape(features: np.ndarray) -> np.ndarray:
    """A proposal's shape, as ``NounShape`` counts it: capitalised, holds a digit, log length."""
    return features[..., _SHAPE]


def shape_features(features: np.ndarray, shape: NounShape | None) -> None:
    """Set, in place, the ``noun_*`` features of proposals' feature rows (one row or a matrix): how well each
    span matches what answers to the asked noun looked like (all 0 without a shape)."""
    rows = features.reshape(-1, len(SPAN_FEATURES))
    if shape is None:
        rows[:, _NOUN_SHAPE] = 0.0
        return
    capital, digit, length = (rows[:, i] for i in _SHAPE)
    rows[:, _NOUN_SHAPE[0]] = shape[0] * capital + (1 - shape[0]) * (1 - capital) - 0.5
    rows[:, _NOUN_SHAPE[1]] = shape[1] * digit + (1 - shape[1]) * (1 - digit) - 0.5
    rows[:, _NOUN_SHAPE[2]] = -np.abs(length - shape[2])


# A span set off by a comma or bracket, a determiner allowed before it ("his rule of law, the Yassa code").
# What stands between a subject and its verb when an apposition is set off ("Alina Polyakova, president of the
# Center for European Policy Analysis in Washington, called this ...": Polyakova called it).
_SET_OFF = re.compile(r"\s*,[^,;:()\"“”]{1,120},\s*")
# The verb "to be" before a participle: a passive clause ("starch is stored in granules", "was killed by").
_BE = frozenset("is are was were be been being".split())
_BETWEEN_BE = frozenset("not also often usually then never still first later".split())


def _in_slot(role: str, sentence: str, tokens: Sequence[tuple[int, int, str]], j: int, first: int, last: int,
             end: int) -> bool:
    """Whether the span of tokens ``first``..``last`` (ending at character ``end``) stands where the question's
    thing does around the verb at token ``j``: its subject just before it, or set off from it by an apposition
    ("Polyakova, an analyst, called it"), its object just after it. A passive clause turns them round: the thing
    stored stands before "is stored", the killer after "was killed by"."""
    word = tokens[j][2].lower()
    k = j - 1 if j and tokens[j - 1][2].lower() not in _BETWEEN_BE and not tokens[j - 1][2].endswith("ly") else j - 2
    passive = not word.endswith("ing") and (k >= 0 and tokens[k][2].lower() in _BE or _by_agent(tokens, j))
    if (role == "subject") != passive:
        return 0 < j - last <= 4 or j > last and bool(_SET_OFF.fullmatch(sentence, end, tokens[j][0]))
    if passive:
        return 0 < first - j <= 5 and any(tokens[n][2].lower() == "by" for n in range(j + 1, first))
    return 0 < first - j <= 4
def _by_agent(tokens: Sequence[tuple[int, int, str]], j: int) -> bool:
    """Whether "by" and its agent follow the verb at ``j`` within three words, as in a passive without "was"
    ("recordings made off-air by fans"); not "by" and a gerund ("made money by selling patents")."""
    return any(tokens[n][2].lower() == "by" and n + 1 < len(tokens) and not tokens[n + 1][2].endswith("ing")
               for n in range(j + 1, min(j + 4, len(tokens))))


_APPOSED = re.compile(r"[,(]\s*(?:the\s+|a\s+|an\s+)?$", re.IGNORECASE)
# How far either side of a span its ``window`` feature looks for the question's words (in words).
WINDOW = 8
# Where each border word's feature stands (``features.BORDER_BEFORE``, ``BORDER_AFTER``).
_BEFORE_AT = {w: SPAN_FEATURES.index(f"before:{w}") for w in BORDER_BEFORE}
_AFTER_AT = {w: SPAN_FEATURES.index(f"after:{w}") for w in BORDER_AFTER}
_BEFORE2_AT = {w: SPAN_FEATURES.index(f"before2:{w}") for w in BORDER_BEFORE}
_FIRST_AT = {t: SPAN_FEATURES.index(f"first:{t}") for t in SPAN_TAGS}
_LAST_AT = {t: SPAN_FEATURES.index(f"last:{t}") for t in SPAN_TAGS}
_OWN = SPAN_FEATURES.index(f"before:{BORDER_BEFORE[0]}")  # the features before the word and tag ones


def _before_break(tokens: Sequence[tuple[int, int, str]], first: int, hits: Sequence[int]) -> bool:
    """Whether the word before the comma or bracket that sets off the span (``_APPOSED``) is one of the question's."""
    j = first - 1
    while j >= 0 and tokens[j][2].lower() in ("the", "a", "an"):
        j -= 1
    return j >= 0 and j in hits


@dataclass(frozen=True)
class Proposal:
    """A proposed span of one answer sentence and its features."""

    sentence: int  # index among the answer's sentences
    start: int  # offsets in that sentence
    end: int
    features: np.ndarray


# The noun asked for stands after the asking word, or after "what is the", "type of", "name of" and an
# owner ("What was the name of Temujin's laws?": laws). Reading through "type of", "name of" and "what is
# the" raised held-apart span F1 on public-dev from 0.3736 to 0.3846 (2026-12-06).
_ASKED_NOUN = re.compile(r"\b(?:what|which|whose|how many|how much)\s+(?:(?:is|was|are|were)\s+(?:the|an?)\s+)?"
                         r"(?:(?:type|kind|sort|form|name|title)s?\s+of\s+(?:the\s+|an?\s+|[\w-]+['’]s\s+)?)?([a-z]+)\b(?!['’])",
                         re.IGNORECASE)
_AUXILIARIES = frozenset("is are was were be been did does do has have had can could will would should may might "
                         "must shall kind type sort".split())


def asked_noun(question: str) -> frozenset[str]:
    """The terms of the noun a question asks for ("What disease did Tesla contract?": disease), if it names one.

    >>> sorted(asked_noun("In what year did it open?")), sorted(asked_noun("What did he say?"))
    (['year'], [])
    >>> sorted(asked_noun("What type of antenna was used?")), sorted(asked_noun("What is the capital of Kenya?"))
    (['antenna'], ['capit'])
    """
    found = _ASKED_NOUN.search(question)
    if not found or found.group(1).lower() in STOPWORDS or found.group(1).lower() in _AUXILIARIES:
        return frozenset()
    return frozenset(terms(found.group(1)))


_WH = frozenset("what which who whom whose when where how".split())
_AUXILIARY_VERBS = frozenset("is are was were be been do does did has have had can could will would should may "
                             "might".split())
Slot = tuple[str, frozenset[str]]  # ("subject" or "object", the terms of the question's verb)


def question_slot(question: str) -> Slot | None:
    """Where the thing asked for stands around the question's verb: its subject when the verb follows the
    wh-word with no auxiliary between ("Who killed Begter?"), else its object ("What did Tesla invent?").

    >>> question_slot("Who killed Begter?"), question_slot("What did Tesla invent?")
    (('subject', frozenset({'kill'})), ('object', frozenset({'invent'})))
    """
    found = tagged(question)
    lowered = [word.lower() for _, _, word, _ in found]
    at = next((k for k, word in enumerate(lowered) if word in _WH), None)
    if at is None:
        return None
    auxiliary = False
    for k in range(at + 1, len(found)):
        if auxiliary and lowered[k] in _HAVE and (k + 1 == len(found) or not found[k + 1][2][0].isalnum()
                                                  or lowered[k + 1] in _PREPOSITIONS):
            return "object", _HAS  # "How many membranes does the chloroplast have?": what it has
        if lowered[k] in _AUXILIARY_VERBS:
            auxiliary = True
        elif found[k - 1][3] in _BEFORE_NOUNS or lowered[k - 1] in _ARTICLES:  # "On which magazine's cover
            # did Tesla appear?", "the extended episode": no verb
            continue
        elif found[k][3].startswith("VB") or auxiliary and _verb_after_subject(found, k):
            verb = _word_terms(found[k][2])
            if auxiliary and lowered[k] in _WANTING and k + 2 < len(found) and lowered[k + 1] == "to" and _a_verb(
                    found[k + 2][2]):
                verb |= _word_terms(found[k + 2][2])  # "What did Tesla claim to perfect?": what he perfected
            last = next((n for n in range(len(found) - 1, k + 1, -1) if found[n][2][0].isalnum()), None)
            if auxiliary and last is not None and lowered[last - 1] == "to" and _a_verb(found[last][2]):
                verb |= _word_terms(found[last][2])  # "Who did Luther remind the peasants to obey?": whom they obey
            return ("object" if auxiliary else "subject", verb) if verb else None
    return None


# Verbs whose subject does the next verb ("Who did Philip want to marry?": whom Philip married), so the thing
# asked is that verb's object; not "hire", "use", "ask" ("What did they use to send animals?": what they used).
_WANTING = frozenset("""want wants wanted intend intends intended claim claims claimed plan plans planned try tries
    tried hope hopes hoped decide decides decided attempt attempts attempted agree agrees agreed expect expects
    expected wish wishes wished need needs needed fail fails failed refuse refuses refused seek seeks sought choose
    chooses chose prefer prefers preferred promise promises promised begin begins began start starts started
    continue continues continued manage manages managed threaten threatens threatened like likes liked mean means
    meant""".split())


# "have" as the question's verb: a stopword, so no term of it is found in a sentence; ``_HAS`` stands for it, and
# the sentence's "has", "have" and "had" that own something (not "has been", "had found") are where it stands.
_HAVE = frozenset(("have", "has", "had"))
_HAS = frozenset(("(have)",))


def _owning_at(tokens: Sequence[tuple[int, int, str]]) -> list[int]:
    """Where a sentence's "has", "have" or "had" owns something: not before a participle or "been"."""
    return [j for j, (_, _, word) in enumerate(tokens) if word.lower() in _HAVE and not (
        j + 1 < len(tokens) and (tokens[j + 1][2].lower() in ("been", "not", "to") or tag_of(tokens[j + 1][2]) == "VBN"))]


# After an owner's "'s", "his" or an article a word is a noun, whatever the lexicon says of it.
_BEFORE_NOUNS = frozenset(("POS", "PRP$"))
_ARTICLES = frozenset(("the", "a", "an"))


def _a_verb(word: str) -> bool:
    """Whether a lower-case word is a verb's base form: the lexicon tags it a verb, or knows its past ("perfect",
    "marry")."""
    known = lexicon()
    return word.islower() and (known.get(word, "").startswith("VB") or any(
        known.get(form, "").startswith("VB") for form in (word + "ed", word + "d", word[:-1] + "ied")))


def _verb_after_subject(found: Sequence[tuple[int, int, str, str]], k: int) -> bool:
    """Whether the word at ``k``, tagged a noun, is the verb after "did"/"does" and its subject: lower case, after
    a noun, number, pronoun or adverb, and a verb in another form ("stored", "landed"). The lexicon gives each
    word its likeliest tag, which for "store", "land" or "test" is the noun's: 163 of public-dev's 482 questions
    asking "What/Who/Which ... do/does/did ...?" had no verb ("What do pyrenoids store?")."""
    word, tag = found[k][2], found[k][3]
    if tag != "NN" or not word.islower() or not found[k - 1][3].startswith(("NN", "CD", "PRP", "RB")):
        return False
    known = lexicon()
    return any(known.get(form, "").startswith("VB") for form in (word + "ed", word + "d", word[:-1] + "ied"))


# The asked kinds whose answer is never someone. Short answers to where-questions that named someone: public-dev
# 7 of 119, conv-dev 13 of 170; to when-questions, one of public-dev's 165 as typed and one of
# conv-dev's 128 ("19th of June General Eliott": the date was the answer). No short answer to a who-question
# was a date, and no gold one (2026-12-07).
_NOT_WHO = frozenset(("place", "date"))
_NOT_WHEN = frozenset(("person", "place"))
# Nor is a time word alone ("Hours" of "Hours earlier"): as short answers to who-questions "Day", "Time",
# "morning" were wrong 7 times over the dev sets and never right (2026-12-07).
_TIME_WORDS = frozenset("""moment moments minute minutes hour hours day days night nights morning mornings afternoon
    evening evenings week weeks month months year years decade decades century centuries time times""".split())


def propose(asked: str, question_terms: Sequence[str], sentences: Sequence[str], shares: Sequence[float],
            noun: frozenset[str] = frozenset(), slot: Slot | None = None,
            term_weights: Sequence[float] = (), rarity: Callable[[str], float] | None = None,
            shape: NounShape | None = None) -> list[Proposal]:
    """Every span of the answer's ``sentences`` that ``asked``'s proposer finds, with its features;
    ``noun``: the terms of the noun the question asks for (``asked_noun``); ``slot``: where the thing asked
    for stands around the question's verb (``question_slot``); ``term_weights``: each question term's IDF
    (none: all alike); ``rarity``: a term's rarity in the articles (``Vocabulary.rarity``; none: all 0);
    ``shape``: what answers to the asked noun looked like (``NounShape``; none: its features 0)."""
    wanted = set(question_terms)
    asked_terms = frozenset(wanted)
    weight = dict(zip(question_terms, term_weights or [1.0] * len(question_terms)))
    total = sum(weight.values()) or 1.0
    places: list[tuple[int, int, int]] = []  # (sentence, start, end) of each proposal
    rows: list[list[float]] = []  # its features before the border words'
    marked: tuple[list[int], list[int]] = ([], [])  # (proposal, column) of each border word
    for i, sentence in enumerate(sentences):
        tokens = _tokens(sentence)
        starts, ends = _bounds(sentence)
        held = _token_terms(sentence)
        hits = [j for j, t in enumerate(held) if not wanted.isdisjoint(t)]  # ascending
        found = {j: held[j] & asked_terms for j in hits}
        typed_at = [j for j, t in enumerate(held) if not noun.isdisjoint(t)] if noun else []
        verb_at = [] if not slot else _owning_at(tokens) if slot[1] == _HAS else [
            j for j, t in enumerate(held) if not slot[1].isdisjoint(t)]
        typed = PROPOSERS[asked](sentence, asked_terms)
        # "What did Melanchthon call the marriage?": "reckless", unquoted; a role is in the words naming someone
        generic = _chunks(sentence, asked_terms) if asked != "role" else []
        filed = _dateline(sentence) if asked != "place" else 0
        if filed:
            typed, generic = [(a, b) for a, b in typed if a >= filed], [(a, b) for a, b in generic if a >= filed]
        if asked in _NOT_WHO:  # a place or time is nobody ("Where were the talks held?" was "President Donald Trump")
            typed = [(a, b) for a, b in typed if not someones(sentence[a:b])]
            generic = [(a, b) for a, b in generic if not someones(sentence[a:b])]
        if asked in _NOT_WHEN:  # and nobody, and no place, is a time ("Who hit Dnipro?" was "Wednesday night",
            # then "Hours" of "Hours earlier": the article leaves the doer out; "Where is Dnipro?" too)
            when = _dates(sentence)
            typed = [(a, b) for a, b in typed if not _TIME_WORDS.issuperset(sentence[a:b].lower().split())]
            generic = [(a, b) for a, b in generic if not any(c <= a and b <= d for c, d in when)
                       and not _TIME_WORDS.issuperset(sentence[a:b].lower().split())]
        if asked == "person":  # nor the titles of whom the question names ("Who did Rubio talk to?" was
            # "U.S. Secretary", of "U.S. Secretary of State Marco Rubio")
            named = _naming_asked(sentence, asked_terms)
            typed = [(a, b) for a, b in typed if not any(c <= a and b <= d for c, d in named)]
            generic = [(a, b) for a, b in generic if not any(c <= a and b <= d for c, d in named)
                       and not any(a < c and d <= b and _inner_title(sentence[a:c]) for c, d in typed)]
        typed_set = set(typed)
        share = float(shares[i]) if i < len(shares) else 0.0
        seen = set()
        for a, b in [*typed, *generic]:
            if (a, b) in seen or b <= a:
                continue
            seen.add((a, b))
            span_words, length, capital, digit, quoted, preposition, set_off, head, modifiers, kind_of, border = \
                _span_facts(sentence, a, b)
            first, last = bisect_left(starts, a), bisect_right(ends, b) - 1  # the tokens inside the span
            if first > last:
                first = last = 0
            lo, hi = bisect_left(hits, first), bisect_right(hits, last)  # question words before / after it
            gap_before = first - hits[lo - 1] if lo else None
            gap_after = hits[hi] - last if hi < len(hits) else None
            gaps = [g for g in (gap_before, gap_after) if g is not None]
            nearest = None if not gaps else hits[lo - 1] if gap_after is None or (
                gap_before is not None and gap_before <= gap_after) else hits[hi]
            between = (sentence[tokens[nearest][1]:a] if nearest < first else sentence[b:tokens[nearest][0]]
                       ) if nearest is not None else ""
            near = (lo - bisect_left(hits, first - 5)) + (bisect_right(hits, last + 5) - hi)
            for column in border:
                marked[0].append(len(rows))
                marked[1].append(column)
            places.append((i, a, b))
            rows.append([
                _asked_share(span_words, wanted, noun),
                math.log(1 + min(gaps)) if gaps else math.log(1 + len(tokens)),
                1.0 if gap_before is not None and gap_before <= 3 else 0.0,
                1.0 if gap_after is not None and gap_after <= 3 else 0.0,
                length,
                a / max(1, len(sentence)),
                float(i),
                share,
                capital,
                digit,
                quoted,
                preposition,
                1.0 if (a, b) in typed_set else 0.0,
                math.log(1 + near),
                1.0 if hits and first > hits[0] else 0.0,
                1.0 if typed_at and bisect_right(typed_at, last + 3) > bisect_left(typed_at, first - 3) else 0.0,
                1.0 if nearest is not None and not _CLAUSE_BREAK.search(between) else 0.0,
                1.0 if typed_at and first <= last and (last + 1) in typed_at else 0.0,
                1.0 if set_off and first > 0 and _before_break(tokens, first, hits) else 0.0,
                1.0 if gaps and gap_before is None else 0.0,
                1.0 if gaps and gap_after is None else 0.0,
                1.0 if verb_at and first <= last and any(
                    _in_slot(slot[0], sentence, tokens, j, first, last, b) for j in verb_at) else 0.0,
                head,
                modifiers,
                sum(weight[t] for t in set().union(*(
                    found[j] for j in hits[bisect_left(hits, first - WINDOW):bisect_right(hits, last + WINDOW)]
                    if j < first or j > last))) / total,
                *_rarities(span_words, rarity),
                *kind_of,
            ])
    if not rows:
        return []
    matrix = np.zeros((len(rows), len(SPAN_FEATURES)))
    matrix[:, :_OWN] = rows
    matrix[marked] = 1.0
    shape_features(matrix, shape)
    return [Proposal(i, a, b, matrix[k]) for k, (i, a, b) in enumerate(places)]


def _asked_share(span_terms: Sequence[str], wanted: set[str], noun: frozenset[str]) -> float:
    """The share of a span's terms the question holds; the noun it asks for counts only when the span is no more
    than it: "Which county did the tree fall in?" is answered by "Harris County", which holds no more of it."""
    rest = [t for t in span_terms if t not in noun]
    counted = rest if rest and len(rest) < len(span_terms) else span_terms
    return sum(1 for t in counted if t in wanted) / max(1, len(span_terms))


def _rarities(span_terms: Sequence[str], rarity: Callable[[str], float] | None) -> tuple[float, float, float]:
    """The mean, highest and lowest rarity of a span's terms (0s without any or without ``rarity``)."""
    if rarity is None or not span_terms:
        return 0.0, 0.0, 0.0
    values = [rarity(t) for t in span_terms]
    return sum(values) / len(values), max(values), min(values)


def squad_words(text: str) -> list[str]:
    """SQuAD's answer normalisation, as words: lower case, no punctuation, no articles.

    >>> squad_words("The  Nordlys!")
    ['nordlys']
    """
    text = "".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace())
    return [w for w in text.split() if w not in ("a", "an", "the")]


def words_f1(said: Sequence[str], wanted: Sequence[str]) -> float:
    """SQuAD's token F1 of two normalised answers (``squad_words``)."""
    common = sum(min(said.count(w), wanted.count(w)) for w in set(said))
    return 0.0 if not common else 2 * common / (len(said) + len(wanted))


def given(p: Proposal) -> bool:
    """Whether the question already holds the span: all of it, or part of a name ("Who did Rubio call?":
    not "Marco Rubio")."""
    return p.features[_ASKED] >= 1.0 or (p.features[_ASKED] > 0 and p.features[_CAPITALISED_SPAN] > 0)


# The likeliest spans ``best`` weighs against each other. Held apart by article (span F1 over public-dev as
# asked, as typed, and conv-dev): the likeliest alone 0.4218; the highest expected F1 among the 5 likeliest
# 0.4254, among 10 0.4262 (four times the pairs); with the scores doubled or halved before the softmax 0.4253
# and 0.4143 (2026-12-07).
EXPECTED_OF = 5


def best(proposals: Sequence[Proposal], weights: np.ndarray, texts: Sequence[str] = ()) -> Proposal | None:
    """The proposal of highest expected F1, of those the question does not already hold: the fitted scores'
    softmax (which ``fit.fit_spans`` fits to each proposal's F1) says how likely each of the ``EXPECTED_OF``
    likeliest is the answer, and each is scored by its F1 against the others (one that shares its words with
    other likely answers is likelier to share them with the right one). ``texts``: each proposal's text
    (none: the likeliest)."""
    kept = [(p, t) for p, t in zip(proposals, texts or [""] * len(proposals)) if not given(p)]
    if not kept:
        return None
    scores = np.stack([p.features for p, _ in kept]) @ weights
    top = np.argsort(-scores, kind="stable")[:EXPECTED_OF if texts else 1].tolist()
    if len(top) == 1:
        return kept[top[0]][0]
    likely = [math.exp(scores[i] - scores[top[0]]) for i in top]  # the softmax, unnormalised: the same argmax
    said = [squad_words(kept[i][1]) for i in top]
    expected = [sum(weight * (1.0 if a == b else words_f1(said[a], said[b])) for b, weight in enumerate(likely))
                for a in range(len(top))]
    return kept[top[expected.index(max(expected))]][0]


def every(proposals: Sequence[Proposal], sentences: Sequence[str]) -> list[Proposal]:
    """For a list: each name once, in the answer's order, leaving out those the question holds and a name
    already given whole ("Rubio" after "Marco Rubio")."""
    out: list[Proposal] = []
    named: list[list[str]] = []
    for p in sorted(proposals, key=lambda p: (p.sentence, p.start)):
        if given(p) or not p.features[_TYPED]:  # names, not the plain phrases proposed besides
            continue
        name = words(sentences[p.sentence][p.start:p.end])
        if len(name) < 2:  # a list names people in full; a lone word is a later mention or an office
            continue
        if any(name == g[len(g) - len(name):] or name == g[:len(name)] for g in named):
            continue
        named.append(name)
        out.append(p)
    return out
