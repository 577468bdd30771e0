"""Links: pages, feeds and PDFs served by a local HTTP server inside the test (no internet)."""

from __future__ import annotations

from email.utils import formatdate
from pathlib import Path

import pytest

from qa.articles import parse_article
from qa.config import Settings
from qa.engine import Engine
from qa.errors import ArticleError
from qa.web import articles_from_link, check_link, fetch, mirror
from tests.pdfmake import make_pdf

PAGE = (Path(__file__).parent / "data" / "web" / "talks.html").read_bytes()
OTHER = b"""<html><head><title>Harbour festival opens</title></head><body><nav>Home | Sport</nav><article>
<h1>Harbour festival opens</h1><p>The harbour festival opened on Friday with forty boats, the organisers said,
and more than ten thousand visitors came on the first day.</p></article><footer>Contact us</footer></body></html>"""


def _feed(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>Story {i}</title><link>{base}{p}</link></item>" for i, p in enumerate(paths))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>{base}/</link>'
            f"{items}</channel></rss>").encode()


def test_a_page_link_becomes_an_article_that_remembers_its_url(site):
    site.add("/world/talks", PAGE)
    [(name, data)] = articles_from_link(f"{site.base}/world/talks", Settings.resolve())
    assert name.endswith(".html") and name.startswith("127.0.0.1-world-talks")
    article = parse_article(name, data)
    assert article.url == f"{site.base}/world/talks"  # where it was fetched from, over the page's own claim
    assert "Marco Rubio" in article.text and "Gordon Smith" not in article.text


def test_a_feed_brings_each_article_it_links_to(site):
    site.add("/a", PAGE)
    site.add("/b", OTHER)
    site.add("/c.pdf", make_pdf([["The harbour festival closed on Sunday after three days of racing, concerts and "
                                  "fireworks, the organisers said."]]), "application/pdf")
    site.add("/feed.xml", _feed(site.base, ["/a", "/b", "/c.pdf", "/gone"]), "application/rss+xml")
    pages = articles_from_link(f"{site.base}/feed.xml", Settings.resolve())
    titles = [parse_article(name, data).title for name, data in pages]
    assert titles[:2] == ["Talks on Ukraine to continue in London", "Harbour festival opens"]
    assert pages[2][0].endswith(".pdf") and "fireworks" in parse_article(*pages[2]).text
    assert len(pages) == 3  # the dead link is skipped, the rest still come


@pytest.mark.parametrize("path, route, says", [
    ("/nothing", None, "the server answered 404"),
    ("/image.png", (b"\x89PNG....", "image/png"), "is not a web page, feed or PDF"),
    ("/huge", (b"<p>" + b"x" * 3000 + b"</p>", "text/html"), "limited to 2,000"),
])
def test_a_link_that_cannot_be_an_article_says_why_in_one_line(site, path, route, says):
    if route:
        site.add(path, *route)
    with pytest.raises(ArticleError, match=says) as caught:
        fetch(f"{site.base}{path}", 5, 2000)
    assert "\n" not in str(caught.value)


def test_only_http_links_are_read_and_redirects_may_not_change_that(site):
    site.add("/jump", b"", status=302, Location="file:///etc/passwd")
    with pytest.raises(ArticleError, match="only http"):
        check_link("ftp://example.org/story")
    with pytest.raises(ArticleError, match="redirects to file:///etc/passwd"):
        fetch(f"{site.base}/jump", 5, 10_000)


def test_an_unreachable_host_is_one_line():
    with pytest.raises(ArticleError, match="cannot reach"):
        fetch("http://127.0.0.1:9/story", 2, 10_000)  # the discard port: nothing listens


def test_a_link_is_fetched_once_and_refetched_only_when_changed(site, tmp_path):
    site.add("/world/talks", PAGE, ETag='"v1"', **{"Last-Modified": formatdate(usegmt=True)})
    settings = Settings.resolve(articles=f"{site.base}/world/talks", cache_dir=tmp_path)
    local = mirror(settings)
    assert Path(local.articles).is_dir() and len(site.asked) == 1
    assert mirror(settings).articles == local.articles and len(site.asked) == 1  # cached: not asked again
    mirror(settings, refresh=True)  # python -m qa index: asks with the validators, gets 304
    assert site.asked[-1][1].get("If-None-Match") == '"v1"' and len(site.asked) == 2
    site.add("/world/talks", PAGE.replace(b"next week", b"next month"), ETag='"v2"')
    mirror(settings, refresh=True)
    [page] = [p for p in Path(local.articles).iterdir() if p.suffix == ".html"]
    assert b"next month" in page.read_bytes()
    del site.routes["/world/talks"]
    assert mirror(settings, refresh=True).articles == local.articles  # gone: the copy from before still answers


def test_an_engine_over_a_link_answers_with_the_page_url(site, tmp_path, fake_embedder):
    site.add("/world/talks", PAGE)
    settings = mirror(Settings.resolve(articles=f"{site.base}/world/talks", cache_dir=tmp_path))
    engine = Engine(settings, embedder=fake_embedder)
    answer = engine.ask("Where will the talks continue?", )
    assert answer.citations and all(c.url == f"{site.base}/world/talks" for c in answer.citations)
    assert engine.articles[0].url == f"{site.base}/world/talks"
