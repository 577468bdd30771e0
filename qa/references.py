"""References: what a follow-up's pronouns and ellipses stand for, read from the turns before it.

One mechanism for every phrasing. The conversation keeps its subjects:
the named things each question asked about, and, for a question asking who,
the people its answer named (whoever was asked about or answered last comes
first). Then a follow-up is read against them:

- a pronoun for a person ("he", "her", "his") becomes the latest named
  subject, "it"/"its" the latest named thing the questions asked about:
  "What did he write?" after "Who is Andrii Yermak?" is read "What did
  Andrii Yermak write?";
- a question with no words of its own but its asking ones ("Why?",
  "for what?", "When?", "who else?") asks them of the question before:
  "Why?" after "Did Kevin Ware play?" is read "Why did Kevin Ware play?";
- asking words and a noun ("In what year?", "How many prisoners?") ask that
  noun of the question before, in the place of the one it asked for: "How
  many prisoners?" after "How many soldiers died?" is "How many prisoners died?";
- "And the Germans?" (a name and no asking word) puts the new name in the
  place of the previous question's: "What did the Germans say?".

A pronoun after a person the question names itself stays as it is (it may
point to that person); one before any ("What does she think about Putin?")
is the conversation's. What is read is what is searched and what "Searched for"
shows. Leaves out: which articles the conversation was about
(``conversation.py``) and the rest of question analysis (``question.py``).

    >>> read("What did he write?", [("Who is Andrii Yermak?", "")]).text
    'What did Andrii Yermak write?'
    >>> read("Why?", [("Did Kevin Ware play?", "")]).text
    'Why did Kevin Ware play?'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Sequence

from .kinds import asks_speaker
from .names import QUESTION_WORDS, TITLES, is_city, named_things, pronoun_of
from .sentences import CALENDAR, PLACE_OF, STOPWORDS, terms, words
from .tags import lexicon, tag_of
from .vocabulary import Vocabulary

# Words that frame a question rather than say what it is about: that the
# articles lack them says nothing ("What happened in Dnipro?"), and a question
# made only of them and asking words has nothing of its own ("what else?").
FRAME_WORDS = frozenset(
    """happen happened happens role stand stands mean means meaning thing things kind type sort
    event events news story situation topic main key point summary summarize summarise describe
    explain know known learn find fact facts detail details information mention mentioned called
    call name named everyone everybody anyone anybody someone somebody anything something part
    take took like else acronym acronyms""".split()
)
FRAMING = frozenset(terms(" ".join(FRAME_WORDS | QUESTION_WORDS)))

WH = r"(who|whom|whose|what|which|where|when|why|how|is|are|was|were|do|does|did|can|could|will|would|" \
     r"has|have|had|should|name|list|tell|give|describe|explain)"
_ASKING = re.compile(r"\b(who|whom|whose|what|which|where|when|why|how)\b", re.IGNORECASE)
_PREPOSITION = (r"about|after|against|at|before|by|for|from|in|into|of|on|since|to|toward|towards|until|till|"
                r"with|without|like")
# A question made of its asking words alone: "Why?", "for what?", "by whom?", "who else?", "how many?".
_ASKING_ONLY = re.compile(rf"^\W*(?:(?:and|but|so|then|or|ok|okay)\W+)?(?:(?:{_PREPOSITION})\s+)?"
                          rf"(?:who|whom|whose|what|which|where|when|why|how)"
                          rf"(?:\s+(?:else|exactly|so|then|now|again|not|much|many|long|often|old|far|{_PREPOSITION}))*"
                          rf"\W*$", re.IGNORECASE)
ELLIPTICAL = re.compile(r"^(and what about|and how about|what about|how about|and|also|or)\b", re.IGNORECASE)
FOLLOW_UP = re.compile(
    r"\b(he|she|they|him|her|them|his|hers|their|theirs|it|its|this|that|these|those|there|"
    r"the same|the former|the latter)\b",
    re.IGNORECASE,
)
# Pronouns read as the conversation's subject: a person's, and a thing's.
_PERSON = re.compile(r"\b(he|him|she|her|hers|his|himself|herself)\b", re.IGNORECASE)
_THING = re.compile(r"\b(it|its)\b", re.IGNORECASE)
_FEMININE = frozenset({"she", "her", "hers", "herself"})
# "her"/"his"/"its" before a word that is not a function word owns it: "her statement" -> "Bruce's statement".
# Before a function word, an article, a punctuation mark or the end, "her" is the person: "Where did he find
# her?", "Who gave her a talk?".
_OWNER = frozenset({"his", "its"})
_NOT_OWNED = re.compile(r"\s+(?:of|to|for|with|about|at|in|on|by|from|and|or|that|as|than|a|an|the)\b|\s*(?:[^\w\s]|$)",
                        re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """A question read against its conversation."""

    text: str  # with its references resolved (the question itself when there are none)
    previous: str = ""  # the question before, as it was read ("" for a first question)
    subject: str = ""  # what a pronoun of it stood for ("" when none did)
    earlier: tuple[str, ...] = ()  # every earlier question, as it was read, oldest first


@dataclass(frozen=True)
class _Subject:
    name: str
    person: bool  # may be "he" or "she": not a place, an acronym or a quoted term
    thing: bool  # may be "it": not someone a question asked "who" of, nor an answer to it


def read(question: str, earlier: Sequence[tuple[str, str]] = (), vocabulary: Vocabulary | None = None,
         cased: bool = True) -> Reading:
    """``question`` read against the (question, answer text) turns before it, oldest first.

    The earlier questions are read in turn, each against those before it, so
    a chain of follow-ups ("Who is Yermak?", "What did he write?", "When?")
    keeps its subject.
    """
    subjects: list[_Subject] = []
    previous = said = ""
    readings: list[str] = []
    for asked, answer in earlier:
        reading = _read_one(asked, previous, said, subjects, vocabulary, True)
        subjects = _remember(reading.text, answer, subjects, vocabulary)
        previous, said = reading.text, answer
        readings.append(previous)
    return replace(_read_one(question, previous, said, subjects, vocabulary, cased), earlier=tuple(readings))


def own_terms(text: str) -> list[str]:
    """The terms of a question that say what it is about (not how it asks)."""
    return [t for t in terms(text) if t not in FRAMING]


def is_follow_up(question: str) -> bool:
    """Whether a question leans on the one before: a pronoun, "And ...?", or no words of its own."""
    if FOLLOW_UP.search(question) or ELLIPTICAL.match(question.strip()) or not terms(question):
        return True
    return len(terms(question)) <= 2 and not re.search(WH + r"\b", question, re.IGNORECASE)  # "the Germans?"


def _read_one(question: str, previous: str, said: str, subjects: list[_Subject], vocabulary: Vocabulary | None,
              cased: bool) -> Reading:
    """``question`` read after ``previous`` (as it was read) and its answer's text ``said``."""
    if not previous:
        return Reading(question)
    text = question.strip()
    bare = ELLIPTICAL.sub("", text).strip(" ,") if ELLIPTICAL.match(text) else text
    if _ASKING_ONLY.match(text):  # "Why?", "for what?", "who else?"; "What about?" keeps its "what"
        rest = _after_asking(previous)
        whose = _asks_who_did(previous) or _WHOM_DID.match(previous) and _ends_on_verb(previous)
        doer = whose and said and next(iter(_answered(previous, said, vocabulary)), "")
        if doer and not re.match(r"\W*(?:who|whom)\b", bare, re.IGNORECASE):  # "who else?" asks the same again
            rest = _with_subject(rest, doer) if _asks_who_did(previous) else f"{rest.rstrip('?!. ')} {doer}"
        return Reading(_join(bare if _ASKING.search(bare) else text, rest), previous)
    if _asks_a_noun_only(bare):  # "In what year?", "For what reason?", "How many prisoners?"
        return Reading(_join(bare, _after_asking(previous, True)), previous)
    if bare and len(terms(bare)) <= 3 and not re.search(WH + r"\b", bare, re.IGNORECASE):  # "And the Germans?"
        named = named_things(previous, vocabulary, True)
        replaced = _replace_last(previous, named[-1], bare.rstrip("?!. ")) if named else ""
        opens = re.match(r"\W*(?:the\s+)?([A-Z][\w'-]*)", bare)  # "Germans?"; not "Anything else?", "Any others?"
        if replaced and (named_things(bare, vocabulary, True) or opens and opens.group(1).lower() not in QUESTION_WORDS
                         and opens.group(1).lower() not in FRAME_WORDS and opens.group(1).lower() not in STOPWORDS):
            return Reading(replaced, previous)
    resolved, subject = _pronouns(text, subjects, vocabulary, cased)
    return Reading(resolved, previous, subject)


def _pronouns(text: str, subjects: list[_Subject], vocabulary: Vocabulary | None, cased: bool) -> tuple[str, str]:
    """``text`` with its person and thing pronouns replaced by the latest subject of each kind. Beside "he"
    or "she", "it" is something that cannot be someone (a place, an acronym, a quoted term), or is left as
    it is: "How did she gaze at it?" is neither "How did Edith gaze at Edith?" nor "... at Leo?"."""
    own_people = [n for n in named_things(text, vocabulary, cased) if _is_person(n)]
    # A pronoun points back: after a person the question names it may be that person ("Did Obama say he
    # would run?"); before any ("What does she think about Putin?") it is the conversation's, and not one
    # the question names.
    said = _PERSON.search(text)
    named_before = said is not None and any(0 <= text.find(n) < said.start() for n in own_people)
    first = _sex(said.group(0)) if said else ""

    def latest(pronoun: str, besides: str = "") -> str:
        """The latest person "he" or "she" may stand for: none the question names, none whose title or
        first name says the other (``names.pronoun_of``)."""
        return next((s.name for s in subjects if s.person and s.name not in own_people and s.name != besides
                     and _subject_pronoun(s.name, subjects) in (None, pronoun)), "")

    person = latest(first) if said and not named_before else ""
    # "it" is no one whose title or first name says "he" or "she" ("Who wanted it?" is not about Tommy)
    thing = next((s.name for s in subjects if s.thing and not (person and s.person)
                  and not (s.person and _subject_pronoun(s.name, subjects))), "")
    used: list[str] = []

    def swap(match: re.Match, name: str) -> str:
        word = match.group(0)
        low = word.lower()
        after = text[match.end():]
        owner = low in _OWNER or (low == "her" and not _NOT_OWNED.match(after))
        used.append(name)
        return f"{name}'s" if owner else name

    if person:
        # "he" and "she" in one question are two people: the pronouns said first stand for the person found
        # for them, the others for the latest one besides ("What did she tell him?"), or stay as they are.
        other = latest("he" if first == "she" else "she", person)

        said_by = said.group(0).lower() in _SUBJECT
        same = latest(first, person)  # "What did he tell him?": "him" is someone else, if anyone

        def person_for(match: re.Match) -> str:
            if _sex(match.group(0)) == first:
                if said_by and match.start() > said.start() and _is_object(match, text):
                    return swap(match, same) if same else match.group(0)
                return swap(match, person)
            return swap(match, other) if other else match.group(0)

        text = _PERSON.sub(person_for, text)
    if thing:
        text = _THING.sub(lambda m: swap(m, thing), text)
    return text, (used[0] if used else "")


# "he" and "she" act; "him" and "her" (not owning) are acted on: in one clause, never the same person (that is
# "himself").
_SUBJECT = frozenset({"he", "she"})


def _is_object(match: re.Match, text: str) -> bool:
    low = match.group(0).lower()
    return low == "him" or (low == "her" and bool(_NOT_OWNED.match(text[match.end():])))


def _sex(pronoun: str) -> str:
    """ "he" or "she": which of the two a person pronoun is."""
    return "she" if pronoun.lower() in _FEMININE else "he"


def _subject_pronoun(name: str, subjects: list[_Subject]) -> str | None:
    """ "he" or "she" for a subject, from its name or the longer name of a subject it ends ("Rubio" after
    "Marco Rubio"); None when neither says."""
    found = pronoun_of(name)
    if found is None:
        found = next((pronoun_of(s.name) for s in subjects if s.name != name and s.name.endswith(" " + name)
                      and pronoun_of(s.name)), None)
    return found


def _remember(question: str, answer: str, subjects: list[_Subject], vocabulary: Vocabulary | None
              ) -> list[_Subject]:
    """The subjects after a turn: those its answer named for a who-question, then its question's, then the older."""
    asked = named_things(question, vocabulary, True)
    who = bool(re.match(r"\W*(who|whom|whose)\b", question, re.IGNORECASE))
    # one the question has speak is someone, never "it" ("What did Yermak say about it?"; "Was Granada described
    # as happy?" speaks of Granada)
    new = [_Subject(n, _is_person(n) or said, not (who or said)) for n in asked
           for said in [asks_speaker(question, n) and not re.search(_PASSIVE + re.escape(n), question)]]
    if answer and who and not any(_is_person(n) for n in asked):  # "Who had a love affair?": the answer's
        new = [_Subject(n, True, False) for n in _answered(question, answer, vocabulary)[:1]] + new
    names = {s.name for s in new}
    kept = new + [s for s in subjects if s.name not in names]
    # The full names an answer gives, whose first name says "he" or "she", stand for no pronoun themselves but
    # say one of a subject known by surname: after "Why did Hollis lose?" (answered "... defeating businessman
    # Mark Hollis ..."), "she" is not Hollis.
    held = {s.name for s in kept}
    said = [n for n in dict.fromkeys(map(_untitled, named_things(_QUOTED.sub(" ", answer), vocabulary, True)))
            if " " in n and n not in held and pronoun_of(n)] if answer else []
    return kept + [_Subject(n, False, False) for n in said]


def _answered(question: str, answer: str, vocabulary: Vocabulary | None) -> list[str]:
    """The people the answer's first sentence names that the question does not, as names (no titles)."""
    asked = named_things(question, vocabulary, True)
    first = _QUOTED.sub(" ", re.split(r"\s*\[\d+\]\s*", answer.strip(), maxsplit=1)[0])
    held = {t for n in asked for t in terms(n)}
    answered = [n for n in map(_untitled, named_things(first, vocabulary, True))
                if not set(terms(n)) <= held and _is_person(n) and not _after_article(first, n)]
    answered.sort(key=lambda n: _of_something(first, n))  # "The mayor of Stord, Lars Vik, ...": Lars Vik
    return [n for n in answered if not _title_only(n)] or answered


def _of_something(text: str, name: str) -> bool:
    """Whether ``name`` stands after a word and "of" wherever ``text`` says it ("the mayor of Stord", "the city
    of Dnipro"): what someone is of, not who; kept last, since "the son of Zeus" is someone's."""
    places = [m.start() for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text)]
    return bool(places) and all(re.search(r"\b[a-z]+\s+of\s+$", text[:at]) for at in places)


# What an answer quotes is someone's words, not who it names: in '"There! I forgot to knock," said Tom' the
# person is Tom (read as quoted terms, the words became "he" in the next question). Single quotes too, straight
# or curly, where no letter stands outside them (an apostrophe has one): in "'That is well,' murmured the
# Doctor", "him" in the next question was "That is well," (conv-dev).
_QUOTED = re.compile(r"\"[^\"]*\"|\u201c[^\u201d]*\u201d|(?<!\w)\u2018[^\u2019]*\u2019(?!\w)|(?<!\w)'[^']*'(?!\w)")


_PASSIVE = r"(?i:\b(?:is|was|are|were|be|been|being)\s+(?:\w+\s+)?)"


def _untitled(name: str) -> str:
    """A name from an answer without the titles that lead a full name: in "U.S. Secretary of State Marco
    Rubio" the capitalised runs are "Secretary" and "State Marco Rubio", and the person is "Marco Rubio";
    before a surname alone a title stays, as it says who ("Mrs. Wingfield")."""
    named = name.split()
    while len(named) > 1 and named[0].lower() in CALENDAR and named[1].lower().strip(".") in TITLES:
        # "19th of June General Eliott": a date before a title ("May Smith" is someone)
        named = named[1:]
    name = " ".join(named)
    lead = 0
    while lead < len(named) and named[lead].lower().strip(".") in TITLES:
        lead += 1
    # a place before the titles too: "Chicago Mayor Laura Diaz" is Laura Diaz
    inner = max((i + 1 for i, word in enumerate(named[:-2]) if word.lower().strip(".") in TITLES), default=lead)
    lead = max(lead, inner)
    return " ".join(named[lead:]) if len(named) - lead >= 2 else name


def _after_article(text: str, name: str) -> bool:
    """Whether ``name`` stands after "the", "a" or "an" wherever ``text`` says it, and starts with no title: a
    thing's name ("The Assembly is chaired by Idriss Déby", "Containing an Answer to the Love Letter"), as a
    person's takes no article; "the Doctor" does."""
    if name.split()[0].lower().strip(".") in TITLES:
        return False
    places = [m.start() for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text)]
    return bool(places) and all(re.search(r"\b(?:the|an?)\s+$", text[:at], re.IGNORECASE) for at in places)


def _title_only(name: str) -> bool:
    """A title with no name ("Secretary"): someone only where nobody else is named ("murmured the Doctor")."""
    return all(w.lower().strip(".") in TITLES for w in name.split())


def _is_person(name: str) -> bool:
    """Whether a named thing may be "he" or "she": not a place (a country, its people, a city), a day or month, an
    acronym or a quoted term."""
    if re.fullmatch(r"[A-Z]{2,6}s?|[A-Z](?:\.[A-Z])+\.?|[a-z].*", name):  # "CNN", "U.S.": no one
        return False
    named = words(name)
    if any(PLACE_OF.get(w) for w in named) or all(w.lower() in CALENDAR for w in named) or is_city(name):
        return False
    # A name led or ended by a common noun, with no title nor first name, names a thing: "Hotel Cosmopolis", "Lake
    # Eola", "Red Army", "Hunker Creek"
    first, last = named[0].lower(), named[-1].lower()
    return not (len(named) > 1 and pronoun_of(name) is None and first not in TITLES
                and ((lexicon().get(first) or "").startswith("NN") or (lexicon().get(last) or "").startswith("NN")))


def _after_asking(previous: str, its_noun: bool = False) -> str:
    """What the previous question asks about, without its asking words ("did Kevin Ware play?"); ``its_noun``:
    without the noun they asked for either ("How many soldiers died?" -> "died?", for "How many prisoners?")."""
    found = _ASKING.search(previous)
    if not found:
        return previous.strip()
    rest = previous[found.end():]
    if its_noun:
        words_ = rest.split()
        skip = 0
        if found.group(0).lower() == "how" and words_ and words_[0].lower() in _HOW:
            skip = 1
        if found.group(0).lower() in ("what", "which", "whose", "how"):
            while skip < len(words_) and _is_noun_word(words_[skip]):
                skip += 1
                if skip + 1 < len(words_) and words_[skip].lower() == "of":  # "what floor of the building"
                    skip += 2 if words_[skip + 1].lower() in ("the", "a", "an", "this", "that", "his", "her") else 1
        rest = " ".join(words_[skip:])
    return rest.strip()


# A question asking who did something, its verb straight after "who" ("Who is related to the Captain?", "Who
# developed it?"): whom its answer named is the subject the next elliptical question asks about ("How?" was
# read "How is related to the Captain?"); asking whom someone did something to, the object ("When?" after "Who
# did Rubio speak with?" is "When did Rubio speak with Sergey Lavrov?").
_AUXILIARIES = frozenset("is are was were has have had will would can could should may might must".split())
_SUBJECT_PRONOUNS = frozenset("he she they it you we i".split())
_WHOM_DID = re.compile(r"\W*(?:who|whom)\s+(?:did|does|do)\b", re.IGNORECASE)  # "Who did Rubio call?": the object
_PREPOSITIONS = frozenset(_PREPOSITION.split("|"))


def _ends_on_verb(question: str) -> bool:
    """Whether a question ends on its verb or a preposition after it, where its object stood ("Who did Rubio
    speak with?", "Who did Rubio call?"); not "Who did the ranking?", whose "did" is the verb itself."""
    last = re.findall(r"[\w'-]+", question)[-1:]
    return bool(last) and (last[0].lower() in _PREPOSITIONS or tag_of(last[0].lower()) in ("VB", "VBP"))


_HAVE = frozenset(("has", "have", "had"))  # an auxiliary before a participle only: "Who had a love affair?"


def _asks_who_did(question: str) -> bool:
    """Whether a question asks who did something: "who" and a verb ("Who developed it?", "Who did the ranking?"),
    or an auxiliary and no subject after it ("Who is related to ...?"; not "who was Duane thankful to", "Who did
    Rubio call?" nor "Who under?")."""
    said = re.findall(r"[\w'-]+", question)
    if len(said) < 2 or said[0].lower() != "who":
        return False
    verb = said[1].lower()
    if verb in ("did", "does", "do"):
        return not _ends_on_verb(question)
    if verb in _AUXILIARIES:
        return len(said) > 2 and said[2].islower() and said[2] not in _SUBJECT_PRONOUNS
    return tag_of(verb).startswith("VB")


def _with_subject(rest: str, doer: str) -> str:
    """The rest of a who-did question with its answer as the subject: after the auxiliary ("is Tom related to
    the Captain?"), else before the verb ("Tom developed it?")."""
    first, _, after = rest.partition(" ")
    if first.lower() in _AUXILIARIES and after and (first.lower() not in _HAVE or tag_of(after.split()[0]) == "VBN"):
        return f"{first} {doer} {after}"
    return f"{doer} {rest}"


# "how" and the word that says what it asks: "How many prisoners?", "How long?"
_HOW = frozenset("many much long old far often".split())
# A question made of its asking words and the noun it asks for, nothing else: "In what year?", "For what
# reason?", "which ones?", "How many prisoners?" (70 of conv-dev's 2,250 follow-ups). Like "Why?", it asks
# its noun of the question before: "In what year did the war start?".
_ASKING_NOUN = re.compile(rf"^\W*(?:(?:and|but|so|then|or)\W+)?(?:(?:{_PREPOSITION}|during|through)\s+)?"
                          rf"(?:what|which|whose|how\s+(?:many|much|long|old|far))\s+([\w'-]+(?:\s+[\w'-]+)?)\W*$",
                          re.IGNORECASE)


def _asks_a_noun_only(text: str) -> bool:
    found = _ASKING_NOUN.match(text)
    return bool(found) and all(_is_noun_word(w) for w in found.group(1).split())


def _is_noun_word(word: str) -> bool:
    """Whether a word may stand in the noun phrase a question asks for (a noun, adjective or number: no verb)."""
    bare = word.strip("?!.,;:")
    return bool(bare) and bare.lower() not in QUESTION_WORDS and tag_of(bare.lower())[:2] in ("NN", "JJ", "CD")


def _join(asking: str, rest: str) -> str:
    asking = asking.rstrip("?!. ")
    rest = rest.rstrip("?!. ")
    first = rest.split(" ", 1)[0]
    if first.lower() in QUESTION_WORDS:  # "Did Kevin Ware play" goes on "Why did ..."
        rest = first.lower() + rest[len(first):]
    return f"{asking} {rest}?" if rest else f"{asking}?"


def _replace_last(text: str, name: str, new: str) -> str:
    """``text`` with the last occurrence of ``name`` replaced by ``new`` ("" if it is not there)."""
    at = text.rfind(name)
    if at < 0:
        return ""
    before = text[:at]
    if before.lower().endswith("the ") and new.lower().startswith("the "):
        before = before[:-4]
    return f"{before}{new}{text[at + len(name):]}"
