"""Normalising and focusing a question: what was typed, cleaned up to what is asked.

``normalise`` strips markup (HTML tags, Markdown emphasis, links), terminal
escape sequences, control characters and extra whitespace, restores bare
contractions ("whos") and lowers a shouted question; ``focus`` keeps, of a long
paste, the sentence that asks, without a chatty lead-in ("quick question:",
"can you tell me"). Leaves out: typo repair (``typos.py``), kinds (``kinds.py``).
"""

from __future__ import annotations

import re
import unicodedata

from .references import WH
from .sentences import split_sentences, terms

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
