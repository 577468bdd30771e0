"""Links: web pages and RSS/Atom feeds fetched into the cache, to be read as articles.

``articles_from_link(url)`` gives the (file name, bytes) of a page, or of each
article a feed links to; ``mirror(settings)`` keeps a link given as
``--articles https://...`` in a cache folder (``<cache>/web/``), fetched once
with its validators (ETag, Last-Modified), re-fetched by ``python -m qa
index`` only when changed. Nothing is fetched unless a link is given.
Only http(s), within a timeout and a size limit; every failure is one
``ArticleError`` line. Leaves out: cookies, logins, pages drawn by JavaScript.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from embeddings.files import atomic_write

from .config import Settings
from .errors import ArticleError
from .folders import WEB

_LINK = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
USER_AGENT = "article-qa/0.1 (+offline news QA; fetches only links its user gives)"
ACCEPT = ("text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,"
          "application/pdf;q=0.9,text/plain;q=0.5")
MANIFEST = "links.json"  # in each link's folder: the link, and each page's URL, file, validators, fetch time


@dataclass(frozen=True)
class Fetched:
    """One response: the final URL, body and what it is (html, pdf, feed, text), with its validators."""

    url: str
    data: bytes
    kind: str
    etag: str = ""
    last_modified: str = ""


def is_link(value: object) -> bool:
    """Whether a setting or input names a link (``scheme://``) rather than a file.

    >>> is_link("https://apnews.com/x"), is_link("seeds/"), is_link("ftp://host/x")
    (True, False, True)
    """
    return isinstance(value, str) and bool(_LINK.match(value.strip()))


def check_link(url: str) -> str:
    """The link, stripped; ArticleError unless it is an http(s) URL with a host."""
    url = str(url).strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ArticleError(f"only http(s) links can be read, not {parts.scheme or 'this'}: {_short(url)}")
    if not parts.hostname:
        raise ArticleError(f"{_short(url)} has no host name")
    return url


def _short(url: str, limit: int = 200) -> str:
    return url if len(url) <= limit else url[:limit] + "\u2026"


class _SameSchemes(urllib.request.HTTPRedirectHandler):
    """Follows redirects between http and https only (never to file:, ftp: or data:)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        target = urllib.parse.urljoin(req.full_url, newurl)
        if urllib.parse.urlsplit(target).scheme.lower() not in ("http", "https"):
            raise ArticleError(f"{_short(req.full_url)} redirects to {_short(target)}: only http(s) links are followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, timeout: float, max_bytes: int, etag: str = "", last_modified: str = "") -> Fetched | None:
    """GET ``url`` (None: not modified since the validators given); ArticleError for anything unusable."""
    url = check_link(url)
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    opener = urllib.request.build_opener(_SameSchemes)
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise ArticleError(f"{_short(url)} is {int(length):,} bytes; pages are limited to {max_bytes:,}")
            data = response.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise ArticleError(f"{_short(url)} is over {max_bytes:,} bytes; pages are limited to that")
            kind = _kind(response.headers.get_content_type(), data)
            if kind is None:
                raise ArticleError(f"{_short(url)} is not a web page, feed or PDF "
                                   f"(it is {response.headers.get_content_type()})")
            return Fetched(response.geturl(), data, kind, response.headers.get("ETag") or "",
                           response.headers.get("Last-Modified") or "")
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return None
        if 300 <= exc.code < 400 and exc.headers.get("Location"):  # urllib refuses a redirect off http(s)
            raise ArticleError(f"{_short(url)} redirects to {_short(exc.headers['Location'])}: only http(s) links "
                               "are followed") from None
        raise ArticleError(f"{_short(url)} could not be read: the server answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ArticleError):
            raise exc.reason from None
        reason = exc.reason.strerror if isinstance(exc.reason, OSError) and exc.reason.strerror else exc.reason
        raise ArticleError(f"cannot reach {_short(url)}: {reason}") from None
    except (socket.timeout, TimeoutError):
        raise ArticleError(f"{_short(url)} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise ArticleError(f"cannot reach {_short(url)}: {exc.strerror or exc}") from None


def _kind(content_type: str, data: bytes) -> str | None:
    """What a response is, by its type and, for XML and plain types, by its first bytes."""
    head = data[:512].lstrip().lower()
    if content_type == "application/pdf" or head.startswith(b"%pdf-"):
        return "pdf"
    if content_type in ("application/rss+xml", "application/atom+xml") or (
            ("xml" in content_type or content_type == "text/plain") and re.search(rb"<(rss|feed|rdf:rdf)\b", head)):
        return "feed"
    if content_type in ("text/html", "application/xhtml+xml"):
        return "html"
    if content_type == "text/plain":
        return "text"
    return None


def page_name(url: str, kind: str) -> str:
    """A file name for a fetched page: host and path, readable, unique by a short hash.

    >>> page_name("https://apnews.com/article/ukraine-talks-paris?x=1", "html")
    'apnews.com-article-ukraine-talks-paris-74fe22.html'
    """
    parts = urllib.parse.urlsplit(url)
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", f"{parts.hostname or ''}{parts.path}").strip("-.")[:80].strip("-.")
    digest = hashlib.sha1(url.encode()).hexdigest()[:6]
    return f"{slug or 'page'}-{digest}.{ {'pdf': 'pdf', 'text': 'txt'}.get(kind, 'html') }"


def page_bytes(fetched: Fetched) -> bytes:
    """What is kept of a page: an HTML page starts with the mark browsers write on saved pages, so its URL stays."""
    if fetched.kind != "html":
        return fetched.data
    return f"<!-- saved from url=({len(fetched.url):04d}){fetched.url} -->\n".encode() + fetched.data


def feed_links(data: bytes, limit: int) -> list[str]:
    """The article links of an RSS or Atom feed, newest first as the feed lists them, at most ``limit``."""
    import feedparser  # only feeds need it

    parsed = feedparser.parse(data)
    if parsed.bozo and not parsed.entries:
        raise ArticleError(f"not a readable feed: {parsed.get('bozo_exception')}")
    links = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        if is_link(link) and link not in links:
            links.append(link)
    return links[:limit]


Report = Callable[[str, int, int], None]


def articles_from_link(url: str, settings: Settings, progress: Report | None = None) -> list[tuple[str, bytes]]:
    """(file name, bytes) of the page at ``url``, or of each article its feed links to; ArticleError if none."""
    pages, _ = _fetch_all(url, settings, {}, progress)
    return [(name, data) for name, data, _ in pages]


def _fetch_all(url: str, settings: Settings, known: dict[str, dict],
               progress: Report | None) -> tuple[list[tuple[str, bytes | None, dict]], list[str]]:
    """The link's pages as (name, bytes or None when unchanged, manifest entry), and warnings for pages skipped."""
    limit, timeout = settings.max_article_bytes, settings.fetch_seconds
    top = known.get(url, {})  # the link was a page before: asked again only if changed
    first = fetch(url, timeout, limit, top.get("etag", ""), top.get("last_modified", ""))
    if first is None:
        return [(top["file"], None, {**top, "checked": time.time()})], []
    if first.kind != "feed":
        return [(page_name(first.url, first.kind), page_bytes(first), {**_entry(first), "url": url})], []
    links = feed_links(first.data, settings.max_feed_items)
    if not links:
        raise ArticleError(f"the feed {_short(url)} links to no articles")
    pages, warnings = [], []
    for i, link in enumerate(links):
        if progress:
            progress("fetching", i, len(links))
        old = known.get(link, {})
        try:
            got = fetch(link, timeout, limit, old.get("etag", ""), old.get("last_modified", ""))
        except ArticleError as exc:
            warnings.append(f"skipped {exc}")
            continue
        if got is None:
            pages.append((old["file"], None, {**old, "checked": time.time()}))
        elif got.kind == "feed":
            warnings.append(f"skipped {_short(link)}: a feed inside a feed")
        else:
            pages.append((page_name(link, got.kind), page_bytes(got), {**_entry(got), "url": link}))
    if progress:
        progress("fetching", len(links), len(links))
    if not pages:
        raise ArticleError("none of the feed's articles could be read: " + "; ".join(warnings[:3]))
    return pages, warnings


def _entry(fetched: Fetched) -> dict:
    return {"url": fetched.url, "etag": fetched.etag, "last_modified": fetched.last_modified,
            "fetched": time.time()}


def link_folder(settings: Settings, url: str) -> Path:
    """Where a link's pages are kept in the cache."""
    parts = urllib.parse.urlsplit(url)
    host = re.sub(r"[^A-Za-z0-9.-]+", "-", parts.hostname or "link")[:40]
    return Path(settings.cache_dir) / WEB / f"{host}-{hashlib.sha1(url.encode()).hexdigest()[:12]}"


def mirror(settings: Settings, refresh: bool = False, progress: Report | None = None) -> Settings:
    """The settings with a link's pages in place of the link (fetched now if never, or if ``refresh``).

    Settings whose articles are a file or folder come back as they are. A
    refresh that cannot reach the link keeps the pages fetched before.
    """
    if not is_link(settings.articles):
        return settings
    url = check_link(str(settings.articles))
    folder = link_folder(settings, url)
    manifest_path = folder / MANIFEST
    try:
        known = json.loads(manifest_path.read_text()) if manifest_path.is_file() else None
    except (OSError, ValueError):
        known = None  # damaged: fetched again
    if known is not None and not refresh:
        return replace(settings, articles=folder)
    previous = {e["url"]: e for e in (known or {}).get("pages", [])}
    if progress:
        progress("fetching", 0, 0)
    try:
        pages, warnings = _fetch_all(url, settings, previous, progress)
    except ArticleError:
        if known is not None:  # offline or gone: the copy from before still answers
            return replace(settings, articles=folder)
        raise
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, data, entry in pages:
        if data is not None:
            atomic_write(folder / name, lambda tmp, data=data: Path(tmp).write_bytes(data))
        entries.append({**entry, "file": name})
    kept = {e["file"] for e in entries}
    for old in previous.values():  # articles gone from the feed go from the folder
        if old.get("file") not in kept:
            (folder / old["file"]).unlink(missing_ok=True)
    record = {"link": url, "pages": entries, "warnings": warnings}
    atomic_write(manifest_path, lambda tmp: Path(tmp).write_text(json.dumps(record, indent=1)))
    return replace(settings, articles=folder)
