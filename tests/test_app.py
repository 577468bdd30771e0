"""The Gradio chat (app.py and ui/): formatting, page events, the /ask API, share fallback, a real browser.

Fast tests format hand-made answers. The rest share one engine over the seed
article (indexed once into a temporary cache) and one app launched in this
process on a free port; the share-link and start-up tests run ``app.py`` as a
subprocess. The browser test drives Debian's Chromium through Playwright and
is skipped, saying how to enable it, where Chromium is missing.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import gradio as gr
import pytest

import app
import ui
from qa import DEFAULT_ARTICLES, Answer, ArticleInfo, Citation, Engine, load
from qa.folders import upload_folder
from ui import render
from ui.page import CONCURRENCY, QUEUE_SIZE, api_history, saved_answers

# Gradio's queue calls pandas in a way pandas 3 warns about; not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

PROJECT = Path(__file__).resolve().parent.parent
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


# ------------------------------------------------------------------ formatting: no model needed

def plain(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", html_text))


def test_answer_html_links_markers_to_their_sources_and_escapes_article_text():
    answer = Answer('He said <script>alert(1)</script> **bold** $5 and [x](http://y) [1] Then _this_. [2]',
                    True, [citation(n=1), citation(n=2, title="Other")], "Q?")
    out = render.answer_html(answer, 3)
    assert "<script" not in out and "<b>" not in out
    assert "&#42;&#42;bold&#42;&#42;" in out and "&#36;5" in out  # no Markdown, no LaTeX
    # [n] links to card n of this answer; hovering it shows the cited sentence with its article and section
    link = re.search(r'<a class="qa-cite" href="#qa-source-3-2" title="([^"]*)">&#91;2&#93;</a>', out)
    assert link, out
    hover = html.unescape(link.group(1))
    assert hover == "[2] Other \u203a Goals: The cited <b>sentence</b> is this one."
    assert "qa-turn-3" in out and "qa-refusal" not in out
    # its sources are also folded under the answer (what a phone shows), and a copy of the text to copy
    assert '<details class="qa-inline"><summary>Sources (2)</summary>' in out and "qa-inline-2" in out
    copied = re.findall(r'<span class="qa-copy-line">(.*?)</span>', out, re.S)
    assert "qa-copy" in out and "\n".join(map(html.unescape, copied)) == render.copy_text(answer)


def test_answer_html_says_what_was_searched_when_the_question_was_cleaned_up():
    typed = Answer("Rubio and Witkoff attended. [1]", True, [citation()], "who atended the tlaks",
                   searched="who attended the talks")
    assert typed.searched_differs
    assert "Searched for: who attended the talks" in plain(render.answer_html(typed, 0))
    assert render.copy_text(typed).startswith("Searched for: who attended the talks\n")
    same = Answer("x [1]", True, [citation()], "Who attended?", searched="Who attended?")
    assert "Searched for" not in render.answer_html(same, 0)


def test_refusal_looks_different():
    refusal = Answer("The articles don't say: they never mention \"Peru\".", False, [citation()], "Capital of Peru?")
    out = render.answer_html(refusal, 0)
    assert 'class="qa-answer qa-refusal qa-turn-0"' in out and "Closest passages (1)" in out
    panel = render.sources_html(refusal, 0)
    assert "No answer 1" in panel and "Closest passages" in panel and "qa-refused" in panel


def test_sources_html_marks_the_cited_sentence_and_explains_the_numbers():
    c = citation(section="", title="T <i>x</i>")
    panel = render.sources_html(Answer("The cited sentence [1]", True, [c], "Who <b>?", confidence=0.873), 4)
    assert '<mark class="qa-mark">The cited &#60;b&#62;sentence&#60;/b&#62; is this one.</mark>' in panel
    assert "First sentence here." in panel and "After it." in panel  # the passage around it
    assert "\u00a7 Lead" in panel and "paragraphs 2\u20133" in panel
    assert "T &#60;i&#62;x&#60;/i&#62;" in panel and "Who &#60;b&#62;?" in panel
    assert "<i>" not in panel and "<b>" not in panel
    # the card says what the score means (share of the answer, 0..100%), the panel how sure the answer is
    assert "100% of the answer" in plain(panel) and "score 0.81" not in panel  # the only source: all of it
    assert 'title="Share of the answer' in panel
    assert "sure (87%)" in plain(panel) and 'title="Calibrated chance' in panel
    # several sources' shares add up to 100; a low confidence beside an answer says to check, not "answerable"
    three = Answer("A [1] B [2] C [3]", True, [citation(n=1, score=0.5), citation(n=2, score=0.3),
                                               citation(n=3, score=0.1)], "Who?", confidence=0.23)
    shared = plain(render.sources_html(three, 0))
    assert [int(x) for x in re.findall(r"(\d+)% of the answer", shared)] == [56, 33, 11]
    assert "unsure, check the sources (23%)" in shared and "answerable" not in shared
    refused = plain(render.sources_html(Answer("The articles don't say.", False, [citation()], "Q?", confidence=0.02)))
    assert "answerable: 2%" in refused and "of the answer" not in refused  # closest passages carry no share
    # the panel says whose sources it shows; each card can be followed and opens its article
    assert "qa-for-4" in panel and "Sources of answer 5" in panel
    assert 'id="qa-source-4-1"' in panel and 'href="#qa-open-4-1"' in panel


def test_sources_html_finds_the_sentence_when_the_offset_is_off():
    c = citation()
    moved = Citation(**{**c.__dict__, "sentence_start": 0})
    assert "<mark" in render.sources_html(Answer("x [1]", True, [moved], "q"))
    gone = Citation(**{**c.__dict__, "sentence": "Not in the passage."})
    assert "<mark" not in render.sources_html(Answer("x [1]", True, [gone], "q"))  # passage still shown
    assert "First sentence here." in render.sources_html(Answer("x [1]", True, [gone], "q"))


def test_a_long_pasted_question_is_shortened_in_the_panel_heading():
    question = "Please answer this for my report, I have been reading all week about it and " * 12 + "who came?"
    panel = render.sources_html(Answer("x [1]", True, [citation()], question), 0)
    heading = plain(re.search(r'<div class="qa-panel-title">(.*?)</div>', panel).group(1))
    assert len(heading) < render.HEADING_CHARS + 60 and "\u2026" in heading and question not in panel


def test_a_removed_article_is_said_so_on_the_cards_of_a_restored_answer():
    answer = Answer("x [1]", True, [citation(article="gone.md")], "q")
    panel = render.sources_html(answer, 0, missing={"gone.md"})
    assert "has been removed" in panel and "qa-open" not in panel
    assert "has been removed" in render.answer_html(answer, 0, missing={"gone.md"})
    assert "has been removed" not in render.sources_html(answer, 0)


def test_answers_survive_the_round_trip_through_the_browser():
    answer = Answer("x [1]", True, [citation()], "q", confidence=0.5, searched="Q")
    assert saved_answers([answer.to_dict(), {"garbage": 1}, "x"]) == [answer]
    assert saved_answers(None) == [] and saved_answers({"not": "a list"}) == []


def test_export_is_markdown_with_every_answer_and_its_sources():
    first = Answer("Rubio and Witkoff attended. [1]", True, [citation(sentence="The cited <b>sentence</b> is this one.")],
                   "Who attended?", searched="Who attended?")
    refusal = Answer("The articles don't say.", False, [citation(n=1, title="B")], "Capital of Peru?")
    md = render.conversation_markdown([first, refusal])
    assert md.startswith("# Article QA conversation\n")
    assert "## 1. Who attended?\n\nRubio and Witkoff attended. [1]\n" in md
    assert "1. **A title** \u203a Goals (a.md, paragraphs 2\u20133; 100% of the answer)" in md
    assert "   > The cited <b>sentence</b> is this one." in md
    assert "## 2. Capital of Peru?\n\n> The articles don't say." in md and "Closest passages" in md


def test_reader_shows_the_whole_article_with_the_passage_and_sentence_marked():
    from qa.articles import parse_article

    data = ("Harbor report\n\nThe mayor spoke first. Then the band played.\n\nTickets\n\n"
            "Tickets cost <b>$5</b>. Children go free.\n")
    article = parse_article("h.txt", data.encode())
    passage = "Tickets cost <b>$5</b>. Children go free."
    c = Citation(n=2, article="h.txt", section="Tickets", text=passage, sentence="Children go free.", score=0.5,
                 title="Harbor report", start=article.text.find(passage), sentence_start=passage.find("Children"))
    out = render.reader_html(article, c)
    assert "The mayor spoke first." in out and "<h3>Tickets</h3>" in out  # the whole article, sections
    assert '<mark class="qa-mark">Children go free.</mark>' in out and "<b>$5" not in out
    assert 'qa-passage-here">Tickets cost &#60;b&#62;' in out and "qa-reader-close" in out
    moved = Citation(**{**c.__dict__, "start": 0})  # the file changed since: found again by its text
    assert '<mark class="qa-mark">Children go free.</mark>' in render.reader_html(article, moved)


def test_the_empty_files_gradio_leaves_per_upload_are_swept(tmp_path):
    from ui.page import _discard_upload

    folder = Path(gr.utils.get_upload_folder())
    folder.mkdir(parents=True, exist_ok=True)
    old, fresh, full = folder / "tmpold123", folder / "tmpfresh12", folder / "tmpfull123"
    for path in (old, fresh, full):
        path.write_bytes(b"" if path is not full else b"still arriving")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    os.utime(full, (time.time() - 3600, time.time() - 3600))
    copy = folder / "abc123hash" / "notes.md"
    copy.parent.mkdir(exist_ok=True)
    copy.write_text("An upload as received.")
    _discard_upload(copy)
    assert not copy.exists() and not copy.parent.exists()  # the upload's copy and its folder
    assert not old.exists() and fresh.exists() and full.exists()  # only empty ones a minute old
    for path in (fresh, full):
        path.unlink()


def test_api_history_turns_messages_into_pairs_and_leaves_checking_to_the_engine():
    assert api_history([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]) == [("q", "a")]
    pairs = [["q", "a"], ("q2", None)]
    assert api_history(pairs) is pairs and api_history(None) is None  # Engine.check_history's job


def test_articles_html_lists_title_sections_passages_escaped():
    out = render.articles_html([
        ArticleInfo("a.txt", "Paris talks", ("", "Goals", "(end matter)"), 12),
        ArticleInfo("b.md", "<script>x</script>", ("Intro",), 3, uploaded=True),
    ])
    assert "Article (2)" in out and "Passages (15)" in out
    assert "Lead \u00b7 Goals \u00b7 End matter" in out and "uploaded" in out
    assert "<script>" not in out and "&#60;script&#62;" in out


def test_status_and_messages_read_as_sentences():
    one = render.status_html(True, None, "", [ArticleInfo("a.txt", "A", ("",), 1)], "m")
    assert "1 article, 1 passage " in plain(one) and "passages" not in plain(one)
    many = render.status_html(True, None, "", [ArticleInfo("a.txt", "A", ("",), 1200)] * 2, "m")
    assert "2 articles, 2,400 passages" in plain(many)
    assert render.plural(1, "passage") == "1 passage" and render.plural(0, "section") == "0 sections"
    assert render.sentence_case("the question is 1,239 characters long; the limit is 1,000") == \
        "The question is 1,239 characters long; the limit is 1,000."


def test_refresh_reads_the_loading_state_once():
    """Loading may end between two reads: the pill and the timer must come from one reading."""

    class Flipping(app.EngineHandle):
        reads = 0

        @property
        def ready(self):  # says "ready" from the second read on: a page reading it twice would mix moments
            self.reads += 1
            return self.reads > 1

    handle = Flipping(lambda progress: None)  # never started: still loading
    status, articles, _, timer = ui.Page(handle).refresh()
    assert "qa-loading" in status and articles == "" and timer.active is not False


def test_respond_says_still_loading_then_answers():
    """A question asked while the engine loads gets a note at once, then the answer; nothing blocks."""
    release = threading.Event()
    answer = Answer("France hosted talks. [1]", True, [citation()], "Who hosted?")
    earlier = Answer("Yes. [1]", True, [citation()], "Earlier?")

    class FakeEngine:
        articles: list = []

        def recent_history(self, history):
            return history

        def ask(self, question, history=None, k=None, only=None):
            self.seen = (question, history)
            return answer

    fake = FakeEngine()

    embedding = threading.Event()

    def loader(progress):
        progress("embedding", 3, 9)
        embedding.set()
        release.wait(10)
        return fake

    handle = app.EngineHandle(loader).start()
    assert embedding.wait(10) and not handle.ready
    assert "Embedding passages 3/9" in plain(ui.Page(handle).refresh()[0])
    page = ui.Page(handle)
    gen = page.respond("  Who   hosted? ", [earlier.to_dict()])
    chat, sources, box, saved = next(gen)
    assert "One moment: embedding passages 3/9" in plain(chat[-1]["content"]) and box == ""
    release.set()
    chat, sources, box, saved = last(gen)
    assert fake.seen == ("Who hosted?", [earlier])  # the earlier answer itself: what it cited goes with it
    assert "France hosted talks." in chat[-1]["content"] and "<mark" in sources
    assert saved_answers(saved) == [earlier, answer] and len(chat) == 4  # kept in the browser


# ------------------------------------------------------------------ the engine and the launched app

@pytest.fixture(scope="session")
def app_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app-cache")


@pytest.fixture(scope="session")
def seed_engine(app_cache):
    return load(DEFAULT_ARTICLES, cache_dir=app_cache, threads=1)


@pytest.fixture(scope="session")
def served(seed_engine):
    """The app over the seed article, launched in this process on a free port: its URL and demo."""
    demo = ui.build_demo(seed_engine)
    url, public = app.launch(demo, "127.0.0.1", free_port(), share=False, block=False)
    assert public is None
    yield url, demo
    demo.close()


@pytest.fixture(scope="session")
def client(served):
    from gradio_client import Client

    return Client(served[0], verbose=False)


@pytest.mark.model
def test_page_answers_and_follow_ups_use_the_conversation(seed_engine):
    page = ui.Page(app.EngineHandle(seed_engine))
    chat, sources, box, saved = last(page.respond("Who did Rubio speak with by phone?", []))
    first = saved_answers(saved)[-1]
    assert "Lavrov" in first.text and "Lavrov" in chat[-1]["content"] and box == ""
    follow, later, _, saved = last(page.respond("What did he write?", saved))
    expected = seed_engine.ask("What did he write?", history=[first])  # the answer itself: its articles too
    assert saved_answers(saved)[-1] == expected and "Rubio wrote" in expected.text
    assert len(follow) == 4 and follow[2]["role"] == "user" and "qa-turn-1" in follow[3]["content"]
    # clicking an answer brings its own sources back; clicking a question changes nothing
    assert "qa-for-0" in sources and "qa-for-1" in later
    assert page.show_sources(saved, None, gr.SelectData(None, {"index": 1, "value": ""})) == sources
    assert page.show_sources(saved, None, gr.SelectData(None, {"index": 3, "value": ""})) == later
    assert page.show_sources(saved, None, gr.SelectData(None, {"index": 2, "value": ""})) not in (sources, later)
    # a reload draws the same conversation from what the browser kept
    *_, restored, panel = page.start(None, saved)
    assert restored == follow and panel == later


@pytest.mark.model
def test_open_article_shows_the_whole_article_at_the_cited_sentence(seed_engine):
    page = ui.Page(app.EngineHandle(seed_engine))
    _, _, _, saved = last(page.respond("Where will the talks continue?", []))
    c = saved_answers(saved)[0].citations[0]
    reader = page.open_article(saved, None, gr.EventData(None, {"turn": 0, "n": c.n}))
    assert f'<mark class="qa-mark">{render.esc(c.sentence)}</mark>' in reader
    assert len(plain(reader)) > len(c.text) * 3  # the whole article, not the passage
    assert page.open_article(saved, None, gr.EventData(None, {"turn": 5, "n": 1})) is not None  # no crash


@pytest.mark.model
def test_page_refuses_visibly_and_reports_bad_questions(seed_engine):
    page = ui.Page(app.EngineHandle(seed_engine))
    chat, sources, _, saved = last(page.respond("What is the capital of Peru?", []))
    assert "qa-refusal" in chat[-1]["content"] and "The articles don&#39;t say" in chat[-1]["content"]
    assert "Closest passages" in sources
    # too long: the chat unchanged, text kept; the warning reads as a sentence
    with pytest.warns(UserWarning, match=r"^The question is 5,000 characters long; the limit is 1,000\.$"):
        chat2, _, box, _ = last(page.respond("x" * 5000, saved))
    assert chat2 == chat and box == "x" * 5000
    with pytest.warns(UserWarning, match="Type a question"):
        assert last(page.respond("  ", saved))[0] == chat
    assert page.clear() == ([], render.sources_html(None), "", [])  # the copy in the browser too


@pytest.mark.model
def test_api_returns_the_same_json_as_answer_to_dict(client, seed_engine):
    got = client.predict("Who attended the talks?", api_name="/ask")
    assert got == seed_engine.ask("Who attended the talks?").to_dict()
    assert got["answered"] and "[1]" in got["text"]
    assert sum(name in got["text"] for name in PARTICIPANTS) >= 4
    history = [["Who did Rubio speak with by phone?", seed_engine.ask("Who did Rubio speak with by phone?").text]]
    follow = client.predict("What did he write?", history, api_name="/ask")
    assert follow == seed_engine.ask("What did he write?", history=[tuple(history[0])]).to_dict()


@pytest.mark.model
def test_api_errors_are_clear_and_only_ask_is_public(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="the question is empty"):
        client.predict("   ", api_name="/ask")
    info = client.view_api(print_info=False, return_format="dict")
    assert list(info["named_endpoints"]) == ["/ask"]
    assert not info["unnamed_endpoints"]


def _raw_ask(url: str, data: list) -> str:
    """A raw REST call to /ask, as curl would make it (no gradio_client filling in defaults): the event stream."""
    import httpx

    with httpx.Client(base_url=url, timeout=60, trust_env=False) as http:
        event = http.post("gradio_api/call/ask", json={"data": data}).json()["event_id"]
        return http.get(f"gradio_api/call/ask/{event}").text


@pytest.mark.model
def test_raw_api_calls_without_history_work_and_history_is_bounded(served):
    url = served[0]
    out = _raw_ask(url, ["Where will the talks continue next week?"])
    assert "event: complete" in out and "London" in out
    out = _raw_ask(url, ["What did he write?", [["q" * 500, "a" * 500]] * 10_000])  # ~10 MB of history
    assert "event: error" in out and "10000 turns; the limit is 20: pass only the latest turns" in out
    out = _raw_ask(url, ["What did he write?", "not a list"])
    assert "event: error" in out and "history must be a list of turns: (question, answer_text) pairs" in out


@pytest.mark.model
def test_chat_sends_only_the_latest_turns_that_fit(seed_engine):
    page = ui.Page(app.EngineHandle(seed_engine))
    old = [Answer("An earlier answer. " * 50, True, [], f"Earlier question {i}?").to_dict() for i in range(40)]
    saved = old + [seed_engine.ask("Who is Andrii Yermak?").to_dict()]
    follow, _, box, _ = last(page.respond("What did he write?", saved))
    text = plain(follow[-1]["content"])
    assert "substantive conversation" in text or "continue our work" in text, text
    assert box == ""


@pytest.mark.model
def test_twenty_concurrent_api_questions_all_come_back_right(client, seed_engine, served):
    demo = served[1]
    assert demo._queue.max_size == QUEUE_SIZE >= 20  # the queue is configured, not left to chance
    assert demo._queue.default_concurrency_limit == CONCURRENCY
    questions = list(ui.SEED_EXAMPLES) * 4
    expected = {q: seed_engine.ask(q).to_dict() for q in set(questions)}
    began = time.perf_counter()
    jobs = [client.submit(q, api_name="/ask") for q in questions]
    results = [job.result(timeout=60) for job in jobs]
    elapsed = time.perf_counter() - began
    assert [r["question"] for r in results] == questions
    assert all(r == expected[q] for q, r in zip(questions, results))
    print(f"\n20 concurrent /ask calls: {elapsed:.2f} s in all")
    assert elapsed < 30


# ------------------------------------------------------------------ uploads (their own corpus, so the rest is unchanged)

BROWSER_A = "browser-a-0123456789abcdef"
BROWSER_B = "browser-b-0123456789abcdef"


@pytest.fixture(scope="module")
def upload_page(tmp_path_factory, app_cache):
    folder = tmp_path_factory.mktemp("upload-articles")
    shutil.copy(next(DEFAULT_ARTICLES.glob("*.txt")), folder)
    engine = load(folder, cache_dir=app_cache, threads=1)
    return ui.Page(app.EngineHandle(engine)), engine


def _upload(page, tmp_path, name, data, browser=BROWSER_A):
    path = tmp_path / name
    path.write_bytes(data)
    seen = []
    out = page.add_files([str(path)], browser, progress=lambda *a, **k: seen.append(k.get("desc")))
    assert not path.exists(), "Gradio's temporary copy is deleted once read"
    return out, seen


@pytest.mark.model
def test_upload_is_private_searchable_at_once_escaped_and_persisted(upload_page, tmp_path):
    page, engine = upload_page
    (message, articles, status, box, browser, choices), seen = _upload(page, tmp_path, "harbor.md", HOSTILE.encode())
    assert "Added" in message and "only this browser" in message and "qa-ok" in message and box is None
    assert browser == BROWSER_A
    assert "harbor.md" in articles and "Article (2)" in articles and "uploaded" in articles
    assert "harbor.md" in choices.constructor_args["choices"]  # offered in "Search in"
    assert 'href="#qa-remove:harbor.md"' in articles and "paris-talks-ukraine.txt\"" not in articles.split("qa-remove")[0][-60:]
    assert any("harbor.md" in (d or "") for d in seen), "a progress line names the upload"
    assert (upload_folder(engine.settings, BROWSER_A) / "harbor.md").is_file()

    question = "How many visitors did the harbor festival draw?"
    chat, sources, _, _ = last(page.respond(question, [], BROWSER_A))
    bubble = chat[-1]["content"]
    assert "twelve thousand" in bubble and "&#91;1&#93;" in bubble
    assert "<script" not in bubble and "<script" not in sources and "&#60;script&#62;" in bubble
    # markup stays text: the short answer's span is highlighted between the escaped asterisks
    assert '&#42;&#42;<b class="qa-span">twelve thousand</b>&#42;&#42;' in sources and "harbor.md" in sources

    # another browser, the API and the base engine see none of it: not its text, not its words
    for other in (page.engine(BROWSER_B), page.engine(None)):
        assert "harbor.md" not in [a.name for a in other.articles]
        answer = other.ask(question)
        assert "twelve thousand" not in answer.text
        assert all(c.article != "harbor.md" for c in answer.citations)
    assert "harbor.md" not in page.refresh(BROWSER_B)[1]
    assert "harbor.md" not in str(page.api_ask(question))

    # persisted for that browser: a restarted app (a fresh page and engine over the same cache) finds it
    restarted = ui.Page(app.EngineHandle(Engine(engine.settings)))
    assert "harbor.md" in restarted.start(BROWSER_A)[2]
    assert "harbor.md" not in restarted.start(BROWSER_B)[2]


@pytest.mark.model
def test_same_name_replaces_only_your_own_file(upload_page, tmp_path):
    page, engine = upload_page
    first = b"Ferry news\n\nThe new ferry to Skalholt starts in May.\n"
    second = b"Ferry news\n\nThe new ferry to Skalholt starts in June.\n"
    (message, *_), _ = _upload(page, tmp_path, "ferry.txt", first, BROWSER_A)
    assert message.count("Added") == 1
    (message, *_), _ = _upload(page, tmp_path, "ferry.txt", second, BROWSER_B)
    assert "Added" in message  # B's own ferry.txt: A's is untouched
    (message, *_), _ = _upload(page, tmp_path, "ferry.txt", second, BROWSER_A)
    assert "Replaced your" in message
    assert (upload_folder(engine.settings, BROWSER_A) / "ferry.txt").read_bytes() == second
    assert "June" in page.engine(BROWSER_A).ask("When does the ferry to Skalholt start?").text


@pytest.mark.model
def test_restrict_remove_and_replace_uploads(upload_page, tmp_path):
    """Only your own uploads can be removed; a question can be restricted; a removed article's answers say so."""
    page, engine = upload_page
    browser = "browser-c-0123456789abcdef"
    data = b"Bakery news\n\nThe Skalholt bakery sold nine hundred loaves on Sunday, the owner said.\n"
    (message, articles, *_), _ = _upload(page, tmp_path, "bakery.txt", data, browser)
    assert "Added" in message and 'href="#qa-remove:bakery.txt"' in articles
    assert "qa-remove:paris" not in articles  # folder articles cannot be removed
    question = "How many loaves did the Skalholt bakery sell?"
    _, _, _, saved = last(page.respond(question, [], browser))
    assert saved_answers(saved)[0].citations[0].article == "bakery.txt"
    # restricted to the folder's article: nothing of the bakery
    _, _, _, other = last(page.respond(question, [], browser, ["paris-talks-ukraine.txt"]))
    assert {c.article for c in saved_answers(other)[0].citations} == {"paris-talks-ukraine.txt"}
    api = page.api_ask(question, None, ["paris-talks-ukraine.txt"])  # the API takes the same filter
    assert {c["article"] for c in api["citations"]} == {"paris-talks-ukraine.txt"}
    with pytest.raises(gr.Error, match="no article is called nosuch.txt"):
        page.api_ask(question, None, ["nosuch.txt"])
    # another browser cannot remove it, nor can anyone remove a folder article
    for who, name in (("browser-d-0123456789abcdef", "bakery.txt"), (browser, "paris-talks-ukraine.txt")):
        message, *_ = page.remove_article(saved, who, gr.EventData(None, {"remove": name}))
        assert "Not removed" in message and "not one of your uploads" in message
    assert (upload_folder(engine.settings, browser) / "bakery.txt").is_file()
    # its owner can: gone from the table, the choices and the disk; the kept answer says so on its cards
    message, status, articles, choices, chat, panel = page.remove_article(
        saved, browser, gr.EventData(None, {"remove": "bakery.txt"}))
    assert "Removed bakery.txt" in message and "bakery.txt" not in articles
    assert "bakery.txt" not in choices.constructor_args["choices"]
    assert not (upload_folder(engine.settings, browser) / "bakery.txt").exists()
    assert "has been removed" in panel and "has been removed" in chat[-1]["content"]
    assert "nine hundred" not in page.engine(browser).ask(question).text
    # a restriction naming the removed article is dropped, not an error
    chat, _, _, _ = last(page.respond(question, saved, browser, ["bakery.txt"]))
    assert len(chat) == 4


@pytest.mark.model
def test_a_question_asked_while_an_upload_is_indexed_waits_for_it(seed_engine):
    """Not "The articles don't say" from the articles without it: a note, then the answer once it is in."""
    from qa import Upload

    upload = Upload(BROWSER_A, "notes.md", b"")
    upload.progress("embedding", 3, 9)

    class Queue:  # stands in for the upload queue: one upload of this browser is still being indexed
        base, shared = seed_engine, False

        def pending(self, browser):
            return [upload] if browser == BROWSER_A and not upload.finished.is_set() else []

        def engine(self, browser):
            return seed_engine

        def answered(self, engine, answer):
            pass

    page = ui.Page(app.EngineHandle(seed_engine))
    page._browsers = Queue()
    steps = page.respond("Where will the talks continue?", None, BROWSER_A)
    chat = next(steps)[0]
    assert "your upload notes.md: embedding passages 3/9" in plain(chat[-1]["content"])
    upload.finished.set()
    chat = next(steps)[0]
    assert "London" in plain(chat[-1]["content"])
    other = last(page.respond("Where will the talks continue?", None, BROWSER_B))[0]  # another browser: no wait
    assert "London" in plain(other[-1]["content"])


@pytest.mark.model
def test_add_from_a_link_fetches_the_page_and_answers_from_it_with_its_url(upload_page, site):
    page, _ = upload_page
    story = (PROJECT / "tests" / "data" / "web" / "talks.html").read_bytes().replace(
        b"London next week", b"Geneva next week")  # another article than the folder's, same furniture
    site.add("/world/geneva", story)
    seen = []
    message, articles, _, box, browser, _ = page.add_link(f"{site.base}/world/geneva", BROWSER_B,
                                                          progress=lambda *a, **k: seen.append(k.get("desc")))
    assert "Added" in message and box == "" and browser == BROWSER_B, message
    assert "Talks on Ukraine to continue in London" in articles
    answer = page.engine(BROWSER_B).ask("Where will the talks continue next week?")
    assert answer.answered and "Geneva" in answer.text
    assert answer.citations[0].url == f"{site.base}/world/geneva"
    assert f'href="{site.base}/world/geneva"' in render.sources_html(answer, 0)
    message, _, _, box, _, _ = page.add_link(f"{site.base}/missing", BROWSER_B, progress=lambda *a, **k: None)
    assert "Not added" in message and "404" in message and box == f"{site.base}/missing"  # kept, to fix


@pytest.mark.model
@pytest.mark.parametrize("name, data, why", [
    ("empty.txt", b"  \n", "empty"),
    ("binary.txt", bytes(range(256)) * 40, "binary"),
    ("notes.pdf", b"%PDF-1.4 some text", "damaged PDF"),
    ("photo.png", b"\x89PNG\r\n\x1a\n", "only .txt"),
    ("huge.txt", None, "limited to"),
    ("headers.md", b"# Report\n\n## Section one\n\n## Section two\n", "no sentences, only headings"),
    ("paris-talks-ukraine.txt", b"Paris\n\nA different article with the folder article's name.\n",
     "already the name of one of the articles in the folder"),
])
def test_bad_upload_says_why_and_changes_nothing(upload_page, tmp_path, name, data, why):
    page, engine = upload_page
    before = list(page.engine(BROWSER_A).articles)
    listed = render.articles_html(before, page.browsers().own(BROWSER_A))
    path = tmp_path / name
    if data is None:
        with open(path, "wb") as fh:  # one byte over the limit, written sparsely
            fh.truncate(engine.settings.max_article_bytes + 1)
    else:
        path.write_bytes(data)
    message, articles, status, box, _, _ = page.add_files([str(path)], BROWSER_A, progress=lambda *a, **k: None)
    assert "Not added" in message and why in message and "qa-bad" in message, message
    assert articles == listed and list(page.engine(BROWSER_A).articles) == before
    assert not (upload_folder(engine.settings, BROWSER_A) / name).exists()
    assert not path.exists()


@pytest.mark.model
def test_utf16_upload_with_bom_is_accepted(upload_page, tmp_path):
    page, _ = upload_page
    text = "Bridge report\n\nThe city will open the Nørrebro bridge on 3 March, the mayor said.\n"
    (message, *_), _ = _upload(page, tmp_path, "bridge.txt", text.encode("utf-16"), BROWSER_B)
    assert "Added" in message, message
    answer = page.engine(BROWSER_B).ask("When will the Nørrebro bridge open?")
    assert "3 March" in answer.text and answer.citations[0].article == "bridge.txt"


# ------------------------------------------------------------------ app.py as a program

def _env(app_cache: Path) -> dict:
    env = dict(os.environ, QA_CACHE_DIR=str(app_cache), QA_THREADS="1", HF_HUB_OFFLINE="1",
               PYTHONUNBUFFERED="1")
    # The share tunnel must be unreachable even on a machine with internet.
    env.update(HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", ALL_PROXY="http://127.0.0.1:9",
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return env


def test_bad_articles_is_one_error_line_and_exit_1(app_cache):
    run = subprocess.run([sys.executable, "app.py", "--articles", "/no/such/folder"], cwd=PROJECT,
                         env=_env(app_cache), capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == ["Error: no such file or folder: /no/such/folder"]
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.model
def test_share_without_tunnel_says_so_in_one_line_and_serves_locally(app_cache, seed_engine):
    from gradio_client import Client

    port = free_port()
    proc = subprocess.Popen([sys.executable, "app.py", "--share", "--port", str(port)], cwd=PROJECT,
                            env=_env(app_cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any(line.startswith("Share link") for line in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
        assert f"Article QA is running at http://127.0.0.1:{port}/  (Ctrl-C to stop)" in lines, lines
        assert [line for line in lines if "share" in line.lower()] == [app.SHARE_FAILED]
        got = Client(f"http://127.0.0.1:{port}/", verbose=False).predict("Where will the talks continue?",
                                                                           api_name="/ask")
        assert "London" in got["text"] and got["answered"]
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err
    assert "Warning" not in err, err  # e.g. pydantic's UnsupportedFieldAttributeWarning at start
    assert re.search(r"Ready: 1 article\(s\), \d+ passages", err), err


@pytest.mark.model
def test_mcp_tool_lists_and_answers_through_a_real_client_session(app_cache, seed_engine):
    """app.py --mcp: an MCP client (the ``mcp`` package's own) lists the ask tool with its schemas and gets a
    cited answer as structured content that matches the schema, and as JSON text."""
    import asyncio

    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    port = free_port()
    proc = subprocess.Popen([sys.executable, "app.py", "--mcp", "--port", str(port)], cwd=PROJECT,
                            env=_env(app_cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/{app.MCP_PATH}"

    async def session_calls():
        async with streamable_http_client(url) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = (await session.list_tools()).tools
                result = await session.call_tool("ask", {"question": "Where will the talks continue?"})
                full = await session.call_tool("ask", {"question": "Where will the talks continue?",
                                                       "passages": True})
                restricted = await session.call_tool("ask", {"question": "Where will the talks continue?",
                                                             "only": ["nosuch.txt"]})
                return tools, result, full, restricted

    try:
        lines = []
        while not any(line.startswith("MCP tool") for line in lines):
            line = proc.stdout.readline()
            assert line, f"app.py ended: {proc.stderr.read()}"
            lines.append(line.rstrip("\n"))
        assert f'MCP tool "ask" at {url}  (streamable HTTP)' in lines, lines
        tools, result, full, restricted = asyncio.run(asyncio.wait_for(session_calls(), 120))
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    ask_tool = next(t for t in tools if t.name == "ask")
    assert [t.name for t in tools] == ["ask"]  # the page's own events are not tools
    assert "question" in ask_tool.inputSchema["properties"] and "citations" in ask_tool.description
    assert ask_tool.description.rstrip().endswith(".") and "history" in ask_tool.description
    assert set(ask_tool.outputSchema["required"]) >= {"text", "short", "answered", "confidence", "citations"}
    assert not result.isError
    expected = seed_engine.ask("Where will the talks continue?")
    assert result.structuredContent == expected.compact()
    assert json.loads(result.content[0].text) == result.structuredContent  # clients that read text get JSON
    answer = result.structuredContent
    assert answer["short"]["text"] == "London" and answer["answered"] is True
    assert "London" in answer["text"] and answer["citations"][0]["article"] == "paris-talks-ukraine.txt"
    assert answer["citations"][0]["sentence"] in expected.citations[0].text
    assert all("passage" not in c for c in answer["citations"])  # compact: the sentence, not the passage
    assert len(result.content[0].text) < 1500, len(result.content[0].text)
    assert full.structuredContent["citations"][0]["passage"] == expected.citations[0].text
    assert restricted.isError and "no article is called nosuch.txt" in restricted.content[0].text
    assert "Traceback" not in err, err


# ------------------------------------------------------------------ a real browser

def _chromium():
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


def _layout_ok(page, size):
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


def _settled(page, selector, n=0):
    """Wait until the ``n``-th element ``selector`` finds stops moving (the chat's smooth scroll has ended):
    polled, not slept on."""
    page.evaluate("window.qaSettle = null")
    page.wait_for_function(SETTLED_JS, arg=[selector, n], timeout=10_000)


def _ask(page, question, n):
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    answer = page.locator("#qa-chat .qa-answer").nth(n)
    answer.wait_for(timeout=30_000)
    return answer


@pytest.mark.model
@pytest.mark.browser
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_browser_chat_citations_layout_and_keeping_answers(served, seed_engine, size, tmp_path):
    """As a user: ask, follow a citation, hover it, open the article, copy, export, reload, clear, dark mode."""
    sync_playwright = _chromium()
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
            first = _ask(page, "Who attended the talks?", 0)
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

            second = _ask(page, "Where will the talks continue?", 1)
            if not phone:  # the panel has followed the new answer before the layout is read
                page.locator("#qa-sources .qa-for-1").wait_for(timeout=10_000)
            _settled(page, "#qa-chat .qa-answer", 1)  # the chat has scrolled to the new answer
            _layout_ok(page, size)
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
                _layout_ok(page, size)
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
            follow = _ask(page, "Who did Rubio speak with by phone?", 2)
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
    sync_playwright = _chromium()
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
    sync_playwright = _chromium()
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
