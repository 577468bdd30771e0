"""The store protocol, for both stores: written by article, durable on flush, searched alike (fake model: fast)."""

import dataclasses
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from embeddings.index import read_store, write_store
from qa.articles import Passage, parse_article, split_passages
from qa.config import Settings
from qa.engine import Engine
from qa.faiss_store import BM25_FILES, FACTS_FILES, VOCABULARY, FaissStore
from qa.folders import store_folder
from qa.retrieve import Retriever
from qa.store import Store, facts_of, lexical_texts, passage_record, record_passage
from qa.stores import open_store
from qa.vocabulary import Vocabulary
from tests.conftest import PROJECT, SEED, FakeEmbedder, store_setting, stored_file

EXPECT = {"model": "fake-model", "dim": FakeEmbedder.dim, "splitter": 1}
BUDGET = b"City budget\n\nThe council approved a budget of 12 million euros on Monday.\n\n" \
         b"Reactions\n\nMayor Anna Berg said the vote was a relief. The opposition walked out.\n"
FERRY = "Harbour news\n\nThe new ferry to Skalholt starts in May. It carries 300 passengers. " \
        "Its name, \u6e21\u8239 \u5927\u53f7, was painted by Sigur\u00f0ur.\n".encode("utf-8")


def _article(name: str, data: bytes, embedder: FakeEmbedder, uploaded: bool = False):
    """What ingestion hands to ``put_article``: info, passages, their vectors and their sentences' vectors."""
    article = parse_article(name, data)
    passages = split_passages(article, embedder.count_tokens, embedder.max_tokens, 12)
    texts = [p.embed_text for p in passages]
    shift = [len(p.embed_text) - len(p.text) for p in passages]
    spans = [[(a + s, b + s) for a, b in p.sentences] for p, s in zip(passages, shift)]
    vectors, sentences = embedder.encode_with_parts(texts, spans)
    info = {"title": article.title, "sections": [s.header for s in article.sections],
            "digest": f"d{len(data)}", "uploaded": uploaded}
    return info, passages, vectors, np.concatenate(sentences)


@pytest.fixture
def settings(tmp_path, each_store):
    folder = tmp_path / "articles"
    folder.mkdir()
    return Settings.resolve(articles=folder, store=each_store)


def test_put_flush_reopen_search_and_delete(settings, fake_embedder):
    store = open_store(settings, EXPECT)
    assert isinstance(store, Store) and store.size == 0 and store.digests() == {}
    written = {}
    for name, data in (("budget.txt", BUDGET), ("ferry.txt", FERRY)):
        written[name] = _article(name, data, fake_embedder)
        store.put_article(name, *written[name])
    store.flush()

    again = open_store(settings, EXPECT)  # what a new process reads back
    assert again.digests() == {name: w[0]["digest"] for name, w in written.items()}
    assert sorted({p.article for p in again.passages()}) == ["budget.txt", "ferry.txt"]
    for name, (info, passages, vectors, sentences) in written.items():
        rows = np.arange(*again.manifest["articles"][name]["rows"])
        assert [p.text for p in again.passages()[rows[0]:rows[-1] + 1]] == [p.text for p in passages]
        np.testing.assert_allclose(again.vectors(rows), vectors, atol=1e-6)
        np.testing.assert_allclose(np.concatenate(again.sentence_vectors(rows)), sentences, atol=2e-3)
        assert again.article(name).info["title"] == info["title"]
        best, _ = again.search(vectors[0], 1)
        assert again.passages()[best[0]].article == name  # a passage's own vector finds it
    ferry_rows = np.arange(*again.manifest["articles"]["ferry.txt"]["rows"])
    found = again.lexical(["ferri", "skalholt"], 5, ferry_rows)
    assert {again.passages()[r].article for r in found.rows} == {"ferry.txt"}
    assert found.asked.max() > 0 and found.spread > 0

    _assert_facts_kept(again)

    again.delete_article("budget.txt")
    again.flush()
    last = open_store(settings, EXPECT)
    assert list(last.digests()) == ["ferry.txt"] and {p.article for p in last.passages()} == {"ferry.txt"}
    _assert_facts_kept(last)  # the ferry's rows moved up: its sentences' facts moved with them


def _assert_facts_kept(store: Store) -> None:
    """The sentence facts a store gives back are those its passages' text gives (multi-byte terms too)."""
    rows = np.arange(store.size)
    assert store.sentence_facts(rows) == [facts_of(p) for p in store.passages()]
    assert any(len(t.encode()) > len(t) for facts in store.sentence_facts(rows) for terms, _, _ in facts for t in terms)


def _counted(store: Store) -> dict:
    """The term statistics of a store's passages, counted from them now."""
    return Vocabulary(lexical_texts(store.passages())).state()


def test_term_statistics_read_back_are_those_of_the_passages_held_also_after_an_edit(settings, fake_embedder):
    store = open_store(settings, EXPECT)
    store.put_article("budget.txt", *_article("budget.txt", BUDGET, fake_embedder))
    store.flush()
    first = open_store(settings, EXPECT)
    assert first.vocabulary().state() == _counted(first)
    assert open_store(settings, EXPECT).vocabulary().state() == _counted(first)  # kept: read back alike

    first.put_article("ferry.txt", *_article("ferry.txt", FERRY, fake_embedder))
    first.flush()
    edited = open_store(settings, EXPECT)
    assert edited.vocabulary().knows("skalholt") and edited.vocabulary().state() == _counted(edited)


def test_milvus_damaged_term_statistics_are_counted_again(tmp_path, fake_embedder, milvus_folder, caplog):
    settings = Settings.resolve(articles=tmp_path / "articles", store=store_setting("milvus", milvus_folder))
    store = open_store(settings, EXPECT)
    store.put_article("budget.txt", *_article("budget.txt", BUDGET, fake_embedder))
    store.flush()
    counted = open_store(settings, EXPECT).vocabulary().state()
    (kept,) = store_folder(settings).glob("milvus-vocabulary.*.json")
    kept.write_bytes(kept.read_bytes()[:40])
    assert open_store(settings, EXPECT).vocabulary().state() == counted
    assert "counting them again" in caplog.text
    assert json.loads(kept.read_bytes())["state"] == counted  # and kept whole again


class _CountingRecords:
    """A Milvus client that counts the passage records its queries return."""

    def __init__(self, milvus):
        self.milvus, self.records = milvus, 0

    def __getattr__(self, name):
        return getattr(self.milvus, name)

    def query(self, *args, **kwargs):
        found = self.milvus.query(*args, **kwargs)
        self.records += sum("record" in row for row in found)
        return found


def test_milvus_opening_reads_no_passage_record_and_a_question_only_those_it_answers_from(
        tmp_path, fake_embedder, milvus_folder, monkeypatch):
    import qa.milvus_store as milvus_store

    settings = Settings.resolve(articles=tmp_path / "articles", store=store_setting("milvus", milvus_folder))
    store = open_store(settings, EXPECT)
    written = {name: _article(name, data, fake_embedder) for name, data in (("budget.txt", BUDGET), ("ferry.txt", FERRY))}
    for name, article in written.items():
        store.put_article(name, *article)
    store.flush()
    counting = _CountingRecords(milvus_store.client(settings))
    monkeypatch.setattr(milvus_store, "client", lambda settings: counting)

    again = open_store(settings, EXPECT)
    again.vocabulary()  # counted from the records once (a new set of articles), then kept
    again = open_store(settings, EXPECT)
    counting.records = 0
    Retriever(again, 1.0, 1.0)  # what an engine builds at open: term statistics, samples of vectors
    assert again.size == sum(len(a[1]) for a in written.values()) and counting.records == 0
    assert list(again.sentence_counts()) == [len(p.sentences) for a in written.values() for p in a[1]]
    rows, _ = again.search(written["ferry.txt"][2][0], 1)
    again.prefetch([rows[0] - 1, rows[0], rows[0] + 1])  # what a question reads: its candidates, their neighbours
    assert again.passages()[rows[0]].text == written["ferry.txt"][1][0].text
    assert 1 <= counting.records <= 3


def test_milvus_term_statistics_count_only_the_articles_a_kept_count_lacks(
        tmp_path, fake_embedder, milvus_folder, monkeypatch):
    """An upload to a large archive, or an ingestion that adds articles, reads those articles, not the archive."""
    import qa.milvus_store as milvus_store

    settings = Settings.resolve(articles=tmp_path / "articles", store=store_setting("milvus", milvus_folder))
    base = open_store(settings, EXPECT)
    base.put_article("budget.txt", *_article("budget.txt", BUDGET, fake_embedder))
    base.flush()
    open_store(settings, EXPECT).vocabulary()  # the base corpus's: counted, kept
    counting = _CountingRecords(milvus_store.client(settings))
    monkeypatch.setattr(milvus_store, "client", lambda settings: counting)
    owner = "browser-a-0123456789abcdef"
    ferry = _article("ferry.txt", FERRY, fake_embedder, uploaded=True)
    mine = open_store(settings, EXPECT, owner=owner)
    mine.put_article("ferry.txt", *ferry)
    mine.flush()

    counting.records = 0
    view = open_store(settings, EXPECT, owner=owner)
    state = view.vocabulary().state()
    assert counting.records == len(ferry[1])  # the upload's passages, not the base corpus's
    assert state == _counted(view) and view.vocabulary().knows("skalholt")

    more = _article("ferry.txt", FERRY.replace(b"May", b"June"), fake_embedder)
    base.put_article("ferry.txt", *more)  # the base corpus gains an article
    base.flush()
    counting.records = 0
    grown = open_store(settings, EXPECT)
    state = grown.vocabulary().state()
    assert counting.records == len(more[1])
    assert state == _counted(grown) and grown.vocabulary().knows("june")


def test_milvus_term_statistics_counted_while_another_writer_removed_rows_are_not_kept(
        tmp_path, fake_embedder, milvus_folder):
    settings = Settings.resolve(articles=tmp_path / "articles", store=store_setting("milvus", milvus_folder))
    writer = open_store(settings, EXPECT)
    writer.put_article("budget.txt", *_article("budget.txt", BUDGET, fake_embedder))
    writer.flush()
    open_store(settings, EXPECT).vocabulary()  # the base corpus's: counted, kept
    ferry = _article("ferry.txt", FERRY, fake_embedder)
    writer.put_article("ferry.txt", *ferry)
    writer.flush()
    reader = open_store(settings, EXPECT)  # holds ferry.txt ...
    writer.delete_article("ferry.txt")  # ... which another writer removes before the reader counts it
    writer.flush()
    assert not reader.vocabulary().knows("skalholt")
    writer.put_article("ferry.txt", *ferry)  # the same version, back
    writer.flush()
    again = open_store(settings, EXPECT)
    assert again.vocabulary().knows("skalholt") and again.vocabulary().state() == _counted(again)


def test_milvus_reads_a_slice_longer_than_it_keeps(tmp_path, fake_embedder, milvus_folder, monkeypatch):
    import qa.milvus_store as milvus_store

    monkeypatch.setattr(milvus_store._Records, "KEEP", 2)
    settings = Settings.resolve(articles=tmp_path / "articles", store=store_setting("milvus", milvus_folder))
    store = open_store(settings, EXPECT)
    info, passages, vectors, sentences = _article("budget.txt", BUDGET + BUDGET.replace(b"12", b"15"), fake_embedder)
    store.put_article("budget.txt", info, passages, vectors, sentences)
    store.flush()
    again = open_store(settings, EXPECT)
    assert len(passages) > 2
    assert [p.text for p in again.passages()[:]] == [p.text for p in passages]
    assert [p.text for p in again.passages()] == [p.text for p in passages]


def test_milvus_term_statistics_leave_the_faiss_store_of_the_same_articles_whole(tmp_path, fake_embedder):
    """Both stores of one folder of articles keep their files in the same cache folder."""
    articles = tmp_path / "articles"
    faiss = open_store(Settings.resolve(articles=articles, store="faiss"), EXPECT)
    faiss.put_article("budget.txt", *_article("budget.txt", BUDGET, fake_embedder))
    faiss.flush()
    milvus_settings = Settings.resolve(articles=articles, store=store_setting("milvus", tmp_path))
    milvus = open_store(milvus_settings, EXPECT)
    milvus.put_article("ferry.txt", *_article("ferry.txt", FERRY, fake_embedder))
    milvus.flush()
    open_store(milvus_settings, EXPECT).vocabulary()  # counted, kept, older ones cleared away
    assert list(open_store(Settings.resolve(articles=articles, store="faiss"), EXPECT).digests()) == ["budget.txt"]


def test_a_first_milvus_lite_build_logs_no_traceback(tmp_path, fake_embedder, caplog):
    settings = Settings.resolve(articles=tmp_path / "articles", store=store_setting("milvus", tmp_path))
    store = open_store(settings, EXPECT)  # a new file: its collections and indexes are made now
    store.put_article("budget.txt", *_article("budget.txt", BUDGET, fake_embedder))
    store.flush()
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


WRITE_BUDGET = textwrap.dedent("""
    import sys
    from qa.config import Settings
    from qa.stores import open_store
    from tests.conftest import FakeEmbedder
    from tests.test_store import BUDGET, EXPECT, _article
    store = open_store(Settings.resolve(articles=sys.argv[1], store=sys.argv[2]), EXPECT)
    store.put_article("budget.txt", *_article("budget.txt", BUDGET, FakeEmbedder()))
    store.flush()
""")


def test_milvus_lite_vector_index_cut_short_by_a_kill_is_made_again(tmp_path, fake_embedder, caplog):
    """Milvus Lite writes its index files in the background, not atomically: a kill can leave one cut short."""
    setting = store_setting("milvus", tmp_path)  # a file this test process has not opened
    articles = tmp_path / "articles"
    articles.mkdir()
    subprocess.run([sys.executable, "-c", WRITE_BUDGET, str(articles), setting], cwd=PROJECT, check=True,
                   capture_output=True, timeout=120)
    sidecars = list((tmp_path / "milvus.db").rglob("*.idx"))
    assert sidecars
    for sidecar in sidecars:
        sidecar.write_bytes(sidecar.read_bytes()[:100])

    store = open_store(Settings.resolve(articles=articles, store=setting), EXPECT)
    assert "making its vector index again" in caplog.text
    _, passages, vectors, _ = _article("budget.txt", BUDGET, fake_embedder)
    for vector, passage in zip(vectors, passages):
        best, _ = store.search(vector, 1)
        assert store.passages()[best[0]].text == passage.text


def test_replacing_an_article_keeps_no_trace_of_the_old_version(settings, fake_embedder):
    store = open_store(settings, EXPECT)
    store.put_article("budget.txt", *_article("budget.txt", BUDGET, fake_embedder))
    store.flush()
    store.put_article("budget.txt", *_article("budget.txt", BUDGET.replace(b"12", b"15"), fake_embedder))
    store.flush()
    again = open_store(settings, EXPECT)
    text = " ".join(p.text for p in again.passages())
    assert "15 million" in text and "12 million" not in text
    assert again.size == len(again.passages()) == len(set(p.text for p in again.passages()))


def test_an_article_written_again_is_held_once(settings, fake_embedder):
    """Written twice before a flush, then again by a later writer: one copy of its passages and sentences."""
    store = open_store(settings, EXPECT)
    first = _article("budget.txt", BUDGET, fake_embedder)
    store.put_article("budget.txt", *first)
    store.put_article("budget.txt", *first)
    store.flush()
    edited = _article("budget.txt", BUDGET + b"The vote was seven to four.\n", fake_embedder)
    later = open_store(settings, EXPECT)
    later.put_article("budget.txt", *edited)
    later.flush()
    last = open_store(settings, EXPECT)
    assert [p.text for p in last.passages()] == [p.text for p in edited[1]]
    assert _rows_held(last) == (len(edited[1]), len(edited[3]))


def test_milvus_an_article_cut_off_midway_is_written_whole_next_time(tmp_path, fake_embedder, milvus_folder):
    """A writer killed before an article's first passage (its other passages and its sentences written) leaves
    rows no reader serves; the next writer removes them, even when the article changed meanwhile."""
    (tmp_path / "articles").mkdir()
    settings = Settings.resolve(articles=tmp_path / "articles", store=store_setting("milvus", milvus_folder))
    store = open_store(settings, EXPECT)
    written = _article("budget.txt", BUDGET, fake_embedder)
    insert = store.milvus.insert

    def killed(collection, rows):
        if collection == store.passage_collection and any(row["position"] == 0 for row in rows):
            raise KeyboardInterrupt  # the process dies with all but the article's first passage written
        return insert(collection, rows)

    store.milvus.insert = killed
    try:
        with pytest.raises(KeyboardInterrupt):
            store.put_article("budget.txt", *written)
    finally:
        store.milvus.insert = insert
    store.flush()
    later = open_store(settings, EXPECT)
    assert later.digests() == {}  # not whole: not held
    edited = _article("budget.txt", BUDGET + b"The vote was seven to four.\n", fake_embedder)  # edited meanwhile
    later.put_article("budget.txt", *edited)
    later.flush()
    last = open_store(settings, EXPECT)
    assert list(last.digests()) == ["budget.txt"]
    assert _rows_held(last) == (len(edited[1]), len(edited[3]))


def _rows_held(store: Store) -> tuple[int, int]:
    """Passages and sentence vectors a store holds, duplicates counted (Milvus keeps rows of equal keys)."""
    if hasattr(store, "milvus"):
        count = lambda name: len(store.milvus.query(name, filter="pk >= 0", output_fields=["pk"]))
        return count(store.passage_collection), count(store.sentence_collection)
    return store.size, sum(len(v) for v in store.sentence_vectors(np.arange(store.size)))


def test_a_browsers_store_holds_its_uploads_apart(settings, fake_embedder):
    base = open_store(settings, EXPECT)
    base.put_article("budget.txt", *_article("budget.txt", BUDGET, fake_embedder))
    base.flush()
    mine = open_store(settings, EXPECT, owner="browser-a-0123456789abcdef")
    mine.put_article("ferry.txt", *_article("ferry.txt", FERRY, fake_embedder, uploaded=True))
    mine.flush()
    assert "ferry.txt" in open_store(settings, EXPECT, owner="browser-a-0123456789abcdef").digests()
    for other in (open_store(settings, EXPECT), open_store(settings, EXPECT, owner="browser-b-0123456789abcdef")):
        assert "ferry.txt" not in other.digests()
        assert "Skalholt" not in " ".join(p.text for p in other.passages())
        assert not other.vocabulary().knows("skalholt")


def test_retrieval_ranks_alike_in_both_stores(tmp_path, fake_embedder, milvus_folder):
    """The same corpus and questions: the same passages first, fused scores within a small tolerance."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "paris.txt").write_bytes(SEED.read_bytes())
    (folder / "budget.txt").write_bytes(BUDGET)
    (folder / "ferry.txt").write_bytes(FERRY)
    engines = [Engine(Settings.resolve(articles=folder, store=store_setting(kind, milvus_folder)),
                      embedder=fake_embedder) for kind in ("faiss", "milvus")]
    for question in ("Who attended the talks in Paris?", "What budget did the council approve?",
                     "How many passengers does the ferry carry?", "Where will the talks continue?"):
        q = engines[0].analyse(question)
        vector = fake_embedder.encode_query(q.query)
        hits = [e.retriever.search(q.search_terms, vector, 5) for e in engines]
        texts = [[e.corpus.passages[h.row].text for h in found] for e, found in zip(engines, hits)]
        assert texts[0][:3] == texts[1][:3], question
        np.testing.assert_allclose([h.score for h in hits[0]], [h.score for h in hits[1]], rtol=1e-3, atol=1e-3)
    # Sentences are scored from the same vectors (FAISS keeps them in float16): near ties break alike.
    rows = np.arange(engines[0].corpus.store.size)
    for mine, theirs in zip(*(e.corpus.store.sentence_vectors(rows) for e in engines)):
        np.testing.assert_array_equal(mine, theirs)


def test_the_lexical_index_is_saved_and_loaded_not_rebuilt(tmp_path, fake_embedder, monkeypatch):
    settings = Settings.resolve(articles=tmp_path / "articles")
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "paris.txt").write_bytes(SEED.read_bytes())
    first = Engine(settings, embedder=fake_embedder)
    folder = store_folder(settings)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {VOCABULARY, *BM25_FILES.values()} <= set(manifest["files"])  # checksummed like the rest
    import qa.faiss_store

    def rebuilt(*args):
        raise AssertionError("a cached start rebuilt the lexical index")

    with monkeypatch.context() as patch:
        patch.setattr(qa.faiss_store, "_lexical", rebuilt)
        second = Engine(settings, embedder=fake_embedder)
    assert second.corpus.embedded == 0
    for question in ("Who attended the talks?", "Where will the talks continue next week?"):
        assert second.ask(question).to_dict() == first.ask(question).to_dict()
    assert second.retriever.vocabulary.state() == first.retriever.vocabulary.state()


def test_a_killed_writers_staging_folder_is_swept(tmp_path, fake_embedder):
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "paris.txt").write_bytes(SEED.read_bytes())
    settings = Settings.resolve(articles=tmp_path / "articles")
    Engine(settings, embedder=fake_embedder)
    staging = store_folder(settings) / ".bm25.k1ll3d.tmp"
    staging.mkdir()
    (staging / BM25_FILES["data_name"]).write_bytes(b"half a file")
    assert Engine(settings, embedder=fake_embedder).corpus.embedded == 0
    assert not staging.exists()


def test_a_damaged_lexical_file_is_rebuilt_not_served(tmp_path, fake_embedder):
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "paris.txt").write_bytes(SEED.read_bytes())
    settings = Settings.resolve(articles=tmp_path / "articles")
    Engine(settings, embedder=fake_embedder)
    path = stored_file(store_folder(settings), BM25_FILES["data_name"])
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    again = Engine(settings, embedder=fake_embedder)
    assert again.corpus.embedded == len(again.corpus.passages)  # the store failed its checks: rebuilt
    assert again.search("talks Paris")[0][0].article == "paris.txt"


def test_a_store_written_without_its_lexical_index_gets_one(tmp_path, fake_embedder):
    """An older writer's store (no BM25 or sentence-fact files): served, and they are added to it once."""
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "paris.txt").write_bytes(SEED.read_bytes())
    settings = Settings.resolve(articles=tmp_path / "articles")
    first = Engine(settings, embedder=fake_embedder)
    folder = store_folder(settings)
    data = read_store(folder, {})
    for name in (VOCABULARY, *BM25_FILES.values(), *FACTS_FILES):
        stored_file(folder, name).unlink()
    data.manifest.pop("files")
    write_store(folder, data)
    assert not FaissStore.open(folder, {}).saved
    second = Engine(settings, embedder=fake_embedder)
    assert second.corpus.embedded == 0
    assert second.ask("Who attended the talks?").to_dict() == first.ask("Who attended the talks?").to_dict()
    assert FaissStore.open(folder, {}).saved
    assert set(FACTS_FILES) <= set(json.loads((folder / "manifest.json").read_text())["files"])


def test_milvus_lexical_scale_past_its_top_hits_is_estimated_close(tmp_path, fake_embedder, monkeypatch,
                                                                     milvus_folder):
    """Only Milvus returns just its top hits: the mean and spread of the rest are estimated, the asked rows exact."""
    import qa.milvus_reads

    settings = Settings.resolve(articles=tmp_path, store=store_setting("milvus", milvus_folder))
    store = open_store(settings, EXPECT)
    for i in range(12):
        store.put_article(f"budget{i}.txt", *_article(f"budget{i}.txt", BUDGET + b"Vote %d.\n" % i, fake_embedder))
    store.put_article("ferry.txt", *_article("ferry.txt", FERRY, fake_embedder))
    store.flush()
    exact = store.lexical(["budget", "ferri"], 5, np.arange(store.size))
    monkeypatch.setattr(qa.milvus_reads, "LEXICAL_DEPTH", 4)
    cut = store.lexical(["budget", "ferri"], 4, np.arange(store.size))
    assert len(cut.rows) == 4
    np.testing.assert_allclose(cut.asked, exact.asked, rtol=1e-5)  # rows below the top are asked for
    assert abs(cut.mean - exact.mean) < 0.25 * exact.mean and abs(cut.spread - exact.spread) < 0.5 * exact.spread


@pytest.mark.parametrize("value", ["milvus", "milvus:", "milvus:store", "chroma", "faiss:x"])
def test_a_bad_store_setting_says_what_is_accepted(value):
    with pytest.raises(ValueError, match="faiss, milvus:PATH.db"):
        Settings.resolve(store=value)


def test_a_milvus_lite_file_is_kept_under_the_cache_folder(tmp_path):
    pytest.importorskip("pymilvus")
    from qa.milvus_schema import milvus_uri

    settings = Settings.resolve(cache_dir=tmp_path, store="milvus:qa.db")
    assert milvus_uri(settings) == str(tmp_path / "qa.db")
    assert milvus_uri(Settings.resolve(store="milvus:http://milvus:19530")) == "http://milvus:19530"


def test_a_passage_record_keeps_every_field_and_reads_back_as_the_passage(fake_embedder):
    """A field added to ``Passage`` and not to its record would be lost from every store without an error."""
    _, passages, _, _ = _article("ferry.txt", FERRY, fake_embedder)
    assert set(passage_record(passages[0])) == {f.name for f in dataclasses.fields(Passage)} - {"article"}
    for passage in passages:
        assert record_passage(json.loads(json.dumps(passage_record(passage))), "ferry.txt") == passage


def test_milvus_and_faiss_answer_alike_over_a_few_hundred_articles(tmp_path, fake_embedder, milvus_folder):
    """300 articles of one shape (towns, fairs, visitors, mayors): every answer and every cited sentence the
    same from both stores, the third citation included (their lexical sides rank the same passages)."""
    import random

    from qa.config import Settings
    from qa.engine import Engine
    from tests.conftest import store_setting

    rng = random.Random(7)
    folder = tmp_path / "articles"
    folder.mkdir()
    fairs = ["harbour fair", "book fair", "jazz festival", "film week", "food market", "boat race"]
    days = ["Monday", "Tuesday", "Friday", "Saturday", "Sunday"]
    towns = [f"Town{i:03d}" for i in range(300)]
    for i, town in enumerate(towns):
        fair, day = rng.choice(fairs), rng.choice(days)
        (folder / f"{town.lower()}.txt").write_text(
            f"{town} news\n\nThe {fair} in {town} drew {rng.randint(2, 90)} thousand visitors on {day}, "
            f"the mayor said. Tickets cost {rng.randint(3, 30)} euros.\n\n## Next year\n\n"
            f"The {fair} will return to {town} in {rng.choice(['May', 'June', 'July'])}, organisers said. "
            f"Mayor {rng.choice(['Ada', 'Tom', 'Eva', 'Ole'])} Berg{i} thanked the volunteers.\n")
    faiss = Engine(Settings.resolve(articles=folder, cache_dir=tmp_path / "faiss"), embedder=fake_embedder)
    milvus = Engine(Settings.resolve(articles=folder, cache_dir=tmp_path / "milvus",
                                     store=store_setting("milvus", milvus_folder)), embedder=fake_embedder)
    questions = [f"How many visitors did the fair in {town} draw?" for town in rng.sample(towns, 15)]
    questions += [f"When will the {fair} return?" for fair in fairs] + ["Who thanked the volunteers?",
                                                                       "How much did tickets cost?"]
    for question in questions:
        a, b = faiss.ask(question), milvus.ask(question)
        assert (a.answered, a.text) == (b.answered, b.text), question
        assert [(c.article, c.sentence) for c in a.citations] == [(c.article, c.sentence) for c in b.citations], question
