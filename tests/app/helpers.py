"""What the app's tests share: sample data, small helpers, and the browser's settings and checks."""

from __future__ import annotations

import html
import os
import re
import socket
from pathlib import Path

import pytest

from qa import Citation

PROJECT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HOSTILE = (
    "# Harbor festival report\n\n"
    "The mayor said the <script>alert('xss')</script> harbor festival drew **twelve thousand** visitors "
    "on Saturday.\n\n"
    "## Tickets\n\n"
    "Tickets cost $5 for adults, according to [the city](http://example.com) and _organisers_.\n"
)
PARTICIPANTS = ("Rubio", "Witkoff", "Kellogg", "Sybiha", "Umerov", "Lammy")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def last(gen):
    """The final value a generator event handler yields."""
    value = None
    for value in gen:  # noqa: B007 - the loop is run for its last value
        pass
    return value


def citation(**kw) -> Citation:
    text = kw.pop("text", "First sentence here. The cited <b>sentence</b> is this one. After it.")
    sentence = kw.pop("sentence", "The cited <b>sentence</b> is this one.")
    return Citation(n=kw.pop("n", 1), article=kw.pop("article", "a.md"), section=kw.pop("section", "Goals"),
                    text=text, sentence=sentence, score=kw.pop("score", 0.8123), title=kw.pop("title", "A title"),
                    paragraphs=(2, 3), start=0, sentence_start=text.find(sentence), **kw)

BROWSER_A = "browser-a-0123456789abcdef"
BROWSER_B = "browser-b-0123456789abcdef"


def plain(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", html_text))


def upload_file(page, tmp_path, name, data, browser=BROWSER_A):
    path = tmp_path / name
    path.write_bytes(data)
    seen = []
    out = page.add_files([str(path)], page.token(browser), progress=lambda *a, **k: seen.append(k.get("desc")))
    assert not path.exists(), "Gradio's temporary copy is deleted once read"
    return out, seen


def app_env(app_cache: Path) -> dict:
    env = dict(os.environ, QA_CACHE_DIR=str(app_cache), QA_THREADS="1", HF_HUB_OFFLINE="1",
               PYTHONUNBUFFERED="1")
    # The share tunnel must be unreachable even on a machine with internet.
    env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", ALL_PROXY="http://127.0.0.1:9",
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return env


def chromium_or_skip():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` "
                    "to run the browser test (never `playwright install`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is missing: pip install -e '.[test]'")
    return sync_playwright


SCREENSHOTS = PROJECT / "tests" / "screenshots"  # kept after the run (git-ignored), to look at
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

# Boxes on the page a user must be able to read: nothing may stick out sideways or lie on top of another.
LAYOUT_JS = """() => {
  const label = (e) => ((e.getAttribute('aria-label') || '') + ' ' + (e.className || e.tagName)).toString().slice(0, 60);
  const box = (e) => { const r = e.getBoundingClientRect(); return {x: r.left, y: r.top, r: r.right, b: r.bottom,
                       w: r.width, h: r.height, what: label(e)}; };
  const seen = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const wide = Array.from(document.querySelectorAll('#qa-chat .message, .qa-articles, .qa-source, #qa-header *'))
    .filter(seen).map(box).filter(b => b.r > window.innerWidth + 1 || b.x < -1);
  const messages = Array.from(document.querySelectorAll('#qa-chat .message')).filter(seen).map(box);
  // the chat's label and icons; not Gradio's "Scroll down" arrow, which floats over messages only while scrolled up
  const icons = Array.from(document.querySelectorAll('#qa-chat label, #qa-chat .icon-button-wrapper, #qa-chat .icon-button'))
    .filter(e => seen(e) && e.getAttribute('aria-label') !== 'Scroll down').map(box);
  const overlaps = [];
  for (const i of icons) for (const m of messages)
    if (i.x < m.r && m.x < i.r && i.y < m.b && m.y < i.b) overlaps.push([i.what, m.what]);
  return {scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth, wide, overlaps,
          table: (() => { const t = document.querySelector('.qa-articles');
                          return t ? [t.scrollWidth, t.parentElement.clientWidth] : null; })()};
}"""


def layout_ok(page, size):
    layout = page.evaluate(LAYOUT_JS)
    assert layout["scrollWidth"] <= layout["width"], f"{size}: the page scrolls sideways: {layout}"
    assert not layout["wide"], f"{size}: boxes wider than the screen: {layout['wide']}"
    assert not layout["overlaps"], f"{size}: icons over messages: {layout['overlaps']}"
    assert layout["table"] and layout["table"][0] <= layout["table"][1] + 1, f"{size}: articles table clipped"


SETTLED_JS = """([selector, n]) => {  // true once the element's top has not moved for 20 animation frames
  const e = document.querySelectorAll(selector)[n];
  if (!e) return false;
  const top = e.getBoundingClientRect().top;
  const seen = window.qaSettle || (window.qaSettle = {top: null, frames: 0});
  seen.frames = seen.top === top ? seen.frames + 1 : 0;
  seen.top = top;
  return seen.frames >= 20;
}"""


def settled(page, selector, n=0):
    """Wait until the ``n``-th element ``selector`` finds stops moving (the chat's smooth scroll has ended):
    polled, not slept on."""
    page.evaluate("window.qaSettle = null")
    page.wait_for_function(SETTLED_JS, arg=[selector, n], timeout=10_000)


def ask_in_browser(page, question, n):
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    answer = page.locator("#qa-chat .qa-answer").nth(n)
    answer.wait_for(timeout=30_000)
    return answer
