"""Article formats: web pages, PDF and Word files to the Markdown-like text the splitter reads.

``convert(name, data)`` gives ``Converted`` (text with ``#`` headings, and the
page's URL when it names one) for ``.html``/``.htm``, ``.pdf`` and ``.docx``;
plain text and Markdown need no converting and are not handled here. A web
page keeps its story only: trafilatura (Apache-2.0, the reference extractor in
web-corpus work) drops navigation, cookie banners, "most read" lists,
comments, footers and scripts, and gives the title, byline, date and URL.
A PDF's text comes from pypdf (BSD-3-Clause, pure Python); a PDF printed from
a web page carries the page's furniture as text, so its story is found as the
stretches of prose (``story``). Every section of a PDF names its page.
Leaves out: scanned PDFs (no text layer), images, tables' layout.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Iterable
from xml.etree import ElementTree

from .errors import ArticleError

WEB_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
WORD_SUFFIXES = (".docx",)
CONVERTED = WEB_SUFFIXES + PDF_SUFFIXES + WORD_SUFFIXES

# A page saved by a browser says where it came from ("Save page as" writes this mark); fetched
# pages are saved with it too (qa/web.py), so a page's URL survives in its file.
_SAVED_FROM = re.compile(rb"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.IGNORECASE)
# A web page is read with trafilatura's precision setting unless that keeps under this share of the words
# its default keeps (then precision cut the story). On a one-paragraph story the default falls back to the
# whole page's text, menu included; on the longer test pages both keep the same words.
PRECISION_SHARE = 0.5
_EMPHASIS = re.compile(r"(\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*]))")


@dataclass(frozen=True)
class Converted:
    """An article's text as the splitter reads it (``#`` title, ``##`` sections), and where it came from."""

    text: str
    url: str = ""


def convert(name: str, data: bytes) -> Converted:
    """The text of a web page, PDF or Word file; ArticleError when none can be found in it."""
    suffix = name[name.rfind("."):].lower() if "." in name else ""
    if suffix in WEB_SUFFIXES:
        return web_page(name, data)
    if suffix in PDF_SUFFIXES:
        return Converted(pdf_text(name, data))
    if suffix in WORD_SUFFIXES:
        return Converted(word_text(name, data))
    raise ValueError(f"{name}: not a converted format")


# ---------------------------------------------------------------- web pages


def web_page(name: str, data: bytes) -> Converted:
    """The story of a web page: title, byline and date line, then its text with the page's headings."""
    import trafilatura  # a second to import; only web pages need it

    def extract(**kw):
        # No date guessed from a copyright line or a URL: only one the page states.
        found = trafilatura.bare_extraction(data, include_comments=False, include_tables=True,
                                            include_formatting=True, with_metadata=True, output_format="python",
                                            date_extraction_params={"extensive_search": False,
                                                                    "original_date": True}, **kw)
        return found, (found.text or "").strip() if found is not None else ""

    found, body = extract(favor_precision=True)
    fuller, fuller_body = extract()
    if len(body.split()) < PRECISION_SHARE * len(fuller_body.split()):
        found, body = fuller, fuller_body
    if not body:
        raise ArticleError(f"{name} has no article text that could be found in the page")
    title = _one_line(found.title or "")
    lines = body.splitlines()
    if title and lines and lines[0].lstrip("# ").strip() == title:  # the page's own <h1>: the title once
        lines = lines[1:]
    body = "\n".join(_heading_or_plain(line) for line in lines).strip()
    # Ends with a full stop, so the splitter reads it as the lead's first line, not as a header.
    byline = ", ".join(x for x in (f"By {_one_line(found.author)}" if found.author else "", found.date or "") if x)
    byline = f"{byline}." if byline else ""
    head = [f"# {title}"] if title else []
    if byline:
        head.append(byline)
    saved = _SAVED_FROM.search(data[:4096])
    url = saved.group(1).decode("ascii", "replace") if saved else (found.url or "")
    return Converted("\n\n".join(head + [body]) + "\n", url if url.startswith(("http://", "https://")) else "")


def _heading_or_plain(line: str) -> str:
    """A Markdown heading as it is (``##`` at least, so the title stays the only ``#``); other lines without emphasis marks."""
    heading = re.match(r"(#{1,6})\s+(.*)", line)
    if heading:
        return f"{'#' * max(2, len(heading.group(1)))} {_EMPHASIS.sub('', heading.group(2))}"
    return _EMPHASIS.sub("", line)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# ---------------------------------------------------------------- PDF

# A block of at least this many words, ending a sentence, is prose; shorter ones are headings,
# menu items, list entries or captions. Evidence: nav items, "most read" headlines and bylines run
# 1-12 words without a full stop; a news paragraph runs 20-60 words (seed article: median 31).
PROSE_WORDS = 14
# The story is its stretches of prose: paragraphs with at most one short block between them (a
# heading, a caption). Two or more short blocks in a row (a menu, "Related coverage" and a teaser's
# headline, a commenter's name and time) end a stretch. The longest stretch is the story; another
# stretch joins it when it has at least STRETCH_BLOCKS paragraphs, STRETCH_SHARE of the longest
# one's words, and STRETCH_TOPIC of its distinct words (4+ letters) in the longest one: the story
# continues after a side column printed between its pages, while a teaser, a newsletter box or a
# cookie banner is one or two paragraphs, and comments and footers are about something else.
# Evidence: news pages printed by Chromium (tests/test_formats.py has one): a story's first page
# cut off by a side column shared 0.29 of its words with the rest of the story; comments with
# the footer 0.16, teasers 0.04-0.16. Like the body text extraction of Finn, Kushmerick and Smyth
# (2001), this keeps dense text and drops what is broken up by links.
STRETCH_BLOCKS = 3
STRETCH_SHARE = 0.15
STRETCH_TOPIC = 0.25


def pdf_text(name: str, data: bytes) -> str:
    """A PDF's story: its stretches of prose, each section headed by the page it starts on."""
    if not data.startswith(b"%PDF-"):
        raise ArticleError(f"{name} is not a PDF file")
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = headline(_one_line((reader.metadata or {}).get("/Title") or "")) if reader.metadata else ""
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ArticleError(f"{name} is a damaged PDF: {exc}") from None
    blocks = [(n, block) for n, text in enumerate(pages, 1) for block in text_blocks(_without_running(text, pages))]
    if not any(block for _, block in blocks):
        raise ArticleError(f"{name} has no text layer (a scan?): only PDFs with text can be read")
    kept = story([block for _, block in blocks])
    if not kept:
        raise ArticleError(f"{name} has no paragraphs of text")
    out = [f"# {title}"] if title else []
    page = 0
    for n, block in (blocks[i] for i in kept):
        if re.match(r"By [A-Z]", block) and not _is_prose(block):  # a byline: the lead's first line, not a header
            block = block.rstrip(".") + "."
        heading = not _is_prose(block) and len(block.split()) <= 12 and not block.endswith((".", ",", ";"))
        if heading:
            out.append(f"## {block} (page {n})")
            page = n
            continue
        if n != page:
            out.append(f"## Page {n}")
            page = n
        out.append(block)
    return "\n\n".join(out) + "\n"


def headline(title: str) -> str:
    """A page title without the site's name after it, as browsers put it in a printed page's title.

    >>> headline("Flooding forces thousands from homes | World News Today"), headline("Rubio - a profile")
    ('Flooding forces thousands from homes', 'Rubio - a profile')
    """
    parts = re.split(r"\s+[|\u2013\u2014-]\s+", title)
    if len(parts) >= 2 and len(parts[-1].split()) <= 4 and len(" ".join(parts[:-1]).split()) > len(parts[-1].split()):
        return re.search(r"^(.*)\s+[|\u2013\u2014-]\s+", title).group(1)
    return title


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()))


def _without_running(page: str, pages: list[str]) -> str:
    """A page without what the printer or the page repeats on every page: the running lines at the top and
    bottom (date, title, URL, "2/5"; digits may differ), and any line printed on at least half the pages,
    two at least (a fixed cookie banner, a "subscribe" bar, a share menu, drawn anywhere on each page; a
    story does not repeat its lines).

    >>> pages = ["1/2\\nWe use cookies.\\nStory one.", "2/2\\nStory two.\\nWe use cookies."]
    >>> _without_running(pages[0], pages)
    'Story one.'
    """
    if len(pages) < 2:
        return page
    split = [p.strip().splitlines() for p in pages]
    edges = [{_shape(x) for x in (lines[:2] + lines[-2:])} for lines in split]
    running = {shape for shape in edges[0].union(*edges[1:]) if sum(shape in e for e in edges) >= 2}
    seen: dict[str, int] = {}
    for lines in split:
        for line in {" ".join(x.split()) for x in lines if x.strip()}:
            seen[line] = seen.get(line, 0) + 1
    lines = page.strip().splitlines()
    keep = [x for i, x in enumerate(lines)
            if not ((i < 2 or i >= len(lines) - 2) and _shape(x) in running)
            and seen.get(" ".join(x.split()), 0) < max(2, len(pages) / 2)]
    return "\n".join(keep)


def text_blocks(page: str) -> list[str]:
    """A page's lines joined into blocks: a line that fills the width and does not end a sentence goes on.

    >>> text_blocks("Home\\nWorld\\nThe talks will continue in London next week, officials said on\\nThursday. More came.\\nNext")
    ['Home', 'World', 'The talks will continue in London next week, officials said on Thursday. More came.', 'Next']
    """
    lines = [" ".join(line.split()) for line in page.splitlines()]
    width = max((len(line) for line in lines), default=0)
    blocks: list[str] = []
    current = prev = ""
    for line in lines:
        if not line:
            if current:
                blocks.append(current)
            current = ""
            continue
        if current and len(prev) >= 0.6 * width and not prev.endswith((".", "!", "?", ":", "\u201d", '"')):
            # A browser does not hyphenate: a line ending in "-" breaks a hyphenated word ("Emilia-Romagna").
            current = current + line if current.endswith("-") else f"{current} {line}"
        else:
            if current:
                blocks.append(current)
            current = line
        prev = line
    if current:
        blocks.append(current)
    return blocks


def _is_prose(block: str) -> bool:
    return len(block.split()) >= PROSE_WORDS and block.rstrip("\"'\u201d)").endswith((".", "!", "?"))


def story(blocks: list[str]) -> list[int]:
    """The indices of the blocks that make the story: its stretches of prose (see ``STRETCH_BLOCKS``).

    >>> p = "Officials said the talks went well and that another meeting would follow in London soon."
    >>> story(["Home", "Sport", p, "Next steps", p, p, "Related", "Other story", p, "Jobs", "Terms"])
    [2, 3, 4, 5]
    >>> story(["Home", "Sport"])
    []
    """
    stretches: list[list[int]] = []
    current: list[int] = []
    gap: list[int] = []
    for i, block in enumerate(blocks):
        if not _is_prose(block):
            gap.append(i)
            continue
        if current and len(gap) <= 1:
            current += gap + [i]
        else:
            if current:
                stretches.append(current)
            # after a lone short block (a heading) or a byline, that block opens the stretch; after a menu, not
            opener = gap[-1:] if len(gap) == 1 or (gap and re.match(r"By [A-Z]", blocks[gap[-1]])) else []
            current = opener + [i]
        gap = []
    if current:
        stretches.append(current)
    if not stretches:
        return []
    words = [sum(len(blocks[i].split()) for i in s if _is_prose(blocks[i])) for s in stretches]
    longest = max(range(len(stretches)), key=words.__getitem__)
    topic = _vocabulary(blocks[i] for i in stretches[longest])

    def joins(k: int) -> bool:
        own = _vocabulary(blocks[i] for i in stretches[k])
        return (sum(_is_prose(blocks[i]) for i in stretches[k]) >= STRETCH_BLOCKS
                and words[k] >= STRETCH_SHARE * words[longest] and len(own & topic) >= STRETCH_TOPIC * len(own))

    return [i for k, s in enumerate(stretches) for i in s if k == longest or joins(k)]


def _vocabulary(texts: Iterable[str]) -> set[str]:
    return {w.lower() for text in texts for w in re.findall(r"[A-Za-z][A-Za-z-]{3,}", text)}


# ---------------------------------------------------------------- Word

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def word_text(name: str, data: bytes) -> str:
    """A .docx file's paragraphs, its Title and Heading styles as headings."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = z.read("word/document.xml")
        root = ElementTree.fromstring(xml)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise ArticleError(f"{name} is not a Word (.docx) file: {exc}") from None
    out = []
    for p in root.iter(f"{_W}p"):
        text = "".join(t.text or "" for t in p.iter(f"{_W}t")).strip()
        if not text:
            continue
        style = p.find(f"{_W}pPr/{_W}pStyle")
        kind = (style.get(f"{_W}val") or "") if style is not None else ""
        if kind == "Title":
            out.append(f"# {text}")
        elif kind.startswith("Heading"):
            out.append(f"## {text}")
        else:
            out.append(text)
    return "\n\n".join(out) + "\n"
