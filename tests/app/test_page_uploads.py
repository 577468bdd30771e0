"""Uploads and links added through the page: private, searchable at once, refused with the reason."""

from __future__ import annotations

import gradio as gr
import pytest

import app
import ui
from qa import Engine
from qa.folders import upload_folder
from tests.app.helpers import BROWSER_A, BROWSER_B, HOSTILE, PROJECT, last, plain, upload_file
from ui import render
from ui.page import saved_answers

# Gradio's queue calls pandas in a way pandas 3 warns about; not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


# ------------------------------------------------------------------ uploads (their own corpus, so the rest is unchanged)

@pytest.mark.model
def test_upload_is_private_searchable_at_once_escaped_and_persisted(upload_page, tmp_path):
    page, engine = upload_page
    (message, articles, status, box, browser, choices), seen = upload_file(page, tmp_path, "harbor.md", HOSTILE.encode())
    assert "Added" in message and "only this browser" in message and "qa-ok" in message and box is None
    assert page.owner(browser) == BROWSER_A  # the page keeps a token the server signed
    assert "harbor.md" in articles and "Article (2)" in articles and "uploaded" in articles
    assert "harbor.md" in choices.constructor_args["choices"]  # offered in "Search in"
    assert 'href="#qa-remove:harbor.md"' in articles and "paris-talks-ukraine.txt\"" not in articles.split("qa-remove")[0][-60:]
    assert any("harbor.md" in (d or "") for d in seen), "a progress line names the upload"
    assert (upload_folder(engine.settings, BROWSER_A) / "harbor.md").is_file()

    question = "How many visitors did the harbor festival draw?"
    chat, sources, _, _ = last(page.respond(question, [], page.token(BROWSER_A)))
    bubble = chat[-1]["content"]
    assert "twelve thousand" in bubble and "&#91;1&#93;" in bubble
    assert "<script" not in bubble and "<script" not in sources and "&#60;script&#62;" in bubble
    # markup stays text: the short answer's span is highlighted between the escaped asterisks
    assert '&#42;&#42;<b class="qa-span">twelve thousand</b>&#42;&#42;' in sources and "harbor.md" in sources

    # another browser, the API and the base engine see none of it: not its text, not its words
    for other in (page.engine(page.token(BROWSER_B)), page.engine(None)):
        assert "harbor.md" not in [a.name for a in other.articles]
        answer = other.ask(question)
        assert "twelve thousand" not in answer.text
        assert all(c.article != "harbor.md" for c in answer.citations)
    assert "harbor.md" not in page.refresh(page.token(BROWSER_B))[1]
    assert "harbor.md" not in str(page.api_ask(question))

    # the bare id, unsigned, opens nothing: a page that sends one is handed a fresh token of its own
    assert "harbor.md" not in [a.name for a in page.engine(BROWSER_A).articles]
    fresh = page.start(BROWSER_A)[0]
    assert page.owner(fresh) not in (None, BROWSER_A)

    # persisted for that browser: a restarted app (a fresh page and engine over the same cache) finds it
    restarted = ui.Page(app.EngineHandle(Engine(engine.settings)))
    assert "harbor.md" in restarted.start(restarted.token(BROWSER_A))[2]
    assert "harbor.md" not in restarted.start(restarted.token(BROWSER_B))[2]


@pytest.mark.model
def test_same_name_replaces_only_your_own_file(upload_page, tmp_path):
    page, engine = upload_page
    first = b"Ferry news\n\nThe new ferry to Skalholt starts in May.\n"
    second = b"Ferry news\n\nThe new ferry to Skalholt starts in June.\n"
    (message, *_), _ = upload_file(page, tmp_path, "ferry.txt", first, BROWSER_A)
    assert message.count("Added") == 1
    (message, *_), _ = upload_file(page, tmp_path, "ferry.txt", second, BROWSER_B)
    assert "Added" in message  # B's own ferry.txt: A's is untouched
    (message, *_), _ = upload_file(page, tmp_path, "ferry.txt", second, BROWSER_A)
    assert "Replaced your" in message
    assert (upload_folder(engine.settings, BROWSER_A) / "ferry.txt").read_bytes() == second
    assert "June" in page.engine(page.token(BROWSER_A)).ask("When does the ferry to Skalholt start?").text


@pytest.mark.model
def test_restrict_remove_and_replace_uploads(upload_page, tmp_path):
    """Only your own uploads can be removed; a question can be restricted; a removed article's answers say so."""
    page, engine = upload_page
    owner = "browser-c-0123456789abcdef"
    browser = page.token(owner)  # what the page keeps in that browser
    data = b"Bakery news\n\nThe Skalholt bakery sold nine hundred loaves on Sunday, the owner said.\n"
    (message, articles, *_), _ = upload_file(page, tmp_path, "bakery.txt", data, owner)
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
    # another browser cannot remove it (nor can its bare id, unsigned), nor can anyone remove a folder article
    for who, name in ((page.token("browser-d-0123456789abcdef"), "bakery.txt"), (owner, "bakery.txt"),
                      (browser, "paris-talks-ukraine.txt")):
        message, *_ = page.remove_article(saved, who, gr.EventData(None, {"remove": name}))
        assert "Not removed" in message and "not one of your uploads" in message
    assert (upload_folder(engine.settings, owner) / "bakery.txt").is_file()
    # its owner can: gone from the table, the choices and the disk; the kept answer says so on its cards
    message, status, articles, choices, chat, panel = page.remove_article(
        saved, browser, gr.EventData(None, {"remove": "bakery.txt"}))
    assert "Removed bakery.txt" in message and "bakery.txt" not in articles
    assert "bakery.txt" not in choices.constructor_args["choices"]
    assert not (upload_folder(engine.settings, owner) / "bakery.txt").exists()
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

        def engine(self, browser, wait=None):
            return seed_engine

        def answered(self, engine, answer):
            pass

    page = ui.Page(app.EngineHandle(seed_engine))
    page._browsers = Queue()
    steps = page.respond("Where will the talks continue?", None, page.token(BROWSER_A))
    chat = next(steps)[0]
    assert "your upload notes.md: embedding passages 3/9" in plain(chat[-1]["content"])
    upload.finished.set()
    chat = next(steps)[0]
    assert "London" in plain(chat[-1]["content"])
    other = last(page.respond("Where will the talks continue?", None, page.token(BROWSER_B)))[0]  # another browser: no wait
    assert "London" in plain(other[-1]["content"])


@pytest.mark.model
def test_add_from_a_link_fetches_the_page_and_answers_from_it_with_its_url(upload_page, site):
    page, _ = upload_page
    story = (PROJECT / "tests" / "data" / "web" / "talks.html").read_bytes().replace(
        b"London next week", b"Geneva next week")  # another article than the folder's, same furniture
    site.add("/world/geneva", story)
    seen = []
    message, articles, _, box, browser, _ = page.add_link(f"{site.base}/world/geneva", page.token(BROWSER_B),
                                                          progress=lambda *a, **k: seen.append(k.get("desc")))
    assert "Added" in message and box == "" and page.owner(browser) == BROWSER_B, message
    assert "Talks on Ukraine to continue in London" in articles
    answer = page.engine(page.token(BROWSER_B)).ask("Where will the talks continue next week?")
    assert answer.answered and "Geneva" in answer.text
    assert answer.citations[0].url == f"{site.base}/world/geneva"
    assert f'href="{site.base}/world/geneva"' in render.sources_html(answer, 0)
    message, _, _, box, _, _ = page.add_link(f"{site.base}/missing", page.token(BROWSER_B), progress=lambda *a, **k: None)
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
    before = list(page.engine(page.token(BROWSER_A)).articles)
    listed = render.articles_html(before, page.browsers().own(BROWSER_A))
    path = tmp_path / name
    if data is None:
        with open(path, "wb") as fh:  # one byte over the limit, written sparsely
            fh.truncate(engine.settings.max_article_bytes + 1)
    else:
        path.write_bytes(data)
    message, articles, status, box, _, _ = page.add_files([str(path)], page.token(BROWSER_A), progress=lambda *a, **k: None)
    assert "Not added" in message and why in message and "qa-bad" in message, message
    assert articles == listed and list(page.engine(page.token(BROWSER_A)).articles) == before
    assert not (upload_folder(engine.settings, BROWSER_A) / name).exists()
    assert not path.exists()


@pytest.mark.model
def test_utf16_upload_with_bom_is_accepted(upload_page, tmp_path):
    page, _ = upload_page
    text = "Bridge report\n\nThe city will open the Nørrebro bridge on 3 March, the mayor said.\n"
    (message, *_), _ = upload_file(page, tmp_path, "bridge.txt", text.encode("utf-16"), BROWSER_B)
    assert "Added" in message, message
    answer = page.engine(page.token(BROWSER_B)).ask("When will the Nørrebro bridge open?")
    assert "3 March" in answer.text and answer.citations[0].article == "bridge.txt"
