"""A real browser (Debian's Chromium through Playwright): the chat as a user sees it, on a desktop and a phone.

Skipped, saying how to enable it, where Chromium is missing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.app.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PARTICIPANTS,
    PROJECT,
    SCREENSHOTS,
    SIZES,
    ask_in_browser,
    chromium_or_skip,
    layout_ok,
    settled,
)
from ui import render

# Gradio's queue calls pandas in a way pandas 3 warns about; not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


# ------------------------------------------------------------------ a real browser

@pytest.mark.model
@pytest.mark.browser
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_browser_chat_citations_layout_and_keeping_answers(served, seed_engine, size, tmp_path):
    """As a user: ask, follow a citation, hover it, open the article, copy, export, reload, clear, dark mode."""
    sync_playwright = chromium_or_skip()
    url = served[0]
    expected = seed_engine.ask("Who attended the talks?")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = lambda name: page.screenshot(path=str(SCREENSHOTS / f"{size}-{name}.png"))
    phone = size == "phone"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=SIZES[size], accept_downloads=True)
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url, wait_until="load")  # never "networkidle": Gradio keeps a heartbeat open
            page.locator(".qa-articles").wait_for(timeout=30_000)
            began = time.perf_counter()
            first = ask_in_browser(page, "Who attended the talks?", 0)
            first_answer = time.perf_counter() - began
            text = first.locator(".qa-text").inner_text()
            assert "[1]" in text and sum(name in text for name in PARTICIPANTS) >= 4, text
            assert "qa-refusal" not in (first.get_attribute("class") or "")
            # hovering [n] shows the cited sentence with its article and section
            c2 = expected.citations[1]
            marker = first.locator(".qa-text a.qa-cite").nth(1)
            hover = marker.get_attribute("title")
            assert c2.sentence[:60] in hover and c2.section_label in hover and "Paris Talks Ukraine" in hover
            if not phone:
                marker.hover()
                tip = page.locator(".qa-tip")
                tip.wait_for(timeout=5_000)
                assert tip.inner_text() == hover
                shot("hover")
                page.mouse.move(5, 400)
                tip.wait_for(state="detached", timeout=5_000)

            second = ask_in_browser(page, "Where will the talks continue?", 1)
            if not phone:  # the panel has followed the new answer before the layout is read
                page.locator("#qa-sources .qa-for-1").wait_for(timeout=10_000)
            settled(page, "#qa-chat .qa-answer", 1)  # the chat has scrolled to the new answer
            layout_ok(page, size)
            shot("answers")
            if not phone:
                sources = page.locator("#qa-sources")
                marks = [" ".join(m.inner_text().split()) for m in sources.locator("mark").all()]
                assert "London" in " ".join(marks)
                assert "qa-shown" in (second.get_attribute("class") or "")  # whose sources are shown
                # clicking [2] in the earlier answer: its sources come back, card 2 scrolled to and flashed
                first.locator(".qa-text a.qa-cite").nth(1).click()
                card = page.locator("#qa-source-0-2")
                card.wait_for(timeout=10_000)
                page.wait_for_function("document.querySelector('#qa-source-0-2').classList.contains('qa-flash')",
                                       timeout=10_000)
                assert "qa-shown" in (first.get_attribute("class") or "")
                assert "qa-shown" not in (second.get_attribute("class") or "")
                assert "attended" in sources.locator(".qa-panel-title").inner_text()
                box = page.locator("#qa-sources-box").bounding_box()
                cb = card.bounding_box()
                assert box["y"] - 1 <= cb["y"] and cb["y"] < box["y"] + box["height"], (box, cb)
                assert c2.sentence[:60] in " ".join(card.locator("mark").inner_text().split())
                shot("followed")
                opener = card.locator("a.qa-open")
            else:
                # a tap on [2] opens that source right under the answer, within a screen of it
                first.locator(".qa-text a.qa-cite").nth(1).click()
                card = first.locator(".qa-inline-2")
                card.wait_for(timeout=10_000)
                assert first.locator("details.qa-inline").evaluate("d => d.open")
                top_answer = first.bounding_box()["y"]
                first_card = first.locator(".qa-inline-1").bounding_box()
                assert first_card["y"] - top_answer < SIZES["phone"]["height"], (top_answer, first_card)
                page.wait_for_function("""() => {  // scrolled into view (smoothly: polled, not slept on)
                    const c = document.querySelectorAll('#qa-chat .qa-answer')[0].querySelector('.qa-inline-2');
                    const top = c.getBoundingClientRect().top;
                    return 0 <= top && top < window.innerHeight; }""", timeout=10_000)
                assert not page.locator("#qa-sources-box").is_visible()  # no far-away panel on a phone
                layout_ok(page, size)
                shot("followed")
                opener = card.locator("a.qa-open")

            # open article: the whole article, the cited sentence highlighted and in view
            opener.click()
            reader = page.locator(".qa-reader-box")
            reader.wait_for(timeout=10_000)
            mark = reader.locator("mark.qa-mark")
            assert " ".join(c2.sentence.split())[:60] in " ".join(mark.inner_text().split())
            page.wait_for_function("""() => {  // scrolled so that the marked sentence is in view
                const r = document.querySelector('.qa-reader-box').getBoundingClientRect();
                const m = document.querySelector('.qa-reader-box mark.qa-mark').getBoundingClientRect();
                return r.top <= m.top && m.top <= r.bottom; }""", timeout=10_000)
            assert len(reader.inner_text()) > 2000  # the whole article
            shot("reader")
            reader.locator(".qa-reader-close").click()
            reader.wait_for(state="detached", timeout=10_000)

            # copy: the answer with its numbered sources
            first.locator("button.qa-copy").click()
            page.wait_for_function("document.querySelector('#qa-chat .qa-copy').innerText === 'Copied'")
            copied = page.evaluate("navigator.clipboard.readText()")
            assert copied.startswith(expected.short.cited() + "\n" + expected.text)  # the short answer first
            assert "[2] Paris Talks Ukraine" in copied and c2.sentence in copied
            assert copied == render.copy_text(expected)  # every line break kept, between sources too

            # export: a Markdown file with both answers and their sources
            with page.expect_download(timeout=10_000) as download:
                page.locator("#qa-export-btn").click()
            exported = Path(download.value.path()).read_text(encoding="utf-8")
            assert not page.locator(".qa-export-text").is_visible()  # downloaded, not shown
            assert download.value.suggested_filename.endswith(".md")
            assert "## 1. Who attended the talks?" in exported and "## 2. Where will the talks continue?" in exported
            assert c2.sentence in exported

            # light/dark: a visible toggle, remembered
            page.locator("#qa-theme").click()
            assert page.evaluate("document.body.classList.contains('dark')")
            shot("dark")

            # a reload keeps the conversation (and the theme); Clear wipes the kept copy too
            page.reload(wait_until="load")
            page.locator("#qa-chat .qa-answer").nth(1).wait_for(timeout=30_000)
            assert "London" in page.locator("#qa-chat .qa-answer").nth(1).inner_text()
            page.wait_for_function("document.body.classList.contains('dark')", timeout=10_000)
            page.locator("#qa-theme").click()
            follow = ask_in_browser(page, "Who did Rubio speak with by phone?", 2)
            assert "Lavrov" in follow.inner_text()
            page.locator("#qa-clear").click()
            page.wait_for_function("document.querySelectorAll('#qa-chat .qa-answer').length === 0")
            page.reload(wait_until="load")
            page.locator(".qa-articles").wait_for(timeout=30_000)  # drawn by the start event that restores the chat
            assert page.locator("#qa-chat .qa-answer").count() == 0
            assert not errors, errors
        finally:
            browser.close()
    print(f"\nbrowser ({size}): first answer {first_answer * 1000:.0f} ms after Enter; screenshots in {SCREENSHOTS}")


@pytest.mark.model
@pytest.mark.browser
def test_browser_uploads_stay_with_their_browser(served, tmp_path):
    """Two browsers (separate storage): one uploads, only it sees the article, also after a reload; it can
    restrict a question to other articles and remove its upload."""
    sync_playwright = chromium_or_skip()
    article = tmp_path / "festival.txt"
    article.write_text("Harbor festival\n\nThe harbor festival in Skalholt drew twelve thousand visitors on "
                       "Saturday, the mayor said.\n")
    question = "How many visitors did the harbor festival draw?"

    def ask(page, n):
        box = page.locator("#qa-question textarea")
        box.fill(question)
        box.press("Enter")
        answer = page.locator("#qa-chat .qa-answer").nth(n)
        answer.wait_for(timeout=30_000)
        return answer.inner_text()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            pages = []
            for _ in range(2):
                page = browser.new_context().new_page()
                page.goto(served[0], wait_until="load")
                page.locator(".qa-articles").wait_for(timeout=30_000)
                pages.append(page)
            a, b = pages
            a.locator("#qa-upload input[type=file]").set_input_files(str(article))
            a.locator(".qa-upload-msg").wait_for(timeout=30_000)
            assert "only this browser can see it" in a.locator(".qa-upload-msg").inner_text()
            assert "twelve thousand" in ask(a, 0)
            assert "twelve thousand" not in ask(b, 0)
            assert "festival.txt" not in b.locator(".qa-articles").inner_text()
            a.reload(wait_until="load")
            a.wait_for_function("document.querySelector('.qa-articles')?.innerText.includes('festival.txt')",
                                timeout=30_000)
            a.locator("#qa-chat .qa-answer").first.wait_for(timeout=30_000)  # the kept conversation

            # restrict the question to the folder's article: the festival is not searched
            a.locator("#qa-only input").click()
            a.locator("#qa-only").get_by_text("paris-talks-ukraine.txt").last.click()
            a.keyboard.press("Escape")
            restricted = ask(a, 1)
            assert "twelve thousand" not in restricted
            assert "festival.txt" not in a.locator("#qa-chat .qa-answer").nth(1).inner_text()
            a.screenshot(path=str(SCREENSHOTS / "desktop-restricted.png"))

            # remove it from the table: gone from the list, and the answer that cited it says so
            assert b.locator("a.qa-remove").count() == 0  # B has nothing of its own to remove
            a.locator("a.qa-remove").click()
            a.locator(".qa-upload-msg", has_text="Removed festival.txt").wait_for(timeout=30_000)
            assert "festival.txt" not in a.locator(".qa-articles").inner_text()
            a.locator("#qa-chat .qa-answer").first.click()  # its sources: the card says the article is gone
            a.wait_for_function("document.querySelector('#qa-sources').innerText.includes('has been removed')",
                                timeout=10_000)
            a.screenshot(path=str(SCREENSHOTS / "desktop-removed.png"))
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.model
def test_browser_adds_a_link_and_answers_from_its_story_not_its_furniture(served, site):
    """As a user: paste a news page's link into "Add from a link", ask, and get the story with its web page."""
    sync_playwright = chromium_or_skip()
    story = (PROJECT / "tests" / "data" / "web" / "talks.html").read_bytes().replace(
        b"London next week", b"Vienna next week")
    site.add("/news/vienna", story)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.goto(served[0], wait_until="load")
            page.locator(".qa-articles").wait_for(timeout=30_000)
            page.locator("#qa-link input, #qa-link textarea").first.fill(f"{site.base}/news/vienna")
            page.locator("#qa-link-add").click()
            page.locator(".qa-upload-msg", has_text="Added").wait_for(timeout=60_000)
            assert "Talks on Ukraine to continue in London" in page.locator(".qa-articles").inner_text()
            box = page.locator("#qa-question textarea")
            box.fill("Where will the talks continue next week?")
            box.press("Enter")
            answer = page.locator("#qa-chat .qa-answer").first
            answer.wait_for(timeout=30_000)
            assert "Vienna" in answer.inner_text()
            link = page.locator("#qa-sources a.qa-url").first
            link.wait_for(timeout=10_000)
            assert link.get_attribute("href") == f"{site.base}/news/vienna"
            assert link.get_attribute("target") == "_blank"
            page.screenshot(path=str(SCREENSHOTS / "desktop-link.png"))
            # a link that is not a page says why, and stays in the box to fix
            page.locator("#qa-link input, #qa-link textarea").first.fill(f"{site.base}/nothing-here")
            page.locator("#qa-link-add").click()
            page.locator(".qa-upload-msg", has_text="Not added").wait_for(timeout=30_000)
            assert "404" in page.locator(".qa-upload-msg").inner_text()
        finally:
            browser.close()
