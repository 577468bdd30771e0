"""The command line: answers, JSON, eval, and one-line errors with exit codes."""

import json
import sys

import pytest

from qa.__main__ import main
from tests.conftest import DATA, PROJECT

SEEDS = str(PROJECT / "seeds")


@pytest.mark.model
def test_question_prints_answer_and_sources(capsys, embedder):
    assert main(["--articles", SEEDS, "Where will the talks continue next week?"]) == 0
    out = capsys.readouterr().out
    assert "London" in out and "[1]" in out and "Sources:" in out


@pytest.mark.model
def test_json_output(capsys, embedder):
    assert main(["--articles", SEEDS, "--json", "--k", "3", "Who did Rubio speak with by phone?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answered"] and "Lavrov" in data["text"]


@pytest.mark.model
def test_eval_command(capsys, embedder):
    assert main(["eval", str(DATA / "seed_dev.jsonl"), "--articles", SEEDS, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["questions"] == 9 and report["answer_accuracy"] >= 0.875
    assert {"recall@1", "recall@3", "recall@5", "citation_validity", "latency_ms_median", "latency_ms_p95"} <= set(report)


@pytest.mark.model
def test_interactive_keeps_the_conversation(capsys, monkeypatch, embedder):
    lines = iter(["Who is Andrii Yermak?", "What did he write?", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    assert main(["--articles", SEEDS]) == 0
    out = capsys.readouterr().out
    assert "substantive conversation" in out or "continue our work" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--articles", "/no/such/place", "hi"], "Error: no such file or folder: /no/such/place"),
        (["eval", "/no/such/questions.jsonl"], "Error: cannot read /no/such/questions.jsonl"),
        (["index", "--articles", "/no/such/place"], "Error: no such file or folder: /no/such/place"),
        # every path the CLI reads: a device that never ends, a binary file, a link it may not follow
        (["--articles", "/dev/zero", "hi"], "Error: /dev/zero is neither a file nor a folder of articles"),
        (["index", "--articles", "/dev/zero"], "Error: /dev/zero is neither a file nor a folder of articles"),
        (["eval", "/dev/zero"], "Error: /dev/zero is not a file of labelled questions"),
        (["eval", sys.executable], "is not UTF-8 text: not a file of labelled questions"),
        (["--articles", "ftp://example.org/news", "hi"], "Error: setting articles: only http(s) links"),
    ],
)
def test_errors_are_one_line(capsys, argv, message):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("Error")]) == 1


@pytest.mark.model
@pytest.mark.parametrize("question, message", [(" ", "the question is empty"), ("x" * 10_000, "limit is 1,000")])
def test_bad_question_exit_code(capsys, embedder, question, message):
    assert main(["--articles", SEEDS, question]) == 1
    assert message in capsys.readouterr().err


def test_empty_folder_and_binary_file(capsys, tmp_path):
    assert main(["--articles", str(tmp_path), "hi"]) == 1
    assert "no articles in" in capsys.readouterr().err
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\x00\xff" * 500)
    assert main(["--articles", str(binary), "hi"]) == 1
    assert "looks like a binary file" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--k", "many", "hi"])
    assert info.value.code == 2


@pytest.mark.model
def test_interactive_sends_only_the_latest_turns(capsys, monkeypatch, embedder):
    from qa.engine import Engine

    monkeypatch.setenv("QA_MAX_HISTORY_TURNS", "2")
    seen = []
    ask = Engine.ask

    def recording(self, question, history=None, k=None, **options):
        seen.append(len(history or []))
        return ask(self, question, history, k, **options)

    monkeypatch.setattr(Engine, "ask", recording)
    lines = iter(["Who attended the talks?", "Where will they continue?", "Who is Andrii Yermak?",
                  "What did he write?", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    assert main(["--articles", SEEDS]) == 0
    assert seen == [0, 1, 2, 2]  # never more than the limit, so a long session never becomes an error
    out = capsys.readouterr().out
    assert "substantive conversation" in out or "continue our work" in out


@pytest.mark.model
def test_only_restricts_the_answer_to_the_named_articles(capsys, embedder, tmp_path):
    """--only FILE (repeatable) answers from those articles alone; an unknown name is one error line."""
    import shutil

    shutil.copy(PROJECT / "seeds" / "paris-talks-ukraine.txt", tmp_path)
    (tmp_path / "ferry.txt").write_text("Ferry news\n\nThe new ferry to Skalholt starts in June, the harbour said.\n")
    question = "When does the ferry to Skalholt start?"
    assert main(["--articles", str(tmp_path), "--json", question]) == 0
    everywhere = json.loads(capsys.readouterr().out)
    assert everywhere["answered"] and everywhere["citations"][0]["article"] == "ferry.txt"
    assert main(["--articles", str(tmp_path), "--json", "--only", "paris-talks-ukraine.txt", question]) == 0
    restricted = json.loads(capsys.readouterr().out)
    assert {c["article"] for c in restricted["citations"]} == {"paris-talks-ukraine.txt"}
    assert "June" not in restricted["text"]
    assert main(["--articles", str(tmp_path), "--json", "--only", "paris-talks-ukraine.txt", "--only", "ferry.txt",
                 question]) == 0
    assert json.loads(capsys.readouterr().out)["citations"][0]["article"] == "ferry.txt"
    assert main(["--articles", str(tmp_path), "--only", "nosuch.txt", question]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("Error: no article is called nosuch.txt; the articles are: ferry.txt, "
                           "paris-talks-ukraine.txt")


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ("python -m qa eval", "python -m qa fit", "python -m qa index"):
        assert command in out


def test_a_missing_extra_is_one_error_line(capsys, embedder, tmp_path, monkeypatch):
    """--store milvus:... without the [scale] extra: what to install, not a traceback."""
    import builtins

    real_import = builtins.__import__

    def no_pymilvus(name, *args, **kwargs):
        if name == "pymilvus" or name.startswith("pymilvus."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pymilvus)
    assert main(["--store", f"milvus:{tmp_path}/qa.db", "Who attended?"]) == 1
    err = capsys.readouterr().err
    assert "Error: the Milvus store" in err and "[scale]" in err and "Traceback" not in err


@pytest.mark.model
def test_a_cache_that_cannot_be_written_still_answers_and_says_why(tmp_path):
    """A cache path that cannot be written (here a file; a read-only mount behaves alike) is no reason to
    refuse: the model runs without its export, the index is not kept, and the warnings say so. No false
    "install the model" hint."""
    import subprocess
    import sys

    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be")
    done = subprocess.run([sys.executable, "-m", "qa", "--cache-dir", str(blocked), "Where will the talks continue?"],
                          cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "London" in done.stdout
    assert "pip install" not in done.stderr and "Traceback" not in done.stderr
    assert "Not a directory" in done.stderr  # the real reason, in the warnings
