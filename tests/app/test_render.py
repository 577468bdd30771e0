"""The chat's HTML and text, and the page's events that need no model: hand-made answers formatted."""

from __future__ import annotations

import html
import os
import re
import threading
import time
from pathlib import Path

import gradio as gr
import pytest

import app
import ui
from qa import Answer, ArticleInfo, Citation
from tests.app.helpers import citation, last, plain
from ui import render
from ui.page import api_history, saved_answers

# Gradio's queue calls pandas in a way pandas 3 warns about; not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


# ------------------------------------------------------------------ formatting: no model needed


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
