"""A news story inside page furniture that names other people, dates and numbers, read four ways:
an .html file in a folder, its URL, an RSS feed linking to it, and the page printed to PDF by Chromium.
Every way answers from the story and never from the furniture."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from qa.config import Settings
from qa.engine import Engine
from qa.web import mirror

PAGE = Path(__file__).parent / "data" / "web" / "flood.html"
CHROMIUM = "/usr/bin/chromium"
# What only the furniture says: ticker, cookie banner, related stories, newsletter, comments,
# "most read", "trending", footer, a script's data.
FURNITURE = ("John Whitfield", "842 partners", "Evia", "Catalonia", "Morning Wire", "Luca", "Red Cross",
             "Kayla Brooks", "Novatek", "Mike Dalton", "Ohio", "Linda Park", "Robert Hale", "Tom Jenkins")
ASKED = [("How many people had to leave their homes?", "7,000"),
         ("Who declared a state of emergency?", "Meloni"),
         ("How much aid did the government promise?", "50 million euros")]
OFF_STORY = ["How many jobs will Novatek cut?", "Why did Kayla Brooks cancel her world tour?"]


def _printed(tmp_path: Path) -> Path:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is needed to print the page to PDF: apt-get install chromium")
    pdf = tmp_path / "flood.pdf"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", f"--print-to-pdf={pdf}", PAGE.as_uri()],
                   check=True, capture_output=True, timeout=120)
    return pdf


@pytest.fixture(params=["html file", "page URL", "RSS feed", "printed PDF"])
def story_settings(request, tmp_path, site):
    folder = tmp_path / "articles"
    folder.mkdir()
    if request.param == "html file":
        shutil.copy(PAGE, folder / "flood.html")
        return Settings.resolve(articles=folder, cache_dir=tmp_path / "cache")
    if request.param == "printed PDF":
        shutil.copy(_printed(tmp_path), folder / "flood.pdf")
        return Settings.resolve(articles=folder, cache_dir=tmp_path / "cache")
    site.add("/world/italy-floods", PAGE.read_bytes())
    link = f"{site.base}/world/italy-floods"
    if request.param == "RSS feed":
        site.add("/rss", (f'<?xml version="1.0"?><rss version="2.0"><channel><title>World</title><item>'
                          f"<title>Floods</title><link>{link}</link></item></channel></rss>").encode(),
                 "application/rss+xml")
        link = f"{site.base}/rss"
    return mirror(Settings.resolve(articles=link, cache_dir=tmp_path / "cache"))


@pytest.mark.model
def test_the_story_answers_and_the_furniture_never_does(story_settings, embedder):
    engine = Engine(story_settings, embedder=embedder)
    [info] = engine.articles
    assert info.title == "Flooding forces thousands from homes in northern Italy"
    text = engine.article(info.name).text
    for words in FURNITURE:
        assert words not in text, words
    for question, expected in ASKED:
        answer = engine.ask(question)
        assert answer.answered and expected in answer.text, (question, answer.text)
    for question in OFF_STORY:  # only the furniture says: refused, and nothing of the furniture is quoted
        answer = engine.ask(question)
        assert not answer.answered, (question, answer.text)
        assert not any(words in c.text for c in answer.citations for words in FURNITURE), question
