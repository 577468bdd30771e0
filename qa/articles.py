"""Articles: load files into repaired text, find sections, cut passages.

``read_articles(path)`` turns a file or folder into ``Article``s (checked: not
missing, empty, binary or oversized); ``split_passages`` cuts one article into
``Passage``s that fit the embedding model's window, keep sentences whole, and
remember where they came from (article, section, paragraphs, character
offsets into the repaired text). Web pages, PDF and Word files are first
turned into text by ``formats.py``.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .errors import ArticleError
from .formats import CONVERTED, convert
from .repair import bom_encoding, decode, repair
from .sentences import split_sentences

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
SUFFIXES = TEXT_SUFFIXES + CONVERTED
# Bump when sections or passages would come out differently: cached indexes
# made by another splitter version are rebuilt.
SPLITTER_VERSION = 6
LEAD = ""  # section header of the text before the first header
END_MATTER = "(end matter)"  # section header of what follows a ___ rule

_RULE = re.compile(r"_{3,}")
_MD_HEADING = re.compile(r"#{1,6}\s+(.+?)\s*#*")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")


@dataclass(frozen=True)
class Section:
    """A header and the character spans of its paragraphs in the article text."""

    header: str
    paragraphs: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Article:
    """One repaired article; ``digest`` hashes its bytes so caches know when it changed."""

    name: str
    title: str
    text: str
    sections: tuple[Section, ...]
    digest: str
    url: str = ""  # where a web page came from, when it says

    @property
    def paragraph_count(self) -> int:
        return sum(len(s.paragraphs) for s in self.sections)


@dataclass(frozen=True)
class Passage:
    """A retrievable piece of one section: whole sentences, verbatim article text.

    ``paragraphs`` is the first and last paragraph number (1-based, headers not
    counted); ``start``/``end`` are offsets into the repaired article text;
    ``sentences`` are spans into ``text``.
    """

    id: str
    article: str
    title: str
    section: str
    paragraphs: tuple[int, int]
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]

    @property
    def embed_text(self) -> str:
        """What is embedded and indexed: the section header gives the passage its context."""
        return embed_text(self.section, self.text)


def section_label(header: str) -> str:
    """How a section is named to a reader: "Lead" and "End matter" for the unnamed ones."""
    return {LEAD: "Lead", END_MATTER: "End matter"}.get(header, header)


def embed_text(section: str, text: str) -> str:
    """Header line plus passage text, as the model and BM25 see a passage."""
    header = section if section not in (LEAD, END_MATTER) else ""
    return f"{header}\n{text}" if header else text


# ---------------------------------------------------------------- loading


def article_files(path: Path) -> list[Path]:
    """The article files a path names: the file itself, or a folder's article files (``SUFFIXES``)."""
    path = Path(path)
    if not path.exists():
        raise ArticleError(f"no such file or folder: {path}")
    if path.is_file():
        return [path]
    if not path.is_dir():  # a device, a pipe, a socket: nothing an article can be read from
        raise ArticleError(f"{path} is neither a file nor a folder of articles")
    # By name: the order of Path comparison within one folder, without its cost (0.9 s for 12k files).
    # scandir knows a plain file from the directory listing, with no stat per file (0.1 s for 12.8k files).
    try:
        with os.scandir(path) as entries:
            names = sorted(e.name for e in entries
                           if os.path.splitext(e.name)[1].lower() in SUFFIXES and _is_file(e))
    except OSError as exc:
        raise ArticleError(f"cannot read the folder {path}: {exc.strerror or exc}") from None
    files = [path / name for name in names]
    if not files:
        raise ArticleError(f"no articles in {path}: put .txt, .md, .html, .pdf or .docx files there")
    return files


def _is_file(entry: os.DirEntry) -> bool:
    """A plain file, or a link to one; a broken or looping link is not (as ``Path.is_file`` says)."""
    try:
        return entry.is_file()
    except OSError:
        return False


def human_size(size: int) -> str:
    """A byte count as people read it.

    >>> human_size(1_500), human_size(52_428_800), human_size(1_000_000_000)
    ('1.5 KB', '52.4 MB', '1 GB')
    """
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def check_size(name: str, size: int, max_bytes: int) -> None:
    """Refuse a file too large to be an article, before reading it into memory."""
    if size > max_bytes:
        raise ArticleError(f"{name} is {human_size(size)}; articles are limited to {human_size(max_bytes)}")


def check_bytes(name: str, data: bytes, max_bytes: int) -> None:
    """Refuse what cannot be an article: too large, empty, or binary.

    UTF-16 and UTF-32 text (with a byte-order mark) is judged by its
    characters, not its bytes, which are full of zeros.
    """
    check_size(name, len(data), max_bytes)
    encoding = bom_encoding(data)
    if encoding:
        try:
            head: bytes | str = data[:32768].decode(encoding, errors="strict")
        except UnicodeDecodeError:
            head = data[:32768].decode(encoding, errors="replace")  # cut mid-character at the end, or damaged
            if head.count("\ufffd") > 1:
                raise ArticleError(f"{name} starts with a {encoding.upper()} byte-order mark but is not "
                                   f"{encoding.upper()} text") from None
        if not head.lstrip("\ufeff").strip():
            raise ArticleError(f"{name} is empty")
        codes = [ord(c) for c in head[:8192]]
    else:
        if not data.strip():
            raise ArticleError(f"{name} is empty")
        head = data[:8192]
        codes = list(head)
        if 0 in codes:
            raise ArticleError(f"{name} looks like a binary file, not text")
    controls = sum(1 for c in codes if c < 32 and c not in (9, 10, 12, 13))
    if 0 in codes or controls > len(codes) * 0.05:
        raise ArticleError(f"{name} looks like a binary file, not text")


def parse_article(name: str, data: bytes, max_bytes: int = 10_000_000) -> Article:
    """Bytes of one article to a repaired, sectioned ``Article``.

    Raises ArticleError for empty, binary or oversized input, and for a web
    page, PDF or Word file without article text.
    """
    url = ""
    if name.lower().endswith(CONVERTED):
        check_size(name, len(data), max_bytes)
        if not data.strip():
            raise ArticleError(f"{name} is empty")
        converted = convert(name, data)
        text, url = repair(converted.text), converted.url
    else:
        check_bytes(name, data, max_bytes)
        text = repair(decode(data))
    if not text.strip():
        raise ArticleError(f"{name} is empty")
    title, sections = find_sections(text)
    if not any(s.paragraphs for s in sections):
        raise ArticleError(f"{name} has no paragraphs of text")
    if all(header_text(text[a:b]) is not None for s in sections for a, b in s.paragraphs):
        raise ArticleError(f"{name} has no sentences, only headings: an article needs some text")
    return Article(
        name=name,
        title=title or title_from_name(name),
        text=text,
        sections=tuple(sections),
        digest=content_digest(data),
        url=url,
    )


def check_passages(article: Article, max_tokens: int, limit: int) -> None:
    """Refuse an article that must make more than ``limit`` passages, before splitting it.

    Each word is at least one token and a passage at most ``max_tokens``, so
    words / max_tokens passages is a floor that costs one pass over the text.
    """
    least = sum(1 for _ in re.finditer(r"\S+", article.text)) // max(max_tokens, 1)
    if least > limit:
        raise ArticleError(f"{article.name} would make at least {least:,} passages; an upload is limited to "
                           f"{limit:,}: split it into smaller files")


def content_digest(data: bytes) -> str:
    """What tells an article's versions apart: the first 20 hex digits of the SHA-256 of its bytes."""
    return hashlib.sha256(data).hexdigest()[:20]


def read_article(path: Path, max_bytes: int = 10_000_000) -> Article:
    """Read and parse one article file."""
    path = Path(path)
    try:
        check_size(path.name, path.stat().st_size, max_bytes)
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return parse_article(path.name, data, max_bytes)


def title_from_name(name: str) -> str:
    """A readable title from a file name, for articles without a title line.

    >>> title_from_name("paris-talks-ukraine.txt")
    'Paris Talks Ukraine'
    """
    words = re.sub(r"[-_]+", " ", Path(name).stem).split()
    small = {"a", "an", "and", "at", "in", "of", "on", "or", "the", "to", "for"}
    titled = [w if (i and w in small) or not w.islower() else w.capitalize() for i, w in enumerate(words)]
    return " ".join(titled) or name


def plain(text: str) -> str:
    """A header or title without Markdown inline markup.

    >>> plain("Harbor **festival** `report`")
    'Harbor festival report'
    """
    return re.sub(r"(\*\*|__|[*_`])(.+?)\1", r"\2", text).strip()


# ---------------------------------------------------------------- sections


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """Spans of paragraphs: blocks between blank lines, or lines when there are no blank lines.

    >>> t = "One.\\n\\nTwo\\nstill two.\\n"
    >>> [t[a:b] for a, b in paragraph_spans(t)]
    ['One.', 'Two\\nstill two.']
    """
    separator = _PARAGRAPH_BREAK if _PARAGRAPH_BREAK.search(text) else re.compile(r"\n+")
    spans = []
    start = 0
    for match in separator.finditer(text):
        _add_trimmed(text, start, match.start(), spans)
        start = match.end()
    _add_trimmed(text, start, len(text), spans)
    return spans


def _add_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    if piece.strip():
        lead = len(piece) - len(piece.lstrip())
        spans.append((start + lead, start + lead + len(piece.strip())))


def header_text(paragraph: str) -> str | None:
    """The header a paragraph stands for, or None when it is body text.

    A header is one short line without closing punctuation ("Ukraine's goals"),
    or a Markdown heading ("## Ukraine's goals").

    >>> header_text("A coalition of the willing"), header_text("He said so."), header_text("___")
    ('A coalition of the willing', None, None)
    """
    line = paragraph.strip()
    if "\n" in line:
        return None
    heading = _MD_HEADING.fullmatch(line)
    if heading:
        return plain(heading.group(1))
    if len(line) > 100 or len(line.split()) > 12:
        return None
    if line[-1] in ".!?:;,\"'\u201d\u2019)]…\u3002\uff01\uff1f\uff0c" or not (
            line[0].isupper() or line[0].isdigit() or (line[0].isalpha() and not line[0].islower())):
        return None
    if not re.search(r"[A-Za-z]", line):
        return None
    return line


def find_sections(text: str) -> tuple[str, list[Section]]:
    """Title (if the text has one) and sections: the lead, one per header, the end matter.

    A header counts only with body text after it; everything after a ``___``
    rule is end matter, whose short lines are never headers.
    """
    spans = paragraph_spans(text)
    title = ""
    if spans:
        first = text[spans[0][0]:spans[0][1]]
        if _MD_HEADING.fullmatch(first.strip()) or (header_text(first) and len(spans) > 1):
            title = header_text(first) or ""
            spans = spans[1:]
    sections: list[Section] = []
    header, current = LEAD, []
    in_end_matter = False
    for i, (a, b) in enumerate(spans):
        piece = text[a:b]
        if _RULE.fullmatch(piece.strip()):
            if not in_end_matter:
                sections.append(Section(header, tuple(current)))
                header, current, in_end_matter = END_MATTER, [], True
            continue
        found = None if in_end_matter else header_text(piece)
        has_body_after = i + 1 < len(spans) and header_text(text[spans[i + 1][0]:spans[i + 1][1]]) is None
        if found and has_body_after:
            sections.append(Section(header, tuple(current)))
            header, current = found, []
        else:
            current.append((a, b))
    sections.append(Section(header, tuple(current)))
    return title, [s for s in sections if s.paragraphs or s.header not in (LEAD, END_MATTER)]


# ---------------------------------------------------------------- passages


def split_passages(
    article: Article,
    count_tokens: Callable[[str], int],
    max_tokens: int = 256,
    pack_tokens: int = 160,
) -> list[Passage]:
    """Cut an article into passages that fit the model's window.

    Whole paragraphs are packed together up to ``pack_tokens`` (within one
    section); a paragraph longer than ``max_tokens`` is cut between sentences,
    and only a single sentence longer than the window is cut between words.
    ``count_tokens`` must count as the model does (special tokens included).
    """
    passages: list[Passage] = []
    number = 0
    for section in article.sections:
        units: list[tuple[int, int, int, int]] = []  # start, end, first para, last para
        for a, b in section.paragraphs:
            number += 1
            for x, y in _fit(article.text, a, b, section.header, count_tokens, max_tokens):
                units.append((x, y, number, number))
        for start, end, first, last in _pack(article.text, units, section.header, count_tokens, pack_tokens):
            body = article.text[start:end]
            passages.append(
                Passage(
                    id=hashlib.sha1(f"{article.digest}:{start}:{end}".encode()).hexdigest()[:16],
                    article=article.name,
                    title=article.title,
                    section=section.header,
                    paragraphs=(first, last),
                    start=start,
                    end=end,
                    text=body,
                    sentences=tuple(_passage_sentences(body)),
                )
            )
    return passages


def _passage_sentences(body: str) -> Iterable[tuple[int, int]]:
    """Sentence spans of a passage, paragraph by paragraph."""
    for a, b in paragraph_spans(body) if "\n" in body else [(0, len(body))]:
        for x, y in split_sentences(body[a:b]):
            yield a + x, a + y


def _fit(text: str, a: int, b: int, header: str, count: Callable[[str], int], limit: int):
    """Spans covering text[a:b], each within ``limit`` tokens: the whole, else sentence groups."""
    if count(embed_text(header, text[a:b])) <= limit:
        return [(a, b)]
    pieces: list[tuple[int, int]] = []
    for x, y in split_sentences(text[a:b]):
        x, y = a + x, a + y
        if count(embed_text(header, text[x:y])) <= limit:
            pieces.append((x, y))
        else:
            pieces.extend(_cut_words(text, x, y, header, count, limit))
    groups: list[tuple[int, int]] = []
    for x, y in pieces:
        if groups and count(embed_text(header, text[groups[-1][0]:y])) <= limit:
            groups[-1] = (groups[-1][0], y)
        else:
            groups.append((x, y))
    return groups


def _cut_words(text: str, a: int, b: int, header: str, count: Callable[[str], int], limit: int):
    """Last resort for one sentence longer than the window: cut between words.

    Each piece is the longest run of words from its start that fits, found
    by bisection among the next ``limit`` words only (a word is at least one
    token, so no piece holds more): the text counted for a piece is bounded
    by the window, and cutting a sentence of n words costs O(n log limit),
    not the O(n^2) of counting the rest of the sentence for every piece
    (a 160 KB line took 10 s that way, a 10 MB one hours).
    """
    out = []
    start = a
    ends = [m.end() + a for m in re.finditer(r"\S+", text[a:b])]
    first = 0  # the first word after ``start``
    fits = lambda j: count(embed_text(header, text[start:ends[j]])) <= limit
    while first < len(ends):
        reach = min(len(ends) - 1, first + limit)  # no piece is longer than ``limit`` words
        if reach == len(ends) - 1 and fits(reach):
            break  # the rest fits in one piece
        if not fits(first):
            last = first  # a single "word" over the window: take it, truncated by the model
        else:
            last, over = first, reach + 1  # fits(last); ``over`` is past what a piece can hold
            while over - last > 1:
                middle = (last + over) // 2
                last, over = (middle, over) if fits(middle) else (last, middle)
        out.append((start, ends[last]))
        start = ends[last] + len(text[ends[last]:b]) - len(text[ends[last]:b].lstrip())
        first = last + 1
    if start < b:
        out.append((start, b))
    return out


def _pack(text: str, units, header: str, count: Callable[[str], int], limit: int):
    """Join neighbouring units while the joined passage stays within ``limit`` tokens."""
    packed: list[tuple[int, int, int, int]] = []
    for unit in units:
        if packed:
            start, _, first, _ = packed[-1]
            if count(embed_text(header, text[start:unit[1]])) <= limit:
                packed[-1] = (start, unit[1], first, unit[3])
                continue
        packed.append(unit)
    return packed
