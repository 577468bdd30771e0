"""python -m qa index: only changed articles embedded, gone ones removed, an interrupted run resumed, Ray = in-process.

The plumbing runs with the fake model in-process, on both stores. The Ray
test starts one local Ray for the session (a few seconds) and checks that
its pipeline stores the same passages and vectors as the in-process build.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.engine import Engine
from qa.ingest import index_articles, open_for_writing
from tests.conftest import DATA, PROJECT

ARTICLES = DATA / "articles"


@pytest.fixture
def folder(tmp_path):
    copy = tmp_path / "articles"
    shutil.copytree(ARTICLES, copy)
    return copy


def _index(folder, embedder, **kw):
    settings = Settings.resolve(articles=folder)
    with open_for_writing(settings, embedder) as store:
        report = index_articles(settings, store, embedder, **kw)
        return report, store.digests()


def _passages(report_names, folder, fake_embedder):
    """How many passages these articles have (what embedding them costs)."""
    engine = Engine(Settings.resolve(articles=folder), embedder=fake_embedder)
    return sum(a.passages for a in engine.articles if a.name in report_names)


@pytest.mark.usefixtures("each_store")
def test_rerun_embeds_only_changed_articles_and_drops_gone_ones(folder, fake_embedder):
    first, held = _index(folder, fake_embedder)
    assert sorted(first.indexed) == sorted(p.name for p in ARTICLES.iterdir()) == sorted(held)
    assert fake_embedder.encoded == first.passages > 0

    again, _ = _index(folder, fake_embedder)
    assert again.indexed == [] and again.unchanged == 3 and fake_embedder.encoded == first.passages

    with open(folder / "river-flood.txt", "a", encoding="utf-8") as fh:
        fh.write("\nThe mayor thanked the volunteers who filled sandbags overnight.\n")
    (folder / "city-budget.txt").unlink()
    third, held = _index(folder, fake_embedder)
    assert third.indexed == ["river-flood.txt"] and third.removed == ["city-budget.txt"]
    assert sorted(held) == ["harbour-ferry.md", "river-flood.txt"]
    assert fake_embedder.encoded == first.passages + third.passages

    # The app opens what was indexed without embedding anything, the new text included.
    engine = Engine(Settings.resolve(articles=folder), embedder=fake_embedder)
    assert engine.corpus.embedded == 0 and fake_embedder.encoded == first.passages + third.passages
    assert sorted(a.name for a in engine.articles) == sorted(held)
    assert any("sandbags overnight" in p.text for p in engine.corpus.passages)


KILLED_AFTER_FIRST_FLUSH = textwrap.dedent("""
    import os, signal, sys
    from qa.config import Settings
    from qa.ingest import index_articles, open_for_writing
    from tests.conftest import FakeEmbedder
    settings = Settings.resolve(articles=sys.argv[1])
    def kill(report):
        print(",".join(report.indexed), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    with open_for_writing(settings, FakeEmbedder()) as store:
        index_articles(settings, store, FakeEmbedder(), flush_seconds=0, on_flush=kill)
""")


def test_run_killed_midway_resumes_where_it_was_flushed(folder, fake_embedder, each_store, tmp_path, monkeypatch):
    if each_store.startswith("milvus:"):  # Milvus Lite opens a file in one process at a time: one of its own
        monkeypatch.setenv("QA_STORE", f"milvus:{tmp_path / 'killed.db'}")
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_FIRST_FLUSH, str(folder)], cwd=PROJECT,
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr[-2000:]
    flushed = killed.stdout.split()[0].split(",")
    assert len(flushed) == 1

    rerun, held = _index(folder, fake_embedder)
    assert rerun.unchanged == 1 and sorted(rerun.indexed) == sorted(set(held) - set(flushed))
    assert len(held) == 3
    assert fake_embedder.encoded == rerun.passages == _passages(rerun.indexed, folder, fake_embedder)


@pytest.mark.model
def test_index_command_reports_and_the_app_then_answers_from_the_store(capsys, embedder, folder):
    from qa.__main__ import main

    assert main(["index", "--articles", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("indexed 3 article(s)") and "indexing articles 3/3" in err
    assert main(["index", "--articles", str(folder)]) == 0
    assert "indexed 0 article(s) (0 passages), 3 unchanged, 0 removed" in capsys.readouterr().out
    engine = Engine(Settings.resolve(articles=folder), embedder=embedder)
    assert engine.corpus.embedded == 0 and len(engine.articles) == 3


def test_unusable_articles_are_skipped_with_a_warning(folder, fake_embedder):
    (folder / "empty.txt").write_text("")
    report, held = _index(folder, fake_embedder)
    assert "empty.txt" not in held and len(held) == 3
    assert any(w.startswith("skipped empty.txt") for w in report.warnings)


def test_in_process_index_never_imports_ray(folder, tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from qa.config import Settings
        from qa.ingest import index_articles, open_for_writing
        from tests.conftest import FakeEmbedder
        settings = Settings.resolve(articles={str(folder)!r}, cache_dir={str(tmp_path / 'cache')!r})
        with open_for_writing(settings, FakeEmbedder()) as store:
            report = index_articles(settings, store, FakeEmbedder())
        assert len(report.indexed) == 3, report
        assert not any(m == "ray" or m.startswith("ray.") for m in sys.modules), "ray was imported"
    """)
    run = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]


# -- Ray ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def local_ray():
    """One local Ray for the session, its files in a short temporary folder (Unix socket paths are short)."""
    if importlib.util.find_spec("ray") is None:
        pytest.skip("Ray ingestion needs the [scale] extra")
    from qa.ingest_ray import LOCAL, start

    scratch = tempfile.mkdtemp(prefix="qa-ray-")
    start(LOCAL, scratch)  # before anything imports Ray: it reads its loopback and token settings then
    import ray

    yield
    ray.shutdown()
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.mark.model
@pytest.mark.usefixtures("each_store")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Ray Data's own settings, read when it starts
def test_ray_pipeline_stores_what_the_in_process_build_stores(local_ray, embedder, tmp_path):
    cache = embedder.runner.path.parents[2]  # where the session's ONNX export is: Ray's actors load it
    stores = {}
    for how in ("here", "ray"):
        folder = tmp_path / how / "articles"  # another folder: another store
        shutil.copytree(ARTICLES, folder)
        settings = Settings.resolve(articles=folder, cache_dir=cache)
        with open_for_writing(settings, embedder) as store:
            report = index_articles(settings, store, embedder, ray_address="local" if how == "ray" else None)
            assert sorted(report.indexed) == sorted(p.name for p in ARTICLES.iterdir())
            stores[how] = {name: store.article(name) for name in store.digests()}
    here, ray = stores["here"], stores["ray"]
    assert here.keys() == ray.keys()
    for name in here:
        assert ray[name].info == here[name].info
        assert [p.text for p in ray[name].passages] == [p.text for p in here[name].passages]
        assert ray[name].passages == here[name].passages
        np.testing.assert_allclose(ray[name].vectors, here[name].vectors, atol=1e-5)
        np.testing.assert_allclose(ray[name].sentence_vectors, here[name].sentence_vectors, atol=1e-3)


@pytest.mark.model
def test_local_ray_keeps_to_loopback_and_the_cache_folder(embedder, folder, tmp_path):
    """The command as a user runs it: Ray's files under <cache>/ray, nothing in $HOME or $TMPDIR, loopback only."""
    if importlib.util.find_spec("ray") is None:
        pytest.skip("Ray ingestion needs the [scale] extra")
    cache = Path(tempfile.mkdtemp(prefix="qa-cache-"))  # short: Ray's socket paths live under it
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir(), tmp.mkdir()
    shutil.copytree(embedder.runner.path.parents[1], cache / "onnx")  # the session's export: no second one
    script = textwrap.dedent("""
        import sys
        from qa.__main__ import main
        code = main(sys.argv[1:])
        import ray
        print("nodes", sorted({n["NodeManagerAddress"] for n in ray.nodes()}))
        sys.exit(code)
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(HOME=str(home), TMPDIR=str(tmp))
    try:
        run = subprocess.run([sys.executable, "-c", script, "index", "--articles", str(folder), "--cache-dir",
                              str(cache), "--ray", "local"], cwd=PROJECT, env=env, capture_output=True, text=True,
                             timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        assert "indexed 3 article(s)" in run.stdout and "nodes ['127.0.0.1']" in run.stdout, run.stdout
        assert list((cache / "ray").glob("session_*/logs")), "Ray's session is not under the cache folder"
        assert not list(home.rglob("*")) and not list(tmp.rglob("*")), "Ray wrote outside the cache folder"
    finally:
        shutil.rmtree(cache, ignore_errors=True)
