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
Each step has its own module: ``normalise.py`` (normalising, focus),
``typos.py`` (repair), ``names.py`` (named things), ``kinds.py`` (kinds and
their evidence), ``references.py`` (follow-ups); this one puts them together.
Leaves out: scoring sentences and composing answers (``answer.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .conversation import Turn
from .kinds import FUTURE, KINDS, LIST, PAST, ROLE_TERMS, asks_role, asks_speaker, related
from .names import mentioned, named_things, surname_only
from .normalise import focus, normalise
from .references import FRAMING, WH, is_follow_up, own_terms, read
from .sentences import STOPWORDS, terms, unspaced, words
from .typos import repair_typos
from .vocabulary import Vocabulary

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
    unheard: tuple[str, ...] = ()  # the words a first question asks about, when no article holds any (``only_unknown``)
    # the same of a later question that leans on no earlier turn (no pronoun, no ellipsis): it is judged as
    # answerable as it would be alone (``scoring.alone_score``), not refused outright as a first one is
    stray: tuple[str, ...] = ()
    repaired: tuple[tuple[str, str], ...] = ()  # (typed, searched) word pairs
    past: bool = False  # asks about what happened, not what will
    previous: str = ""  # the question a follow-up leans on
    conversation: tuple[str, ...] = ()  # the latest earlier questions, as they were read, oldest first
    conversation_terms: tuple[str, ...] = ()  # their terms and this question's
    idf: tuple[float, ...] = ()  # each of ``terms``' IDF in the articles (none without a vocabulary)
    # the role nouns of a question about someone's role (``kinds.asks_role``), with their IDF: no terms of its
    # search, but of its short answer where no sentence gives a role ("What was Aurelia's occupation?")
    framed: tuple[tuple[str, float], ...] = ()

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
    def gated(self) -> bool:
        """Whether it is refused whatever its answerability: it names a thing, or asks only about words, that
        no article holds."""
        return bool(self.absent or self.unheard)

    @property
    def asked_words(self) -> frozenset[str]:
        return frozenset(words(self.searched))

    @property
    def speech(self) -> bool:
        """Whether it asks what someone said (then quotes are answers, not noise)."""
        return self.kind == "quote"

    @property
    def speakers(self) -> tuple[str, ...]:
        """The named things an article holds that the question has speak ("What did Lavrov say?": Lavrov)."""
        if not self.speech:
            return ()
        return tuple(n for n in self.names if n not in self.absent and asks_speaker(self.searched, n))


# Phrases that ask with several words what one word of ``RELATED`` says.
_PHRASE_WORD = {"take part": "participate", "took part": "participated", "taking part": "participating",
                "takes part": "participates", "show up": "attend", "showed up": "attended",
                "turn up": "attend", "turned up": "attended",
                "who was there": "who attended", "who were there": "who attended",
                "who was present": "who attended", "who were present": "who attended",
                "who was at": "who attended", "who were at": "who attended",
                # an event's taking place is its happening ("When did the talks take place?": the words are
                # no content the article must hold; 'happen' frames, like 'take')
                "take place": "happen", "took place": "happened", "takes place": "happens",
                "taking place": "happening", "taken place": "happened"}
_PHRASES = re.compile(r"\b(" + "|".join(_PHRASE_WORD) + r")\b", re.IGNORECASE)
# Of people, being there is attending: "which officials were there", "who all was at the meeting". Only
# asked of people: "what was present in the bread" is no question of attending.
_BEING_THERE = re.compile(r"\b(?:was|were|is|are)\s+(?:there|present|at)\b", re.IGNORECASE)


def kind_of(text: str) -> str:
    """The kind of a question, from the ``KINDS`` table, its asking words read where they ask (``asking``).

    >>> kind_of("When was Dnipro hit?"), kind_of("Which Briton was at the talks?")
    ('date', 'person')
    >>> kind_of("In what year did Doctor Who first air?")
    'date'
    """
    low = asking(text).lower()
    return next((k.name for k in KINDS if k.asks.search(low)), "other")


# An asking word written with a capital after a capitalised word is part of a name ("Doctor Who", "The
# Who"), unless that word is a function word of a question in title case ("And Who Was There?"). Read as
# asking, it made 168 of public-dev's 2,091 answerable questions (every one about Doctor Who) ask for a
# person: "In what year was Doctor Who rated ...?" was answered with a name (2026-12-06).
_NAMED_ASKING = re.compile(r"\b([A-Z][\w'’.-]*)(\s+)(Who|Whom|Whose|What|Which|When|Where|Why|How)\b")


def asking(text: str) -> str:
    """``text`` with each asking word that is part of a name ("Doctor Who") replaced by "X", so that no
    pattern reads it as asking.

    >>> asking("Who produced Doctor Who?")
    'Who produced Doctor X?'
    """
    if text == text.upper():  # shouted: every word is capitalised
        return text
    return _NAMED_ASKING.sub(lambda m: m.group(0) if m.group(1).lower() in STOPWORDS
                             else f"{m.group(1)}{m.group(2)}X", text)


# A question that opens a conversation and asks only about words no article holds ("What's the weather in
# Kyiv?": weather; "How old is Marco Rubio?": old) is refused, as one naming what no article mentions is.
# Not a follow-up: its words often name the kind of thing the story gives without the word ("On what
# planet?", "before which meal?"): 27 of conv-dev's 2,432 turns, all answerable. Of public-dev's 2,091
# answerable questions 5 ask so ("What does the acronym LEM stand for?": 0.24%), and 1 of its 120
# off-corpus ones; of the seed sets' unanswerable questions 13 of 47, none of their answerable ones.


def only_unknown(own: Sequence[str], names: Sequence[str], unknown: Sequence[str]) -> bool:
    """Whether every term a question asks about, besides its names, is one no article holds."""
    name_terms = {t for n in names for t in terms(n)}
    focus_ = [t for t in own if t not in name_terms]
    return bool(focus_) and all(t in unknown for t in focus_)

# The earlier questions that say what a conversation is about: all that the history holds (it is bounded
# by ``max_history_turns``). On conv-dev's conversations asked whole (``eval --whole``), the latest three
# gave 0.706 right and 0.853 of answered follow-ups on their story; all of them 0.738 and 0.893; weighing
# older turns less (0.9 or 0.75 a turn) did no better (0.736/0.892, 0.729/0.883): the first question
# usually names the story, and the later ones lean on it.
CONVERSATION_TURNS = 20


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
    is_list = bool(LIST.search(asked.lower()))
    if follow and kind == "other" and not re.search(WH + r"\b", asked, re.IGNORECASE):
        kind, is_list = kind_of(previous), bool(LIST.search(previous.lower()))  # "Name one."
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
    # Only what was typed is gated: a name a pronoun stood for came from an earlier question ("Who supported its
    # development?" after one that misspelt "InChI" is no question about "InChl").
    # In a question about someone (who is, what did X say), a full name is not absent where the articles know
    # the person by surname alone ("Vladimir Putin"); whether it is the same person, the answerability model
    # reads off the sentences (``scoring.names_held``). Of any question, "What is Sanctifying Grace?" was
    # answered from an article about grace (public-dev, off-corpus).
    about_someone = kind in ("person", "quote")
    absent = tuple(n for n in names if not mentioned(n, vocabulary)
                   and not (about_someone and surname_only(n, vocabulary))
                   and not (reading.subject and n in reading.subject))
    name_terms = {t for n in names for t in terms(n)}
    # "What is Tammy Bruce's title?": the role is in the words that name her, so the role noun frames the question
    # as "Who is" does (kept as a term, it was refused: 0.075)
    framed = tuple(t for t in own if t in ROLE_TERMS) if asks_role(asked, own, name_terms) else ()
    own = tuple(t for t in own if t not in framed)
    unknown = tuple(t for t in own if not known(t) and t not in name_terms and not unspaced(t))
    lacking = tuple(dict.fromkeys(w for w in words(asked) if set(terms(w)) & set(unknown))) if only_unknown(
        own, names, unknown) else ()
    # A conversation's follow-ups often name what the story gives in other words ("What was the beef about?"),
    # so only a first question is refused for its unknown words alone; a later one that leans on no earlier
    # turn is judged as answerable as it would be alone ("What's the weather in Kyiv?" asked fourth).
    unheard = lacking if not earlier else ()
    stray = lacking if earlier and not follow and asked == typed else ()
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
        unheard=unheard,
        stray=stray,
        repaired=tuple(repaired),
        past=bool(PAST.search(asked.lower())) and not FUTURE.search(asked),
        previous=previous,
        conversation=conversation,
        conversation_terms=conversation_terms,
        idf=tuple(vocabulary.idf(t) for t in own) if vocabulary is not None else (),
        framed=tuple((t, vocabulary.idf(t) if vocabulary is not None else 1.0) for t in framed),
    )
