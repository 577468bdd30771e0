"""The engine with the real model: the seed's questions, follow-ups, bad questions, the public API."""

import re
from dataclasses import replace

import pytest

import qa
from qa import Settings
from qa.engine import Engine
from qa.evaluate import MOJIBAKE, citation_problems, evaluate, read_items
from tests.conftest import DATA, PROJECT, STORES, server_path, store_setting

pytestmark = pytest.mark.model


@pytest.fixture(scope="module", params=STORES)
def seed_engine(request, tmp_path_factory, embedder, milvus_folder):
    """The real engine over the seed article, once per store kind: answers must not depend on the store."""
    settings = Settings.resolve(articles=PROJECT / "seeds", cache_dir=tmp_path_factory.mktemp("seedcache"), threads=1,
                                store=store_setting(request.param, milvus_folder))
    with pytest.MonkeyPatch.context() as monkeypatch:
        server_path(request.param, monkeypatch)
        yield Engine(settings, embedder=embedder)


def test_dev_questions_meet_the_floor(seed_engine):
    report = evaluate(seed_engine, read_items(DATA / "seed_dev.jsonl"))
    # The floor the build keeps: a regression in quality fails `make test`.
    assert report["answer_accuracy"] >= 0.875, report["results"]
    assert report["refusal_accuracy"] == 1.0, report["results"]
    assert report["citation_validity"] == 1.0, report["results"]
    assert report["recall@5"] >= 0.875


def test_calibration_questions_meet_the_floor(seed_engine):
    report = evaluate(seed_engine, read_items(DATA / "seed_calibration.jsonl"))
    # 21 of 26 answered right and 14 of 14 refused since the refit that weighs named things held and
    # lacking (22 and 12 before): "What mandate did Zelenskyy give his team?" is now refused (0.059).
    assert report["answer_accuracy"] >= 0.8, [r for r in report["results"] if not r["correct"]]
    # Refusals are calibrated on data, not ruled by one missing ordinary word; "How old is Marco Rubio?"
    # is refused because no sentence holds an age. A regression below 12 of 14 fails.
    assert report["refusal_accuracy"] >= 0.85, [r for r in report["results"] if not r["correct"]]
    assert report["citation_validity"] == 1.0


def test_phrasing_questions_meet_the_floor(seed_engine):
    # Questions as people type them (terse, shouted, misspelt, pasted), never fitted on.
    report = evaluate(seed_engine, read_items(DATA / "seed_phrasing.jsonl"))
    wrong = [r for r in report["results"] if not r["correct"]]
    right = sum(r["correct"] for r in report["results"] if r["answerable"])
    assert right >= 12, wrong  # of 13 answerable
    assert report["refusal_accuracy"] == 1.0, wrong
    assert report["citation_validity"] == 1.0


@pytest.mark.parametrize("question", ["Who attended?", "Who attended the talks?", "who atended the tlaks", "who else joined",
                                      "who was there?", "Who was present at the talks?", "who was at the meeting?",
                                      "which officials were there"])
def test_who_attended_lists_the_participants(seed_engine, question):
    answer = seed_engine.ask(question)
    assert answer.answered
    named = [n for n in ("Rubio", "Witkoff", "Kellogg", "Sybiha", "Umerov", "Lammy") if n in answer.text]
    assert len(named) >= 5, answer.text
    assert "Polyakova" not in answer.text  # she commented; she did not attend
    assert "[1]" in answer.text and "[2]" in answer.text  # gathered from more than one passage
    assert not citation_problems(answer, seed_engine)


def test_a_repaired_question_says_what_was_searched(seed_engine):
    answer = seed_engine.ask("where is the next round of tlaks")
    assert answer.answered and "London" in answer.text
    assert answer.searched == "where is the next round of talks"
    assert str(answer).startswith("Searched for: where is the next round of talks")


def test_stage_timings_are_reported(seed_engine):
    timings: dict[str, float] = {}
    seed_engine.ask("Where will the talks continue next week?", timings=timings)
    assert set(timings) == {"analyse", "embed", "retrieve", "score", "compose"}
    assert all(t >= 0 for t in timings.values())


def test_follow_up_uses_history(seed_engine):
    first = seed_engine.ask("Who is Andrii Yermak?")
    follow = seed_engine.ask("What did he write?", history=[("Who is Andrii Yermak?", first.text)])
    assert follow.answered
    assert "substantive conversation" in follow.text or "continue our work" in follow.text


def test_refusal_is_plain_and_still_lists_passages(seed_engine):
    answer = seed_engine.ask("What is the capital of Peru?")
    assert not answer.answered
    assert answer.text.startswith("The articles don't say")
    assert not re.search(r"\[\d+\]", answer.text)
    assert answer.citations  # the closest passages, for the reader to check


@pytest.mark.parametrize(
    "question",
    ["Where will the talks continue next week?", "How did Macron describe the talks?", "Who is Alina Polyakova?"],
)
def test_answers_are_clean_article_text(seed_engine, question):
    answer = seed_engine.ask(question)
    assert answer.answered
    assert not MOJIBAKE.search(str(answer))
    assert not citation_problems(answer, seed_engine)
    for c in answer.citations:
        assert c.sentence in answer.text


@pytest.mark.parametrize(
    "question, message",
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("w" * 10_000, "10,000 characters long; the limit is 1,000"),
    ],
)
def test_bad_questions(seed_engine, question, message):
    with pytest.raises(qa.QuestionError, match=message):
        seed_engine.ask(question)


def test_bad_arguments(seed_engine):
    with pytest.raises(qa.QuestionError, match="must be text"):
        seed_engine.ask(None)
    with pytest.raises(TypeError, match="history"):
        seed_engine.ask("Who attended?", history=["just a string"])
    with pytest.raises(TypeError, match="history"):
        seed_engine.ask("Who attended?", history="not a list")
    with pytest.raises(ValueError, match="k must be"):
        seed_engine.ask("Who attended?", k=0)


def test_ask_and_load_use_settings(monkeypatch, embedder):
    monkeypatch.setenv("QA_ARTICLES", str(PROJECT / "seeds"))
    answer = qa.ask("Where will the talks continue next week?")
    assert "London" in answer.text and answer.citations[0].article == "paris-talks-ukraine.txt"
    assert qa.load() is qa.load()  # one engine per settings
    with pytest.raises(qa.ArticleError, match="no such file or folder"):
        qa.load("/no/such/folder")
    with pytest.raises(TypeError, match="unknown setting"):
        qa.load(colour="blue")


def test_unknown_model_says_what_to_do(tmp_path):
    with pytest.raises(qa.ModelUnavailable, match="cannot load embedding model"):
        qa.load(PROJECT / "seeds", model=str(tmp_path / "no-model-here-xyz"))


@pytest.mark.model
def test_load_keeps_only_the_latest_engines(embedder, tmp_path):
    """A program that loads many article sets does not keep every corpus: the latest four, the oldest let go."""
    engines = [qa.load(PROJECT / "seeds", cache_dir=tmp_path, top_k=k) for k in (3, 4, 5, 6, 7)]
    assert qa.load(PROJECT / "seeds", cache_dir=tmp_path, top_k=7) is engines[-1]  # kept: the same engine
    assert len(qa._ENGINES) <= 4 and engines[0] not in qa._ENGINES.values()
    assert qa.load(PROJECT / "seeds", cache_dir=tmp_path, top_k=3) is not engines[0]  # let go: loaded again


def test_public_surface_is_exported():
    for name in qa.__all__:
        assert hasattr(qa, name), name
    assert {"ask", "load", "Answer", "Citation"} <= set(qa.__all__)
    public = {n for n in dir(qa) if not n.startswith("_") and not isinstance(getattr(qa, n), type(qa))}
    assert public - set(qa.__all__) <= {"annotations", "threading", "Path", "Any", "History"}


def test_history_is_bounded_like_the_question(seed_engine):
    follow = [("Who is Andrii Yermak?", "Andrii Yermak is the head of the presidential office.")]
    filler = [("What happened in Dnipro?", "x" * 900)] * 19
    answer = seed_engine.ask("What did he write?", history=filler + follow)  # 20 turns, ~18,000 characters
    assert "substantive conversation" in answer.text or "continue our work" in answer.text
    with pytest.raises(qa.QuestionError, match="history has 21 turns; the limit is 20: pass only the latest"):
        seed_engine.ask("What did he write?", history=[("q", "a")] * 21)
    with pytest.raises(qa.QuestionError, match="over the limit of 20,000 characters"):
        seed_engine.ask("What did he write?", history=[("q" * 10_000, "a" * 10_001)])
    with pytest.raises(qa.QuestionError, match="10000 turns"):  # 10 MB in one call: refused at once
        seed_engine.ask("What did he write?", history=[("q" * 500, "a" * 500)] * 10_000)


def test_recent_history_keeps_the_latest_turns_that_fit(seed_engine):
    pairs = [(f"question {i}?", "answer " * 100) for i in range(50)]
    kept = seed_engine.recent_history(pairs)
    assert [(t.question, t.answer) for t in kept] == pairs[-20:] and seed_engine.check_history(kept) == kept
    long_answers = [(f"q{i}", "a" * 7_000, ["paris-talks-ukraine.txt"]) for i in range(5)]
    kept = seed_engine.recent_history(long_answers)  # 3 would pass 20,000 characters
    assert [(t.question, t.answer, list(t.articles)) for t in kept] == [(q, a, list(c)) for q, a, c in long_answers[-2:]]
    assert seed_engine.recent_history(None) == []


def test_history_limits_are_settings(monkeypatch, embedder, tmp_path):
    monkeypatch.setenv("QA_MAX_HISTORY_TURNS", "2")
    monkeypatch.setenv("QA_MAX_HISTORY_CHARS", "100")
    engine = qa.load(PROJECT / "seeds", cache_dir=tmp_path)
    assert engine.settings.max_history_turns == 2 and engine.settings.max_history_chars == 100
    with pytest.raises(qa.QuestionError, match="3 turns; the limit is 2"):
        engine.ask("Who attended?", history=[("q", "a")] * 3)


@pytest.mark.parametrize(
    "question", ["Who?", "What is it?", "巴黎会谈的参与者是谁？", "Кто участвовал в переговорах?", "who \udcff\udcfe attended"]
)
def test_any_question_gets_an_answer_or_a_plain_refusal(seed_engine, question):
    answer = seed_engine.ask(question)
    assert answer.text and isinstance(answer.answered, bool)
    assert not citation_problems(answer, seed_engine)


@pytest.mark.parametrize("question", ["???", "\U0001f642", "\u200b", "...!"])
def test_a_question_without_words_is_one_clear_message(seed_engine, question):
    with pytest.raises(qa.QuestionError, match="no words to search for"):
        seed_engine.ask(question)


def test_articles_in_other_scripts_can_be_asked_in_their_own(tmp_path, embedder):
    from qa import Settings
    from qa.engine import Engine

    (tmp_path / "zh.txt").write_text("巴黎会谈\n\n法国周四在巴黎主办了乌克兰问题高级别会谈。下一轮会谈将于下周在伦敦举行。\n")
    (tmp_path / "ru.txt").write_text("Переговоры\n\nФранция провела переговоры в Париже. Следующий раунд пройдёт в Лондоне.\n")
    engine = Engine(Settings.resolve(articles=tmp_path, cache_dir=tmp_path / "cache"), embedder=embedder)
    answer = engine.ask("下一轮会谈在哪里举行？")
    assert answer.answered and "伦敦" in answer.text and answer.citations[0].sentence.endswith("。")
    answer = engine.ask("Где пройдёт следующий раунд?")
    assert answer.answered and "Лондоне" in answer.text


@pytest.fixture(scope="module")
def news_engine(tmp_path_factory, embedder):
    """The real engine over the seed and the three test articles, in one folder."""
    folder = tmp_path_factory.mktemp("news")
    for path in [*(PROJECT / "seeds").iterdir(), *(DATA / "articles").iterdir()]:
        (folder / path.name).write_bytes(path.read_bytes())
    settings = Settings.resolve(articles=folder, cache_dir=tmp_path_factory.mktemp("newscache"), threads=1)
    return Engine(settings, embedder=embedder)


def test_a_follow_up_stays_on_the_story_its_conversation_is_about(news_engine):
    first = news_engine.ask("How many passengers can the new ferry carry?")
    assert first.answered and first.citations[0].article == "harbour-ferry.md"
    for question in ("What did the director say?", "Why was it late?", "Who lives there?"):
        follow = news_engine.ask(question, history=[first])
        assert follow.citations and follow.citations[0].article == "harbour-ferry.md", (question, follow.text)


def test_a_follow_up_naming_another_story_leaves_the_focus(news_engine):
    first = news_engine.ask("How many passengers can the new ferry carry?")
    moved = news_engine.ask("How high did the River Lauter peak?", history=[first])
    assert moved.answered and moved.citations[0].article == "river-flood.txt" and "6.8" in moved.text


def test_every_form_of_history_reads_alike(news_engine):
    first = news_engine.ask("How many passengers can the new ferry carry?")
    as_answer = news_engine.ask("What did the director say?", history=[first])
    as_dict = news_engine.ask("What did the director say?", history=[first.to_dict()])
    as_triple = news_engine.ask("What did the director say?", history=[(first.question, first.text, first.articles)])
    assert as_answer == as_dict
    # a triple says nothing of how sure its answer was: read as a sure one
    assert as_triple == news_engine.ask("What did the director say?", history=[replace(first, confidence=1.0)])


def test_a_pronoun_is_read_as_whom_the_conversation_is_about(seed_engine):
    first = seed_engine.ask("Who is Tammy Bruce?")
    follow = seed_engine.ask("What did her statement say?", history=[first])
    assert follow.searched == "What did Tammy Bruce's statement say?" and "Searched for" in str(follow)
    assert follow.answered and "spokeswoman Tammy Bruce said in a statement" in follow.text


def test_people_the_article_names_are_answered_and_what_it_lacks_is_refused(seed_engine):
    bruce = seed_engine.ask("Who is Tammy Bruce?")
    assert bruce.answered and "spokeswoman Tammy Bruce" in bruce.text, bruce.text
    assert bruce.short is not None and bruce.short.text == "U.S. State Department spokeswoman"  # who she is: her role
    yermak = seed_engine.ask("who's yermak")
    assert yermak.answered and "presidential adviser, Andrii Yermak" in yermak.text, yermak.text
    sourdough = seed_engine.ask("How do I bake sourdough bread?")
    assert not sourdough.answered and sourdough.citations  # refused, closest passages still listed
    age = seed_engine.ask("How old is Marco Rubio?")
    assert not age.answered and "how old Marco Rubio is" in age.text, age.text
    # the article says only "Putin": a full name is still about him, but "Melania" is not its "Donald Trump"
    putin = seed_engine.ask("Who is Vladimir Putin?")
    assert putin.answered and "Putin" in putin.citations[0].sentence, (putin.confidence, putin.text)
    assert not seed_engine.ask("Who is Melania Trump?").answered


def test_an_off_topic_question_inside_a_conversation_is_refused_as_if_asked_alone(seed_engine):
    history = []
    for question in ("Who is Alina Polyakova?", "What does she think about Putin?", "Who attended the talks?"):
        history.append(seed_engine.ask(question, history=history))
    weather = seed_engine.ask("What's the weather in Kyiv?", history=history)
    assert not weather.answered and 'never mention "weather"' in weather.text, (weather.confidence, weather.text)
    follow = seed_engine.ask("Where will they continue?", history=history)  # leans on the talks: answered
    assert follow.answered and follow.short is not None and follow.short.text == "London", follow.text


@pytest.mark.parametrize("question", ["When did the talks take place?", "Where were the talks held?",
                                      "Who held the talks?"])
def test_a_question_in_other_words_than_the_articles_is_answered(seed_engine, question):
    """The article says "France hosted high-level talks Thursday"; "held" and "take place" are not in it."""
    answer = seed_engine.ask(question)
    assert answer.answered and "France hosted high-level talks Thursday" in answer.text, answer.text


def test_a_short_answer_comes_first_and_points_into_the_article(seed_engine):
    where = seed_engine.ask("Where will the talks continue?")
    assert where.short is not None and where.short.text == "London", where.short
    assert str(where).splitlines()[0] == where.short.cited()
    attended = seed_engine.ask("Who attended the talks?")
    names = [s.text for s in attended.short.spans]
    assert sum(any(n in name for name in names) for n in ("Rubio", "Witkoff", "Kellogg", "Sybiha", "Umerov",
                                                          "Lammy")) >= 5, names
    assert "Polyakova" not in " ".join(names) and len(set(names)) == len(names)
    for answer in (where, attended):
        numbers = {c.n: c.article for c in answer.citations}
        for span in answer.short.spans:
            assert seed_engine.article(numbers[span.n]).text[span.start:span.end] == span.text
    why = seed_engine.ask("Why did the officials meet in Paris?")  # a reason: the clause after "to"
    assert why.short is not None and why.short.text == "discuss an end to the war", why.short
    assert seed_engine.ask("What did Rubio say?").short is None  # his words are the sentences themselves
