"""Sentences and terms: the two ways the rest of article QA cuts text.

``split_sentences`` finds sentence spans in a paragraph (abbreviations such as
"U.S." and "Lt. Gen." and quoted speech do not end a sentence early);
``terms`` turns text into lowercase stemmed content words for lexical scoring.
Leaves out: languages other than English.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import Stemmer

# Words after which a full stop does not end a sentence.
ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st lt gen col maj capt sgt cmdr adm gov sen rep rev
    pres supt insp det no vs etc inc corp co ltd dept est fig approx
    jan feb mar apr jun jul aug sep sept oct nov dec mt ft""".split()
)

# A candidate end: . ! ? (or an ellipsis), closing quotes/brackets, then space.
_END = re.compile(r"""[.!?]+["'\u201d\u2019)\]]*(?=\s+)|[\u3002\uff01\uff1f]+["'\u201d\u2019\u300d\u300f)\]]*""")
_NEXT_START = re.compile(r"""\s+["'\u201c\u2018(\[]*([A-Z0-9])""")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because
    been before being below between both but by can could did do does doing down during
    each few for from further had has have having he her here hers herself him himself his
    how i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would
    you your yours yourself yourselves us also say says said tell told according many much
    article articles text""".split()
)

# Irregular verb forms a stemmer cannot join to their base: "what did he write?"
# must match "he wrote".
IRREGULAR = {
    form: base
    for base, forms in {
        "write": "wrote written", "speak": "spoke spoken", "meet": "met", "go": "went gone",
        "take": "took taken", "give": "gave given", "begin": "began begun", "lead": "led",
        "hold": "held", "make": "made", "find": "found", "think": "thought", "bring": "brought",
        "come": "came", "see": "saw seen", "win": "won", "lose": "lost", "leave": "left",
        "send": "sent", "pay": "paid", "build": "built", "fall": "fell fallen", "run": "ran",
        "rise": "rose risen", "choose": "chose chosen", "drive": "drove driven", "grow": "grew grown",
        "know": "knew known", "become": "became", "strike": "struck", "fight": "fought",
        "seek": "sought", "sell": "sold", "buy": "bought", "keep": "kept", "feel": "felt",
        "mean": "meant", "stand": "stood", "understand": "understood", "spend": "spent",
        "teach": "taught", "catch": "caught", "fly": "flew flown", "draw": "drew drawn",
        "break": "broke broken", "steal": "stole stolen", "shoot": "shot", "hear": "heard",
        "sit": "sat", "forbid": "forbade forbidden", "withdraw": "withdrew withdrawn",
        "undertake": "undertook undertaken", "overtake": "overtook", "swear": "swore sworn",
    }.items()
    for form in forms.split()
}

# Places and the words for their people and things: "Briton", "British" and
# "UK" all find "Britain". Each line: the place, then its other forms. Folded
# before stemming, for the articles and the questions alike.
PLACES = """
britain british briton britons brit brits
france french frenchman frenchmen frenchwoman
germany german germans
ukraine ukrainian ukrainians
russia russian russians
america american americans
china chinese
japan japanese
india indian indians
italy italian italians
spain spanish spaniard spaniards
poland polish pole poles
turkey turkish turk turks
israel israeli israelis
iran iranian iranians
iraq iraqi iraqis
syria syrian syrians
egypt egyptian egyptians
canada canadian canadians
mexico mexican mexicans
brazil brazilian brazilians
argentina argentine argentinian argentinians
australia australian australians
netherlands dutch holland
belgium belgian belgians
sweden swedish swede swedes
norway norwegian norwegians
denmark danish dane danes
finland finnish finn finns
ireland irish
scotland scottish scot scots
wales welsh
greece greek greeks
portugal portuguese
austria austrian austrians
switzerland swiss
hungary hungarian hungarians
romania romanian romanians
belarus belarusian belarusians
georgia georgian georgians
korea korean koreans
vietnam vietnamese
pakistan pakistani pakistanis
afghanistan afghan afghans
saudi saudis
qatar qatari qataris
lebanon lebanese
palestine palestinian palestinians
nigeria nigerian nigerians
kenya kenyan kenyans
europe european europeans
africa african africans
asia asian asians
mongolia mongol mongols mongolian mongolians
serbia serbian serbians serb serbs
croatia croatian croatians croat croats
"""
PLACE_OF = {form: line.split()[0] for line in PLACES.strip().splitlines() for form in line.split()}
# The names of days and months: capitalised like a person's, never one ("Who thought July 2nd would be
# celebrated?" then "Who did he tell?": he is whoever the answer named, not July).
CALENDAR = frozenset("""monday tuesday wednesday thursday friday saturday sunday january february march april
may june july august september october november december""".split())
# Names of places written as several words or with dots, folded to one word first.
_PLACE_PHRASES = re.compile(
    r"\b(?:U\.S\.(?:A\.)?|U\.K\.|E\.U\.|United States(?: of America)?|United Kingdom|Great Britain|"
    r"European Union)(?![A-Za-z])|\b(?-i:US|USA|UK|EU)\b",
    re.IGNORECASE,
)
_PHRASE_PLACE = {"u.s.": "America", "u.s.a.": "America", "united states": "America",
                 "united states of america": "America", "u.k.": "Britain", "united kingdom": "Britain",
                 "great britain": "Britain", "e.u.": "Europe", "european union": "Europe",
                 "us": "America", "usa": "America", "uk": "Britain", "eu": "Europe"}
# What text must hold for ``_PLACE_PHRASES`` to match: a dotted or spaced phrase in any case, or a capital abbreviation.
_PHRASE_HINTS = tuple(p for p in _PHRASE_PLACE if not p.isalpha())
_ABBREVIATIONS = tuple(p.upper() for p in _PHRASE_PLACE if p.isalpha())

# Letters of any script (a possessive or contraction kept on), or digits:
# "Romans3" is two words, "Müntzer" is "muntzer" once accents are folded.
_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?|\d+")
_ASCII_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+")  # the same on lower-case ASCII text, twice as fast
# Scripts written without spaces between words: each run is cut into
# overlapping pairs of characters, the usual way to index them for BM25.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f]+")
_STEMMER = Stemmer.Stemmer("english")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in ``text``, whitespace trimmed.

    >>> t = 'Rubio met the U.S. team. "We agree. We go on," he said. Lt. Gen. Kellogg came.'
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['Rubio met the U.S. team.', '"We agree. We go on," he said.', 'Lt. Gen. Kellogg came.']
    >>> [t[a:b] for t in ["法国主办了会谈。下一轮在伦敦举行。"] for a, b in split_sentences(t)]
    ['法国主办了会谈。', '下一轮在伦敦举行。']
    """
    quotes_balanced = text.count('"') % 2 == 0
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _END.finditer(text):
        end = match.end()
        if not _is_boundary(text, start, end, quotes_balanced):
            continue
        _add_span(text, start, end, spans)
        start = end
    _add_span(text, start, len(text), spans)
    return spans


def _is_boundary(text: str, start: int, end: int, quotes_balanced: bool) -> bool:
    """Whether a candidate end at ``end`` really ends the sentence begun at ``start``."""
    if re.search(r"[\u3002\uff01\uff1f]", text[max(start, end - 3):end]):
        return True  # a full stop of Chinese or Japanese: no space or capital follows it
    if not _NEXT_START.match(text, end):
        return False  # next word is lower case: "U.S. officials", "... they realized"
    core = text[start:end].rstrip("\"'\u201d\u2019)]")
    if core.endswith("."):
        bare = core.rsplit(None, 1)[-1].lstrip("(\"'\u201c\u2018[").rstrip(".")
        if bare.lower() in ABBREVIATIONS:
            return False  # "Lt. Gen. Keith Kellogg"
        if re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", bare):
            return False  # "U.S. State Department", "John F. Kennedy"
    if quotes_balanced and text.count('"', start, end) % 2 == 1:
        return False  # inside quoted speech: keep the quote with its speaker
    return True


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    """Append the trimmed span of text[start:end] if it holds anything."""
    piece = text[start:end]
    stripped = piece.strip()
    if stripped:
        lead = len(piece) - len(piece.lstrip())
        spans.append((start + lead, start + lead + len(stripped)))


class _Terms(dict):
    """Word -> its term ("" for a stop word), filled as words come: one lookup a word on the hot path."""

    LIMIT = 500_000  # words remembered before starting over (uploads can hold any string)

    def __missing__(self, word: str) -> str:
        if len(self) >= self.LIMIT:
            self.clear()
        term = "" if word in STOPWORDS else _STEMMER.stemWord(PLACE_OF.get(word) or IRREGULAR.get(word, word))
        self[word] = term
        return term


_TERMS = _Terms()


def unspaced(term: str) -> bool:
    """Whether a term is a character pair of a script written without spaces (Chinese, Japanese, Thai): no word
    of its own, so that the articles lack one says little."""
    return bool(_UNSPACED.search(term))


def words(text: str) -> list[str]:
    """All word tokens of ``text``, lower case, accents folded, possessives dropped.

    >>> words("Trump's envoy, Steve Witkoff in Romans3 and Müntzer")
    ['trump', 'envoy', 'steve', 'witkoff', 'in', 'romans', '3', 'and', 'muntzer']
    >>> words("巴黎会谈")
    ['巴黎', '黎会', '会谈']
    """
    unspaced = False
    token = _ASCII_TOKEN
    if not text.isascii():
        text = fold_accents(text).replace("\u2019", "'")
        unspaced = bool(_UNSPACED.search(text))
        token = _TOKEN
    tokens = [t[:-2] if t.endswith("'s") else t for t in token.findall(text.lower())]
    return [w for t in tokens for w in _pairs(t)] if unspaced else tokens


def fold_accents(text: str) -> str:
    """Latin letters without their accents (other scripts unchanged).

    >>> fold_accents("Müntzer, Sekulić, Тесла")
    'Muntzer, Sekulic, Тесла'
    """
    folded = unicodedata.normalize("NFKD", text)
    marks = "".join(sorted(c for c in set(folded) if unicodedata.combining(c)))
    if marks:  # accents on Latin letters (below U+0250) go; on other scripts' letters they stay
        folded = _latin_accents(marks).sub("", folded)
    return unicodedata.normalize("NFC", folded)


@functools.lru_cache(maxsize=256)
def _latin_accents(marks: str) -> re.Pattern:
    """Runs of these combining marks that follow a Latin letter. One pattern a set of marks, not a test a
    character: folding was 8.7 s of counting the term statistics of 115,868 passages (now 3.7x faster)."""
    return re.compile(f"(?<=[\\x00-\\u024f])[{re.escape(marks)}]+")


def _pairs(token: str) -> list[str]:
    """A token with runs of unspaced script cut into overlapping character pairs."""
    out: list[str] = []
    at = 0
    for run in _UNSPACED.finditer(token):
        if run.start() > at:
            out.append(token[at:run.start()])
        chars = run.group(0)
        out.extend([chars] if len(chars) == 1 else [chars[i:i + 2] for i in range(len(chars) - 1)])
        at = run.end()
    if at < len(token):
        out.append(token[at:])
    return out


def terms(text: str) -> list[str]:
    """Stemmed content words of ``text``: what lexical matching compares.

    >>> terms("Who attended the talks in Paris?")
    ['attend', 'talk', 'pari']
    >>> terms("the British envoy, a Briton in the U.S.")
    ['britain', 'envoy', 'britain', 'america']
    """
    return stems(words(fold_places(text)))


def words_and_terms(text: str) -> tuple[list[str], list[str]]:
    """``words(text)`` and ``terms(text)``, splitting the text once when it names no place in several words."""
    split = words(text)
    folded = fold_places(text)
    return split, stems(split if folded == text else words(folded))


def fold_places(text: str) -> str:
    """Names of places written as several words or with dots, as one word.

    >>> fold_places("U.S. and United Kingdom officials")
    'America and Britain officials'
    """
    lower = text.lower()
    if not any(p in lower for p in _PHRASE_HINTS) and not any(p in text for p in _ABBREVIATIONS):
        return text  # most text names no place in several words: skip the slower pattern
    return _PLACE_PHRASES.sub(lambda m: _PHRASE_PLACE[m.group(0).lower()], text)


def stems(tokens: list[str]) -> list[str]:
    """The terms of already split words (see ``words``): stop words out, places folded, stemmed."""
    return [t for t in map(_TERMS.__getitem__, tokens) if t]


# An article's own bracketed footnote marks ("[3]", "[a]") as an answer writes them: "[note 3]", so that a
# bracketed number in an answer is always one of its citations.
_OWN_NOTE = re.compile(r"\[(\d{1,3}|[a-z])\]")
_WRITTEN_NOTE = re.compile(r"\[note (\d{1,3}|[a-z])\]")
_CITATION = re.compile(r"\s*\[\d+\]\s*")


def own_notes(sentence: str) -> str:
    """A sentence with the article's own bracketed footnote marks written as notes, not citations.

    >>> own_notes("It was founded in 1896.[3][a]")
    'It was founded in 1896.[note 3][note a]'
    """
    return _OWN_NOTE.sub(r"[note \1]", sentence)


def answer_sentences(text: str) -> list[str]:
    """The article sentences an answer's text quotes, as the article writes them (its ``[n]`` markers gone).

    >>> answer_sentences("It opened in 1896.[note 3] [1] It has 300 seats. [2]")
    ['It opened in 1896.[3]', 'It has 300 seats.']
    """
    return [_WRITTEN_NOTE.sub(r"[\1]", part) for part in _CITATION.split(text) if part.strip()]
