"""Opening a corpus: cached, incremental, safe against damage (fake model: fast)."""

import shutil

import pytest

from qa.config import Settings
from qa.corpus import store_folder
from qa.engine import Engine
from qa.errors import ArticleError
from tests.conftest import SEED


@pytest.fixture
def articles(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SEED, folder / "paris.txt")
    (folder / "budget.md").write_text(
        "# City budget\n\nThe council approved a budget of 12 million euros on Monday.\n\n"
        "## Reactions\n\nMayor Anna Berg said the vote was a relief.\n"
    )
    return folder


def _engine(articles, fake_embedder, **kw):
    return Engine(Settings.resolve(articles=articles, **kw), embedder=fake_embedder)


def test_second_open_embeds_nothing(articles, fake_embedder):
    first = _engine(articles, fake_embedder)
    assert first.corpus.embedded == len(first.corpus.passages) > 0
    embedded = fake_embedder.encoded
    second = _engine(articles, fake_embedder)
    assert second.corpus.embedded == 0 and fake_embedder.encoded == embedded
    assert [p.text for p in second.corpus.passages] == [p.text for p in first.corpus.passages]
    assert [a.title for a in second.articles] == ["City budget", "Paris"]


def test_editing_one_article_reembeds_only_it(articles, fake_embedder):
    first = _engine(articles, fake_embedder)
    budget_passages = next(a.passages for a in first.articles if a.name == "budget.md")
    with open(articles / "budget.md", "a") as fh:
        fh.write("\nThe opposition voted against it.\n")
    second = _engine(articles, fake_embedder)
    assert second.corpus.embedded == budget_passages
    assert "The opposition voted against it." in " ".join(p.text for p in second.corpus.passages)


def test_corrupted_cache_is_rebuilt_not_served(articles, fake_embedder):
    first = _engine(articles, fake_embedder)
    folder = store_folder(first.settings)
    (folder / "index.faiss").write_bytes(b"garbage")
    second = _engine(articles, fake_embedder)
    assert second.corpus.embedded == len(second.corpus.passages)
    assert second.ask("What budget did the council approve?").answered is not None
    third = _engine(articles, fake_embedder)
    assert third.corpus.embedded == 0  # the rebuilt store is good again


def test_unwritable_cache_still_answers(articles, fake_embedder):
    first = _engine(articles, fake_embedder)
    folder = store_folder(first.settings)
    shutil.rmtree(folder)
    folder.write_text("not a folder")  # the cache path is blocked by a file
    engine = _engine(articles, fake_embedder)
    assert engine.search("council budget")[0][0].article == "budget.md"
    assert any("index not cached" in w for w in engine.warnings)
    assert folder.read_text() == "not a folder"  # nothing of the user's overwritten


def test_bad_file_in_folder_is_skipped_with_warning(articles, fake_embedder):
    (articles / "broken.txt").write_bytes(b"\x00\x01binary")
    (articles / "empty.md").write_text("   ")
    engine = _engine(articles, fake_embedder)
    assert sorted(a.name for a in engine.articles) == ["budget.md", "paris.txt"]
    assert any("broken.txt" in w and "binary" in w for w in engine.warnings)
    assert any("empty.md" in w and "empty" in w for w in engine.warnings)


def test_bad_single_file_is_an_error(tmp_path, fake_embedder):
    path = tmp_path / "x.txt"
    path.write_bytes(b"")
    with pytest.raises(ArticleError, match="x.txt is empty"):
        _engine(path, fake_embedder)


def test_upload_adds_and_persists(articles, fake_embedder):
    engine = _engine(articles, fake_embedder)
    info = engine.add_article("harbour.txt", b"Harbour news\n\nThe new ferry to Skalholt starts in May.\n")
    assert info.uploaded and info.passages == 1
    hits = engine.search("ferry Skalholt")
    assert hits[0][0].article == "harbour.txt"
    again = _engine(articles, fake_embedder)
    assert "harbour.txt" in [a.name for a in again.articles] and again.corpus.embedded == 0


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.txt", b"", "empty"),
        ("bin.txt", b"\x00\x01\x02\x03" * 100, "binary"),
        ("doc.pdf", b"%PDF-1.4 text", "only .txt, .md"),
        ("huge.txt", b"a" * 2_000_001, "limited to 2 MB"),
    ],
)
def test_bad_upload_changes_nothing(articles, fake_embedder, name, data, message):
    engine = _engine(articles, fake_embedder, max_article_bytes=2_000_000)
    before = [a.name for a in engine.articles]
    with pytest.raises(ArticleError, match=message):
        engine.add_article(name, data)
    assert [a.name for a in engine.articles] == before
    assert not (store_folder(engine.settings) / "uploads" / name).exists()
