"""Uploads: private per browser (text and vocabulary), shared only when asked, bounded, expiring (fake model)."""

import os
import re
import shutil
import threading
import time

import pytest

from qa.browsers import Browsers
from qa.config import Settings
from qa.engine import Engine
from qa.errors import ArticleError, QAError
from qa.folders import store_folder, upload_folder
from qa.uploads import browser_secret, new_owner, remove_unused, valid_owner
from tests.conftest import SEED, stored_file

A, B = "browser-a-0123456789abcdef", "browser-b-0123456789abcdef"
FERRY = b"Harbour news\n\nThe new ferry to Skalholt starts in May, said Captain Ingrid Vasquez.\n"


@pytest.fixture
def base(tmp_path, fake_embedder):
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SEED, folder / "paris.txt")
    return lambda **kw: Engine(Settings.resolve(articles=folder, **kw), embedder=fake_embedder)


def _add(browsers, browser, name, data):
    upload = browsers.submit(browser, name, data)
    assert upload.finished.wait(30)
    return upload


QUESTIONS = ("When does the ferry to Skalholt start?", "Who is Ingrid Vasquez?", "Who attended the talks?")


@pytest.mark.usefixtures("each_store")
def test_a_browsers_upload_reaches_only_its_own_answers(base):
    browsers = Browsers(base())
    unseen = {q: browsers.base.ask(q).to_dict() for q in QUESTIONS}  # before anyone uploaded anything
    upload = _add(browsers, A, "ferry.txt", FERRY)
    assert upload.error is None and upload.info.uploaded and not upload.replaced
    mine, theirs, api = browsers.engine(A), browsers.engine(B), browsers.base
    assert [a.name for a in mine.articles] == ["paris.txt", "ferry.txt"]
    assert mine.search("ferry Skalholt")[0][0].article == "ferry.txt"
    for other in (theirs, api):
        assert [a.name for a in other.articles] == ["paris.txt"]
        # word for word what they were before A's upload: neither its text nor its vocabulary
        # (typo repair, "never mention" lists) reaches them
        assert {q: other.ask(q).to_dict() for q in QUESTIONS} == unseen
    assert mine.ask("When does the ferry to Skalholt start?").answered
    # nothing of A's on B's side of the disk
    assert not upload_folder(base().settings, B).exists()


@pytest.mark.usefixtures("each_store")
def test_shared_uploads_reach_everyone_only_when_asked_for(base):
    browsers = Browsers(base(shared_uploads=True))
    assert _add(browsers, A, "ferry.txt", FERRY).error is None
    for engine in (browsers.engine(A), browsers.engine(B), browsers.base):
        assert engine.search("ferry Skalholt")[0][0].article == "ferry.txt"
    # the file is still A's: B's same name is refused, not a silent replacement
    refused = _add(browsers, B, "ferry.txt", b"Ferry\n\nSomething else about ferries.\n")
    assert "already the name of an uploaded article" in str(refused.error)
    assert (upload_folder(browsers.settings, A) / "ferry.txt").read_bytes() == FERRY


@pytest.mark.usefixtures("each_store")
def test_same_name_replaces_your_own_file_and_says_so(base):
    browsers = Browsers(base())
    _add(browsers, A, "ferry.txt", FERRY)
    _add(browsers, B, "ferry.txt", b"Ferry\n\nThe ferry to Vik is cancelled.\n")
    again = _add(browsers, A, "ferry.txt", FERRY.replace(b"May", b"June"))
    assert again.error is None and again.replaced
    assert "June" in browsers.engine(A).ask("When does the ferry to Skalholt start?").text
    assert "Vik" in browsers.engine(B).corpus.passages[-1].text  # B's own file, untouched


@pytest.mark.parametrize("limits, uploads, message", [
    (dict(max_upload_files=2), [("a.txt", 100), ("b.txt", 100), ("c.txt", 100)],
     "this browser's uploads already hold 2 files, the limit is 2"),
    (dict(max_upload_bytes=1000), [("a.txt", 600), ("b.txt", 600)],
     "this browser's uploads would hold 1.2 KB, the limit is 1 KB"),
    (dict(max_uploads_total_bytes=1000), [("a.txt", 600), ("b.txt", 600)],
     "this server's uploads would hold 1.2 KB, the limit for all uploads together is 1 KB"),
    (dict(max_article_bytes=20_000), [("a.txt", 25_000)], "a.txt is 25 KB; articles are limited to 20 KB"),
])
def test_limits_refuse_with_a_clear_message_and_change_nothing(base, limits, uploads, message):
    browsers = Browsers(base(**limits))
    results = []
    for i, (name, size) in enumerate(uploads):
        browser = A if "total" not in str(limits) or i == 0 else B  # the total limit counts every browser
        text = b"News\n\n" + b"The council met again today. " * (size // 29)
        results.append(_add(browsers, browser, name, text[:size]))
    last = results[-1]
    assert isinstance(last.error, ArticleError) and message in str(last.error), last.error
    assert all(r.error is None for r in results[:-1])
    assert not (upload_folder(browsers.settings, A) / uploads[-1][0]).exists()
    assert not (upload_folder(browsers.settings, B) / uploads[-1][0]).exists()


def test_replacing_a_file_counts_once_against_the_limits(base):
    browsers = Browsers(base(max_upload_files=1))
    assert _add(browsers, A, "a.txt", FERRY).error is None
    assert _add(browsers, A, "a.txt", FERRY.replace(b"May", b"June")).error is None


@pytest.mark.usefixtures("each_store")
def test_uploads_unused_for_the_set_days_are_removed(base):
    engine = base(upload_days=30)
    browsers = Browsers(engine)
    _add(browsers, A, "old.txt", FERRY)
    _add(browsers, A, "cited.txt", b"Bridge\n\nThe Vik bridge opens on Friday, officials said.\n")
    _add(browsers, B, "recent.txt", b"Market\n\nThe fish market moves to the pier in autumn.\n")
    month_ago = time.time() - 31 * 86400
    for owner, name in ((A, "old.txt"), (A, "cited.txt")):
        os.utime(upload_folder(engine.settings, owner) / name, (month_ago, month_ago))
    answer = browsers.engine(A).ask("When does the Vik bridge open?")
    browsers.answered(browsers.engine(A), answer)  # cited: counts as used now
    assert browsers.remove_unused() == 1
    assert not (upload_folder(engine.settings, A) / "old.txt").exists()
    assert (upload_folder(engine.settings, A) / "cited.txt").exists()
    assert [a.name for a in browsers.engine(A).articles] == ["paris.txt", "cited.txt"]
    # a browser whose last upload goes loses its folder (and its store) entirely
    os.utime(upload_folder(engine.settings, B) / "recent.txt", (month_ago, month_ago))
    remove_unused(engine.settings)
    assert not store_folder(engine.settings, B).exists()


def test_browser_ids_are_checked_before_they_name_a_folder(base):
    assert valid_owner(new_owner()) and new_owner() != new_owner()
    for bad in ("../../etc", "a" * 10, "x/" * 10, None, 42, "", "a" * 65):
        assert valid_owner(bad) is None
    browsers = Browsers(base())
    upload = _add(browsers, "../../outside-0123456789", "ferry.txt", FERRY)
    assert upload.browser is None  # an invalid id is nobody's: the shared uploads
    assert not any(p.name == "outside-0123456789" for p in browsers.settings.cache_dir.parent.rglob("*"))


def test_browser_secret_survives_restarts(base):
    settings = base().settings
    assert browser_secret(settings) == browser_secret(settings)
    assert oct((settings.cache_dir / "browser-secret").stat().st_mode & 0o777) == "0o600"


def test_uploads_wait_their_turn_with_a_progress_line(base, fake_embedder):
    browsers = Browsers(base())
    gate = __import__("threading").Event()
    encode = fake_embedder.encode_with_parts
    embedding = threading.Event()

    def slow(*args, **kwargs):
        embedding.set()
        gate.wait(10)
        return encode(*args, **kwargs)

    fake_embedder.encode_with_parts = slow
    first = browsers.submit(A, "one.txt", FERRY)
    second = browsers.submit(B, "two.txt", FERRY.replace(b"Skalholt", b"Vik"))
    assert embedding.wait(10)  # the first is being embedded, held there
    assert second.text == "two.txt: waiting to be indexed (1 upload ahead)"
    assert re.fullmatch(r"one\.txt: (reading articles|indexing articles|embedding passages) \d+/\d+", first.text), first.text
    gate.set()
    assert first.finished.wait(10) and second.finished.wait(10)
    assert first.error is None and second.error is None


def test_a_full_queue_says_busy(base, monkeypatch):
    import qa.browsers

    monkeypatch.setattr(qa.browsers, "MAX_WAITING_BYTES", 0)
    upload = Browsers(base()).submit(A, "one.txt", FERRY)
    assert upload.finished.is_set() and isinstance(upload.error, QAError) and "try again" in str(upload.error)


def test_a_selection_of_many_small_files_is_queued_up_to_the_browsers_limit(base):
    """52 small files chosen at once: the first 50 (the browser's file limit) are added, the rest say why."""
    browsers = Browsers(base(max_upload_files=50))
    uploads = [browsers.submit(A, f"note{i:02d}.txt", FERRY.replace(b"ferry", f"ferry {i}".encode()))
               for i in range(52)]
    assert all(u.finished.wait(120) for u in uploads)
    added = [u for u in uploads if u.error is None]
    assert len(added) == 50, [str(u.error) for u in uploads if u.error][:3]
    assert all("50 files" in str(u.error) or "waiting" in str(u.error) for u in uploads if u.error)


def test_python_add_article_shares_and_is_bounded_too(base):
    engine = base(max_upload_files=1)
    engine.add_article("ferry.txt", FERRY)
    assert (upload_folder(engine.settings) / "ferry.txt").exists()
    with pytest.raises(ArticleError, match="the shared uploads already hold 1 files"):
        engine.add_article("other.txt", FERRY)


def test_a_damaged_private_store_is_rebuilt_not_served(base):
    browsers = Browsers(base())
    _add(browsers, A, "ferry.txt", FERRY)
    stored_file(store_folder(browsers.settings, A), "index.faiss").write_bytes(b"garbage")
    restarted = Browsers(base())  # a new app over the same cache
    engine = restarted.engine(A)
    # rebuilt: only A's own article is embedded again, the base's vectors come from the base store
    assert engine.corpus.embedded == next(a.passages for a in engine.articles if a.name == "ferry.txt")
    assert engine.search("ferry Skalholt")[0][0].article == "ferry.txt"
    assert [a.name for a in engine.articles] == ["paris.txt", "ferry.txt"]


def test_a_browsers_own_engine_is_read_again_off_the_callers_thread(base, fake_embedder):
    """After a restart a browser's store that must be rebuilt is rebuilt on the indexing thread, with progress:
    a page event waiting briefly gets the base articles at once, and a question is told why it waits."""
    browsers = Browsers(base())
    _add(browsers, A, "ferry.txt", FERRY)
    stored_file(store_folder(browsers.settings, A), "index.faiss").write_bytes(b"garbage")  # must be rebuilt
    gate, embedding = threading.Event(), threading.Event()
    encode = fake_embedder.encode_with_parts

    def slow(*args, **kwargs):
        embedding.set()
        gate.wait(30)
        return encode(*args, **kwargs)

    fake_embedder.encode_with_parts = slow
    restarted = Browsers(base())  # a new app over the same cache
    began = time.monotonic()
    assert restarted.engine(A, wait=0.2) is restarted.base  # the caller is not kept waiting
    assert time.monotonic() - began < 5
    assert embedding.wait(10)
    [job] = restarted.pending(A)
    assert job.reload and job.note.startswith("your uploads, read again: ")
    assert restarted.own(A, wait=0) == set()  # nothing to remove until it is read
    gate.set()
    engine = restarted.engine(A)  # waits until it is read
    assert [a.name for a in engine.articles] == ["paris.txt", "ferry.txt"] and not restarted.pending(A)
    assert restarted.own(A) == {"ferry.txt"}
