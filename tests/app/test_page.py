"""The page's events and the /ask API over the seed article's engine: answers, follow-ups, errors, load."""

from __future__ import annotations

import time

import gradio as gr
import pytest

import app
import ui
from qa import Answer
from tests.app.helpers import PARTICIPANTS, free_port, last, plain
from ui import render
from ui.page import CONCURRENCY, QUEUE_SIZE, saved_answers

# Gradio's queue calls pandas in a way pandas 3 warns about; not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


# ------------------------------------------------------------------ the engine and the launched app

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


@pytest.mark.model
def test_the_key_that_signs_browser_tokens_is_never_served(served, seed_engine):
    """Anyone can read the page's config; the server's key for browser tokens is not in it, nor in the page."""
    import urllib.request

    from qa import browser_secret

    secret = browser_secret(seed_engine.settings)
    for path in ("config", ""):
        with urllib.request.urlopen(served[0] + path, timeout=30) as response:
            assert secret not in response.read().decode("utf-8", "replace"), path



@pytest.mark.model
def test_the_queue_lets_go_of_sessions_it_has_finished_with(seed_engine, monkeypatch):
    # Every raw /ask call is a session; Gradio's queue kept a record of each one forever (bench/memory.py).
    monkeypatch.setattr(app, "SWEEP_S", 0.1)
    demo = ui.build_demo(seed_engine)
    url, _ = app.launch(demo, "127.0.0.1", free_port(), block=False)
    try:
        for _ in range(5):
            assert "event: complete" in _raw_ask(url, ["Where will the talks continue next week?"])
        records = demo._queue.pending_event_ids_session
        deadline = time.monotonic() + 10
        while records and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not records
        assert "London" in _raw_ask(url, ["Where will the talks continue next week?"])  # still answers after
    finally:
        demo.close()
