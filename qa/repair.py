"""Text repair: bytes in, clean text out.

Decoding (a UTF-16/UTF-32 byte-order mark, else UTF-8, else cp1252), ``ftfy.fix_text`` for the usual mojibake, then
what ftfy does not do: UTF-8 punctuation that was mis-decoded as GBK, as in our
first article (``鈥渃onvergence`` is ``"convergence``). Curly quotes are then
straightened, so the text has one kind of quote throughout. Genuine Chinese
text is left as it is. Leaves out: HTML, encodings other than these.
"""

from __future__ import annotations

import codecs
import re

import ftfy
from ftfy.fixes import uncurl_quotes

# A run of CJK ideographs: the only place GBK-decoded UTF-8 punctuation can hide.
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# "鈥" is the GBK reading of E2 80, the first two bytes of every UTF-8
# general punctuation mark (dashes, quotes, ellipsis).
_LONE = "鈥"
# E2 followed by a single continuation byte: a 3-byte mark whose 0x80 was lost.
_LOST_80 = re.compile(rb"\xe2(?=[\x80-\xbf](?:[^\x80-\xbf]|$))")


# UTF-32 first: its little-endian mark begins with UTF-16's.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def bom_encoding(data: bytes) -> str | None:
    """The UTF-16 or UTF-32 encoding a byte-order mark announces, else None.

    >>> bom_encoding("Hi".encode("utf-16")), bom_encoding(b"Hi")
    ('utf-16', None)
    """
    return next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)


def decode(data: bytes) -> str:
    """Bytes to text: UTF-16/32 with a BOM, UTF-8 (BOM allowed), else cp1252, else latin-1 (never fails).

    >>> decode("café".encode("cp1252")), decode("café".encode("utf-16"))
    ('café', 'café')
    """
    encoding = bom_encoding(data)
    if encoding:
        return data.decode(encoding, errors="replace")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


# Printable ASCII (with tabs and newlines) without "&" (an HTML entity) or ESC: text ftfy leaves as it is.
_PLAIN = re.compile(r"[\t\n\x20-\x25\x27-\x7e]*")
# Whole lines of it, captured so that ``split`` keeps them between the lines ftfy is given.
_PLAIN_LINES = re.compile(r"((?:^[\t\x20-\x25\x27-\x7e]*\n)+)", re.MULTILINE)


def repair(text: str) -> str:
    """Clean text as a reader should see it; safe to run twice.

    >>> repair('Macron described the talks as an important 鈥渃onvergence."')
    'Macron described the talks as an important "convergence."'
    >>> repair("PARIS (AP) 鈥 France hosted")
    'PARIS (AP) — France hosted'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _PLAIN.fullmatch(text):  # plain ASCII holds no mojibake, escapes or entities: nothing for ftfy to fix
        return text
    # ftfy works a line at a time; plain ASCII runs of lines are passed over (a million one-word lines
    # took it 60 s; typical news text is mostly such lines).
    parts = _PLAIN_LINES.split(text)
    text = "".join(part if i % 2 else ftfy.fix_text(part, uncurl_quotes=False) for i, part in enumerate(parts))
    text = "\n".join(_repair_gbk_line(line) for line in text.split("\n"))
    return uncurl_quotes(text)


def _repair_gbk_line(line: str) -> str:
    """Repair GBK-read UTF-8 punctuation in one paragraph; quotes need the paragraph."""
    if _LONE not in line and not _CJK_RUN.search(line):
        return line
    out: list[str] = []
    last = 0
    for match in _CJK_RUN.finditer(line):
        out.append(line[last:match.start()])
        out.append(_repair_run(match.group(), before="".join(out), after=line[match.end():]))
        last = match.end()
    out.append(line[last:])
    return "".join(out)


def _repair_run(run: str, before: str, after: str) -> str:
    """One run of ideographs: mojibake made right, genuine Chinese left alone."""
    try:
        data = run.encode("gb18030")
    except UnicodeEncodeError:
        return run
    fixed = _decode_utf8_prefix(data)
    if fixed is None or (fixed[1] and fixed[1] != b"\xe2\x80"):
        # GBK decoders drop a stray 0x80 (in "鈥欌檙" the second mark's middle byte
        # is gone): put it back where a punctuation mark is one byte short.
        fixed = _decode_utf8_prefix(_LOST_80.sub(b"\xe2\x80", data)) or fixed
    if fixed is None:
        return run
    text, rest = fixed
    if rest == b"\xe2\x80":
        # The third byte was lost in the GBK decode: a lone 鈥.
        text += _lone_mark(before + text, after)
    elif rest:
        return run
    if not text or any(_CJK_RUN.match(ch) for ch in text):
        return run
    return text


def _decode_utf8_prefix(data: bytes) -> tuple[str, bytes] | None:
    """Strictly decode as much of ``data`` as is whole UTF-8; None if it is not UTF-8 at all."""
    for cut in range(len(data), max(len(data) - 3, -1), -1):
        try:
            return data[:cut].decode("utf-8"), data[cut:]
        except UnicodeDecodeError:
            continue
    return None


def _lone_mark(before: str, after: str) -> str:
    """Decide what a lone 鈥 was: an em dash between spaces, else a closing quote.

    >>> _lone_mark("Witkoff ", " Trump's")
    '—'
    >>> _lone_mark('he said "we agree,', " the statement says")
    '\u201d'
    """
    spaced_before = before == "" or before[-1].isspace()
    spaced_after = after == "" or after[0].isspace()
    if spaced_before and spaced_after and before.strip():
        return "\u2014"
    if spaced_before and not before.strip():
        # Paragraph start: only an opening quote starts a paragraph.
        return "\u201c"
    if _open_quote(before) or not spaced_before:
        return "\u201d"
    return "\u2014"


def _open_quote(text: str) -> bool:
    """Whether ``text`` ends inside a quotation (more openings than closings)."""
    straight = text.count('"')
    opened = text.count("\u201c") - text.count("\u201d")
    return opened > 0 or straight % 2 == 1
