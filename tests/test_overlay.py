"""A browser's corpus is an overlay: the shared base store read in place, plus a store of its own uploads only."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np

from qa.config import Settings
from qa.engine import Engine
from qa.evaluate import read_items
from qa.faiss_store import FaissStore
from qa.folders import store_folder
from qa.ingest_steps import store_expect
from qa.overlay import JoinedPassages, OverlayStore
from qa.vocabulary import Vocabulary, layered

DATA = Path(__file__).parent / "data"
SEED = Path(__file__).parent.parent / "seeds" / "paris-talks-ukraine.txt"
OWNER = "a" * 32


def _base(tmp_path: Path) -> Path:
    """The base folder: the test articles."""
    base = tmp_path / "base"
    shutil.copytree(DATA / "articles", base)
    return base


def test_overlay_answers_as_the_full_copy_did(tmp_path, embedder):
    """The questions of the seed and the test articles, asked of base + an upload through the overlay and of one
    store holding all four (today's full copy): the same answers and citations (BM25's length normalisation is each
    store's own, the one difference allowed, and it changes at most one answer in 50)."""
    base_dir = _base(tmp_path)
    settings = Settings(articles=base_dir)
    base = Engine(settings, embedder=embedder)
    mine = Engine(settings, embedder=embedder, owner=OWNER, donor=base)
    mine.add_article(SEED.name, SEED.read_bytes())
    # Today's full copy: one store of the owner's holding the base's articles and the upload (no donor).
    full_settings = Settings(articles=base_dir, cache_dir=tmp_path / "full-cache")
    shutil.copytree(store_folder(settings, OWNER) / "uploads", store_folder(full_settings, OWNER) / "uploads")
    full = Engine(full_settings, embedder=embedder, owner=OWNER)
    assert not isinstance(full.corpus.store, OverlayStore)

    assert isinstance(mine.corpus.store, OverlayStore) and mine.corpus.store.base is base.corpus.store
    assert [a.name for a in mine.articles] == [a.name for a in full.articles]
    assert list(mine.corpus.passages) == list(full.corpus.passages)
    questions = [i.question for name in ("seed_calibration", "articles_questions", "seed_phrasing")
                 for i in read_items(DATA / f"{name}.jsonl")]
    differ = []
    for question in questions:
        a, b = mine.ask(question), full.ask(question)
        if (a.text, [(c.article, c.start) for c in a.citations]) != (b.text, [(c.article, c.start) for c in b.citations]):
            differ.append(question)
    assert len(questions) >= 60
    assert len(differ) <= len(questions) // 50, differ


def test_own_store_holds_only_the_uploads(tmp_path, fake_embedder):
    """The base is neither copied to disk nor into memory: the owner's store folder holds its upload alone, and
    the private engine reads the base engine's store object."""
    base_dir = _base(tmp_path)
    settings = Settings(articles=base_dir)
    base = Engine(settings, embedder=fake_embedder)
    mine = Engine(settings, embedder=fake_embedder, owner=OWNER, donor=base)
    mine.add_article("notes.txt", b"Notes\n\nThe ferry to the island leaves at nine from pier four.\n")

    own = FaissStore.open(store_folder(settings, OWNER), store_expect(fake_embedder, settings))
    assert set(own.digests()) == {"notes.txt"}
    assert mine.corpus.store.base is base.corpus.store
    assert mine.corpus.store.size == base.corpus.store.size + own.size
    assert {a.name for a in mine.articles} == {a.name for a in base.articles} | {"notes.txt"}
    hits = mine.search("When does the ferry to the island leave?")
    assert hits and hits[0][0].article == "notes.txt"
    assert "notes.txt" not in {a.name for a in base.articles}  # the base is untouched

    mine.remove_article("notes.txt")
    assert {a.name for a in mine.articles} == {a.name for a in base.articles}


def test_an_old_full_copy_becomes_an_own_store(tmp_path, fake_embedder):
    """A browser's store written before overlays (the base's articles and its uploads) keeps only the uploads."""
    base_dir = _base(tmp_path)
    settings = Settings(articles=base_dir)
    base = Engine(settings, embedder=fake_embedder)
    old = FaissStore.open(store_folder(settings, OWNER), store_expect(fake_embedder, settings))
    for name in base.corpus.store.digests():
        stored = base.corpus.store.article(name)
        old.put_article(name, stored.info, stored.passages, stored.vectors, stored.sentence_vectors)
    old.flush()
    uploads = store_folder(settings, OWNER) / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "notes.txt").write_text("Notes\n\nThe ferry leaves at nine.\n", encoding="utf-8")

    mine = Engine(settings, embedder=fake_embedder, owner=OWNER, donor=base)
    assert set(mine.corpus.store.own.digests()) == {"notes.txt"}
    assert Counter(a.name for a in mine.articles)["river-flood.txt"] == 1


def test_an_upload_named_as_a_base_article_is_listed_apart(tmp_path, fake_embedder):
    """An upload whose name a base article took later (the folder changed) is listed as "name (2)", not hidden."""
    base_dir = _base(tmp_path)
    settings = Settings(articles=base_dir)
    uploads = store_folder(settings, OWNER) / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "river-flood.txt").write_text("Mine\n\nMy own notes on the river.\n", encoding="utf-8")
    base = Engine(settings, embedder=fake_embedder)
    mine = Engine(settings, embedder=fake_embedder, owner=OWNER, donor=base)
    names = [a.name for a in mine.articles]
    assert "river-flood.txt" in names and "river-flood (2).txt" in names
    assert any("river-flood (2).txt" in w for w in mine.warnings)


def test_joined_passages_read_as_one_list():
    base, own = ["a", "b", "c"], ["d", "e"]
    joined = JoinedPassages(base, own)  # type: ignore[arg-type]
    assert len(joined) == 5 and list(joined) == ["a", "b", "c", "d", "e"]
    assert joined[3] == "d" and joined[-1] == "e" and joined[1:4] == ["b", "c", "d"]
    try:
        joined[5]
    except IndexError:
        pass
    else:
        raise AssertionError("row 5 of 5 passages was read")


def test_layered_vocabulary_is_the_sum_of_both():
    """Every statistic the overlay reads is the one counting both groups of passages together would give."""
    first = [("Paris talks", "Rubio met Lavrov in Paris."), ("Kyiv", "Drones hit Kyiv and Dnipro.")]
    second = [("Ferry", "The Harbour Ferry Service leaves Paris at nine.")]
    together = Vocabulary(first)
    together.add(Vocabulary(second))
    both = layered(Vocabulary(first), Vocabulary(second))
    assert both.doc_count == together.doc_count == 3
    for term in ("pari", "paris", "ferri", "ferry", "kyiv", "nine", "absent"):
        assert both.idf(term) == together.idf(term) and both.knows(term) == together.knows(term)
    for word in ("paris", "ferry", "lavrov", "absent"):
        assert both.knows_word(word) == together.knows_word(word)
        assert both.is_name(word) == together.is_name(word)
    assert both.knows_acronym("HFS") == together.knows_acronym("HFS") is True
    assert both.words_near_length(5, 0) == together.words_near_length(5, 0)
    assert sorted(both.df) == sorted(together.df) and len(both.df) == len(together.df)
    assert np.isclose(sum(both.df.values()), sum(together.df.values()))
