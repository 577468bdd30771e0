"""Named things: the people, places, organisations and quoted terms a text names.

A question's named things say what it is about: "Who is Tammy Bruce?" asks
about Tammy Bruce, and a named thing no article mentions ("Angela Merkel" of
an article about Paris) is the surest sign that the articles can't answer.
A conversation's named things are what its pronouns stand for
(``references.py``). Case says what is a name where it means something (not
at a sentence's start, not in a shouted question); a word the articles
mostly write capitalised is a name in any case. Leaves out: question kinds
and typo repair (``question.py``).
"""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache
from importlib import resources

from .sentences import STOPWORDS, terms
from .vocabulary import Vocabulary

# Words that ask rather than name: never part of a named thing.
QUESTION_WORDS = frozenset(
    "who whom whose what which where when why how is are was were do does did can could "
    "will would should has have had tell list name names give many much anyone anybody someone "
    "somebody anything something everyone everybody describe explain".split()
)


def mentioned(name: str, vocabulary: Vocabulary | None) -> bool:
    """Whether the articles mention a named thing: every word of it, or it as an acronym."""
    if vocabulary is None:
        return True
    if re.fullmatch(r"[A-Z]{2,6}s?", name) and vocabulary.knows_acronym(name):
        return True
    if "&" in name:  # "V&A" is one name, not "V" and "A"
        return all(part.lower() in vocabulary.joined for part in re.findall(r"[A-Za-z]+&[A-Za-z]+", name))
    return all(vocabulary.knows(t) or (t.endswith("s") and vocabulary.knows(t[:-1])) for t in terms(name))


def surname_only(name: str, vocabulary: Vocabulary | None) -> bool:
    """Whether the articles may know a person by the last word of ``name`` alone: it is a name they write, and
    no word before it is one they hold ("Vladimir Putin" where they say only "Putin"). Whether they give that
    surname another first name is the sentences' to say (``paired_otherwise``)."""
    parts = name.split()
    if vocabulary is None or len(parts) < 2 or not vocabulary.is_name(parts[-1].lower()):
        return False
    return mentioned(parts[-1], vocabulary) and not any(vocabulary.knows(t) for p in parts[:-1] for t in terms(p))


def paired_otherwise(sentence: str, name: str) -> bool:
    """Whether ``sentence`` gives the last word of ``name`` a first name other than the name's ("President
    Donald Trump" for "Melania Trump"; not "The Trump administration" nor "French President Macron")."""
    parts = name.split()
    if len(parts) < 2:
        return False
    for found in re.finditer(r"\b([A-Z][\w'’-]*)\.?\s+" + re.escape(parts[-1]) + r"\b", sentence):
        first = found.group(1)
        if first != parts[-2] and first.lower() not in STOPWORDS and first.lower() not in QUESTION_WORDS \
                and pronoun_of(first + " " + parts[-1]) is not None:
            return True
    return False


# Titles before a name keep their dot ("Mrs. Wingfield"): it ends no sentence.
_TITLES = r"(?:Mr|Mrs|Ms|Mx|Dr|St|Gen|Sen|Rep|Gov|Lt|Col|Capt|Cpt|Maj|Sgt|Prof|Rev|Fr|Jr|Sr)\."
# An abbreviation is one word with or without its last dot ("U.S.", "U.S"); a word may start with any letter
# ("Łódź" is no "Łó" and "dź"); one that starts with a digit is no name, letters after it included ("1st", "1990s":
# split, "st" read as the articles' "St." and "it" in the next question became "st": conv-dev).
_TOKEN = re.compile(rf"[A-Z](?:\.[A-Z])+\.?|{_TITLES}|[^\W\d_][\w'&-]*|[\d_]\w*|[^\w\s]+")


def named_things(text: str, vocabulary: Vocabulary | None = None, cased: bool = True) -> tuple[str, ...]:
    """People, places, organisations and quoted terms a question asks about.

    A capitalised word counts where case means something (not at the start,
    not a question word); a word the articles write capitalised counts always.

    >>> named_things("What did Angela Merkel say about the 'coalition'?")
    ('coalition', 'Angela Merkel')
    """
    found = [(a or b).strip() for a, b in re.findall(r"\"([^\"]{2,60})\"|(?<!\w)'([^']{2,60})'(?!\w)", text)]
    run: list[str] = []
    tokens = re.findall(_TOKEN, text)
    at_start = True
    for token in tokens + ["."]:
        bare = re.sub(r"'s$", "", token)
        low = bare.lower().rstrip(".")
        is_word = bare[:1].isalpha()
        capital = cased and bare[:1].isupper() and (not at_start or bool(re.fullmatch(_TITLES, bare)))
        if is_word and low not in QUESTION_WORDS and low not in STOPWORDS and (
            capital or (vocabulary is not None and vocabulary.is_name(low))
        ):
            run.append(bare)
        else:
            if run:
                found.append(" ".join(run))
            run = []
        if is_word:
            at_start = False
        elif re.search(r"[.?!:;]", token):
            at_start = True
    return tuple(dict.fromkeys(found))




# Words that open a capitalised run without naming anyone: titles and roles ("Secretary of State Marco Rubio").
TITLES = frozenset("""
mr mrs ms dr prof sir dame lord lady st saint gen lt col maj capt sgt adm rev fr sen rep gov pres
president vice secretary minister prime foreign defense defence interior finance state deputy chief
mayor council member councillor director envoy adviser advisor spokesman spokeswoman spokesperson
chancellor senator governor judge justice ambassador general lieutenant colonel captain admiral
king queen prince princess pope emperor empress duke duchess count countess professor doctor father
federal national regional city county special presidential fisherman chairman chairwoman chair
ukrainian british german french american russian european u.s. former acting retired
sheriff commissioner superintendent inspector detective
""".split())


# Words before a name that say whether "he" or "she" stands for it ("Mrs. Shelby", "Sir Guy", "Queen Mary").
_MEN = frozenset("mr mister master sir lord king prince duke earl baron count emperor father brother uncle monsieur herr "
                 "signor senor don".split())
_WOMEN = frozenset("mrs ms miss lady queen princess duchess countess baroness empress mother sister aunt "
                   "madame madam mme mlle dame frau signora senora".split())
# A first name says so when at least this share of those bearing it were of one sex in the US census of 1990
# (the lists the ``names`` package ships): 9 in 10 leaves out names like Jean, Leslie and Jordan.
ONE_SEX = 0.9


# The IANA time zones named after a place on a continent or ocean ("Europe/Kyiv", "America/New_York"); not the
# "US/Central" or "Mexico/General" aliases.
_ZONE_AREAS = frozenset("Africa America Antarctica Asia Atlantic Australia Europe Indian Pacific".split())


def is_city(name: str) -> bool:
    """Whether a name is a city the time zone database names (Python's ``zoneinfo``: some 500 cities, "Kyiv",
    "Paris", "New York"), and no one's first name ("Sydney", "Stanley" and "Regina" may be people)."""
    return name.strip().lower() in _cities()


@lru_cache(maxsize=1)
def _cities() -> frozenset[str]:
    zones = zoneinfo.available_timezones()  # empty where the system has no time zone data: no city is known
    found = {zone.rsplit("/", 1)[-1].replace("_", " ").lower() for zone in zones if zone.split("/")[0] in _ZONE_AREAS}
    return frozenset(found - set(_census()))


@lru_cache(maxsize=1)
def _census() -> dict[str, tuple[float, float]]:
    """Each first name (lower case) of the 1990 US census lists, with the shares of men and of women bearing it,
    read once."""
    shares: dict[str, list[float]] = {}
    for at, sex in enumerate(("male", "female")):
        try:
            data = (resources.files("names") / f"dist.{sex}.first").read_text("ascii")
        except (ModuleNotFoundError, FileNotFoundError, OSError):
            return {}
        for line in data.splitlines():
            parts = line.split()
            if len(parts) >= 2:
                shares.setdefault(parts[0].lower(), [0.0, 0.0])[at] = float(parts[1])
    return {name: (men, women) for name, (men, women) in shares.items()}


@lru_cache(maxsize=1)
def _first_names() -> dict[str, str]:
    """First names (lower case) borne by one sex ("he" or "she")."""
    out = {}
    for name, (men, women) in _census().items():
        if men >= ONE_SEX * (men + women):
            out[name] = "he"
        elif women >= ONE_SEX * (men + women):
            out[name] = "she"
    return out


def pronoun_of(name: str) -> str | None:
    """"he" or "she" for a named person, when a title or a first name says which; None when neither does.

    >>> pronoun_of("Mrs. Shelby"), pronoun_of("Marco Rubio"), pronoun_of("Tammy Bruce"), pronoun_of("Rubio")
    ('she', 'he', 'she', None)
    """
    for word in re.findall(r"[A-Za-z]+", name)[:2]:
        low = word.lower()
        if low in _MEN:
            return "he"
        if low in _WOMEN:
            return "she"
        if low in _first_names():
            return _first_names()[low]
        if low not in STOPWORDS:
            return None
    return None
