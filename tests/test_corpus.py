"""Opening a corpus: cached, incremental, safe against damage and against a second builder (fake model: fast)."""

import json
import multiprocessing
import os
import shutil
import threading
import time

import pytest

from embeddings.files import cache_lock
from qa.config import Settings
from qa.engine import Engine
from qa.errors import ArticleError
from qa.folders import store_folder, upload_folder
from qa.ingest_steps import Stamps
from tests.conftest import SEED, FakeEmbedder, stored_file


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


@pytest.mark.usefixtures("each_store")
def test_second_open_embeds_nothing(articles, fake_embedder):
    first = _engine(articles, fake_embedder)
    assert first.corpus.embedded == len(first.corpus.passages) > 0
    embedded = fake_embedder.encoded
    second = _engine(articles, fake_embedder)
    assert second.corpus.embedded == 0 and fake_embedder.encoded == embedded
    assert [p.text for p in second.corpus.passages] == [p.text for p in first.corpus.passages]
    assert [a.title for a in second.articles] == ["City budget", "Paris"]


@pytest.mark.usefixtures("each_store")
def test_editing_one_article_reembeds_only_it(articles, fake_embedder):
    first = _engine(articles, fake_embedder)
    budget_passages = next(a.passages for a in first.articles if a.name == "budget.md")
    with open(articles / "budget.md", "a") as fh:
        fh.write("\nThe opposition voted against it.\n")
    second = _engine(articles, fake_embedder)
    assert second.corpus.embedded == budget_passages
    assert "The opposition voted against it." in " ".join(p.text for p in second.corpus.passages)


def test_a_settled_article_is_stamped_and_an_edit_of_the_same_size_is_still_seen(articles, fake_embedder):
    """Cached starts skip reading files whose size and time are as stamped; an edit changes the time."""
    settled = time.time_ns() - 3_600 * 10**9
    os.utime(articles / "budget.md", ns=(settled, settled))
    first = _engine(articles, fake_embedder)
    stamps = json.loads((store_folder(first.settings) / Stamps.NAME).read_text())
    assert str(articles / "budget.md") in stamps  # settled: stamped
    assert str(articles / "paris.txt") not in stamps  # just copied: could change within its clock tick
    assert _engine(articles, fake_embedder).corpus.embedded == 0
    text = (articles / "budget.md").read_text()
    (articles / "budget.md").write_text(text.replace("12 million", "15 million"))  # same size
    os.utime(articles / "budget.md", ns=(settled + 10**9, settled + 10**9))
    again = _engine(articles, fake_embedder)
    body = " ".join(p.text for p in again.corpus.passages)
    assert "15 million" in body and "12 million" not in body


def test_corrupted_cache_is_rebuilt_not_served(articles, fake_embedder):
    first = _engine(articles, fake_embedder)
    folder = store_folder(first.settings)
    stored_file(folder, "index.faiss").write_bytes(b"garbage")
    second = _engine(articles, fake_embedder)
    assert second.corpus.embedded == len(second.corpus.passages)
    answer = second.ask("What budget did the council approve?")
    assert "12 million euros" in answer.text and answer.citations[0].article == "budget.md"
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


@pytest.mark.usefixtures("each_store")
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


@pytest.mark.usefixtures("each_store")
def test_upload_adds_and_persists(articles, fake_embedder):
    engine = _engine(articles, fake_embedder)
    info = engine.add_article("harbour.txt", b"Harbour news\n\nThe new ferry to Skalholt starts in May.\n")
    assert info.uploaded and info.passages == 1
    hits = engine.search("ferry Skalholt")
    assert hits[0][0].article == "harbour.txt"
    again = _engine(articles, fake_embedder)
    assert "harbour.txt" in [a.name for a in again.articles] and again.corpus.embedded == 0


@pytest.mark.usefixtures("each_store")
@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.txt", b"", "empty"),
        ("bin.txt", b"\x00\x01\x02\x03" * 100, "binary"),
        ("photo.png", b"\x89PNG\r\n\x1a\n", "only .txt, .md"),
        ("doc.pdf", b"%PDF-1.4 text", "damaged PDF"),
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


def test_an_upload_of_too_many_passages_is_refused_before_it_is_written(articles, fake_embedder):
    engine = _engine(articles, fake_embedder, max_upload_passages=50)  # the fake model's window: 64 tokens
    before = [a.name for a in engine.articles]
    with pytest.raises(ArticleError, match="would make at least 156 passages; an upload is limited to 50"):
        engine.add_article("tiny.txt", "\n\n".join(["One line."] * 5_000).encode())
    assert [a.name for a in engine.articles] == before
    assert not (store_folder(engine.settings) / "uploads" / "tiny.txt").exists()


def test_swapped_manifest_rows_are_rebuilt_not_served(articles, fake_embedder):
    """Two articles' rows swapped in a manifest that is still valid JSON: rebuilt, answers cite the right file."""
    first = _engine(articles, fake_embedder)
    path = store_folder(first.settings) / "manifest.json"
    manifest = json.loads(path.read_text())
    a, b = manifest["articles"]["budget.md"], manifest["articles"]["paris.txt"]
    for key in ("rows", "sentence_rows"):
        a[key], b[key] = b[key], a[key]
    path.write_text(json.dumps(manifest))
    second = _engine(articles, fake_embedder)
    assert second.corpus.embedded == len(second.corpus.passages)  # not served: rebuilt
    answer = second.ask("What budget did the council approve?")
    assert "12 million euros" in answer.text and answer.citations[0].article == "budget.md"


def test_leftovers_of_a_killed_build_are_swept(articles, fake_embedder):
    first = _engine(articles, fake_embedder)
    folder = store_folder(first.settings)
    uploads = upload_folder(first.settings)
    uploads.mkdir(parents=True)
    leftovers = [folder / ".index.faiss.k1ll3d.tmp", folder / ".manifest.json.x.tmp", uploads / ".upload-abc123"]
    for path in leftovers:
        path.write_bytes(b"half a file")
    again = _engine(articles, fake_embedder)
    assert again.corpus.embedded == 0  # the store itself was fine
    assert not [p for p in leftovers if p.exists()]


def test_a_held_lock_makes_the_builder_wait_and_say_so(articles, fake_embedder):
    """While another holds the store's lock the builder says "waiting" and reads nothing; it builds once let in."""
    settings = Settings.resolve(articles=articles)
    holding, waiting, leaving = threading.Event(), threading.Event(), threading.Event()

    def hold():
        with cache_lock(store_folder(settings)):
            holding.set()
            assert waiting.wait(30)  # the builder has said it waits: only then let it in
            leaving.set()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5)
    stages = []

    def progress(stage, done, total):
        stages.append((stage, leaving.is_set()))
        if stage == "waiting":
            waiting.set()

    engine = Engine(settings, progress=progress, embedder=fake_embedder)
    holder.join()
    assert stages[0] == ("waiting", False)
    assert stages[1:] and all(let_in for _, let_in in stages[1:]), stages  # nothing read before the lock was free
    assert engine.search("council budget")[0][0].article == "budget.md"


class _GatedEmbedder(FakeEmbedder):
    """Embeds only once the other builder has said it waits: the two builds surely overlap."""

    def __init__(self, other_waiting):
        super().__init__()
        self.other_waiting = other_waiting

    def encode_with_parts(self, texts, parts, batch_size=32, progress=None, build_chars=None):
        assert self.other_waiting.wait(60)
        return super().encode_with_parts(texts, parts, batch_size, progress, build_chars)


def _build(articles, cache, start, out, waiting):
    start.wait(30)
    stages = []

    def progress(stage, done, total):
        stages.append(stage)
        if stage == "waiting":
            waiting.set()

    engine = Engine(Settings.resolve(articles=articles, cache_dir=cache, threads=1), progress=progress,
                    embedder=_GatedEmbedder(waiting))
    out.put((engine.corpus.embedded, "waiting" in stages, engine.search("council budget")[0][0].article))


def test_two_processes_building_at_once_embed_once(articles, tmp_path):
    """The second builder waits for the first one's store and serves it, instead of interleaving its files."""
    context = multiprocessing.get_context("spawn")
    start, out, waiting = context.Event(), context.Queue(), context.Event()
    builders = [context.Process(target=_build, args=(articles, tmp_path / "cache", start, out, waiting))
                for _ in range(2)]
    for process in builders:
        process.start()
    start.set()
    results = sorted(out.get(timeout=120) for _ in builders)
    for process in builders:
        process.join(60)
    (waited_embedded, waited, _), (built_embedded, _, _) = results
    assert waited_embedded == 0 and waited and built_embedded > 0
    assert {r[2] for r in results} == {"budget.md"}


@pytest.mark.usefixtures("each_store")
def test_folder_file_and_upload_with_one_name_are_both_kept(articles, fake_embedder):
    """An upload named like a folder file added later: both listed, neither hides the other, and a warning."""
    engine = _engine(articles, fake_embedder)
    engine.add_article("harbour.txt", b"Harbour news\n\nThe new ferry to Skalholt starts in May.\n")
    (articles / "harbour.txt").write_text("Harbour works\n\nThe old pier in Vik will close in August.\n")
    again = _engine(articles, fake_embedder)
    names = {a.name: a.uploaded for a in again.articles}
    assert names["harbour.txt"] is False and names["harbour (2).txt"] is True
    assert any("harbour.txt" in w and "harbour (2).txt" in w for w in again.warnings)
    assert again.search("ferry Skalholt")[0][0].article == "harbour (2).txt"
    assert again.search("pier Vik")[0][0].article == "harbour.txt"
    with pytest.raises(ArticleError, match="already the name of one of the articles in the folder"):
        again.add_article("paris.txt", b"Paris\n\nSomething else entirely.\n")


def test_reloads_keep_no_cyclic_garbage_for_good(articles, fake_embedder):
    """A long-running app reloads (uploads, edits): garbage made before each load is freed, not frozen with it."""
    import gc
    import weakref

    engine = _engine(articles, fake_embedder)

    class Node:
        pass

    probes = []
    for _ in range(3):
        node = Node()
        node.me = node  # a cycle: only the collector frees it
        probes.append(weakref.ref(node))
        del node
        engine.reload()
    gc.collect()
    assert [probe() for probe in probes] == [None, None, None]


def test_only_errors_are_bounded_and_name_the_expected_type(articles, fake_embedder):
    engine = _engine(articles, fake_embedder)
    with pytest.raises(TypeError, match="only must be a list of article file names, not int"):
        engine.ask("What budget did the council approve?", only=5)
    with pytest.raises(ArticleError) as caught:
        engine.ask("What budget did the council approve?", only=[f"missing-{i}.txt" for i in range(100_000)])
    message = str(caught.value)
    assert len(message) < 1_000 and "and 99,990 more" in message and "budget.md" in message


def test_a_library_load_leaves_the_garbage_collector_as_it_was(articles, fake_embedder):
    """gc.freeze is process-wide: only a process the app or CLI owns (freeze_gc) has its corpus frozen."""
    import gc

    gc.unfreeze()
    _engine(articles, fake_embedder)
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    _engine(articles, fake_embedder, freeze_gc=True, cache_dir=articles / "other-cache")
    assert gc.get_freeze_count() > 0 and gc.isenabled()
    gc.unfreeze()
