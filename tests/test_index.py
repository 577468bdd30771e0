"""The store on disk: saved atomically, verified on load, never served when damaged."""

import json

import numpy as np
import pytest

from embeddings.index import IndexCorrupt, Store, build_index, read_store, write_store
from tests.conftest import stored_file

EXPECT = {"model": "m", "dim": 8, "splitter": 1}


def _store(n=5):
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Store(
        manifest=dict(EXPECT, articles={"a.txt": {"digest": "x", "rows": [0, n]}}),
        records=[{"i": i} for i in range(n)],
        index=build_index(vectors),
        sentence_vectors=vectors.astype(np.float16),
    ), vectors


def test_round_trip(tmp_path):
    store, vectors = _store()
    write_store(tmp_path, store)
    loaded = read_store(tmp_path, EXPECT)
    assert loaded.records == store.records
    np.testing.assert_allclose(loaded.all_vectors(), vectors, atol=1e-6)
    ids, scores = loaded.search(vectors[3], 2)
    assert ids[0] == 3 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert not list(tmp_path.glob(".*tmp"))  # no temporary files left behind


@pytest.mark.parametrize("name", ["index.faiss", "records.jsonl", "sentences.npy"])
def test_truncated_file_is_detected(tmp_path, name):
    store, _ = _store()
    write_store(tmp_path, store)
    path = stored_file(tmp_path, name)
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(IndexCorrupt, match="truncated"):
        read_store(tmp_path, EXPECT)


def test_a_write_killed_midway_leaves_the_store_before_it_whole(tmp_path):
    """Each write names its files anew and the manifest last: a crash before it changes nothing read."""
    store, vectors = _store()
    write_store(tmp_path, store)
    bigger, _ = _store(9)

    def killed(tmp: str) -> None:
        raise KeyboardInterrupt  # the process dies after the index, sentences and records are written

    with pytest.raises(KeyboardInterrupt):
        write_store(tmp_path, bigger, extra={"more.json": killed})
    again = read_store(tmp_path, EXPECT)
    assert again.size == 5 and again.records == store.records
    np.testing.assert_allclose(again.all_vectors(), vectors, atol=1e-6)

    write_store(tmp_path, bigger)  # the next write keeps only its own files
    listed = {info["file"] for info in read_store(tmp_path, EXPECT).manifest["files"].values()}
    assert {p.name for p in tmp_path.iterdir()} == listed | {"manifest.json"}
    assert read_store(tmp_path, EXPECT).size == 9


def test_flipped_byte_is_detected(tmp_path):
    store, _ = _store()
    write_store(tmp_path, store)
    path = stored_file(tmp_path, "index.faiss")
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match="checksum"):
        read_store(tmp_path, EXPECT)


def test_other_model_is_stale(tmp_path):
    store, _ = _store()
    write_store(tmp_path, store)
    with pytest.raises(IndexCorrupt, match="model"):
        read_store(tmp_path, dict(EXPECT, model="other"))


def test_garbage_manifest_and_missing_store(tmp_path):
    with pytest.raises(IndexCorrupt, match="no index"):
        read_store(tmp_path, EXPECT)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorrupt, match="unreadable"):
        read_store(tmp_path, EXPECT)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": 999}))
    with pytest.raises(IndexCorrupt, match="format"):
        read_store(tmp_path, EXPECT)


def test_large_corpora_get_hnsw(monkeypatch):
    import embeddings.index as index_module

    monkeypatch.setattr(index_module, "HNSW_ABOVE", 10)
    _, vectors = _store(50)
    index = index_module.build_index(vectors)
    assert index_module.index_kind(index) == "HNSW"
    _, ids = index.search(vectors[:5], 1)
    assert list(ids[:, 0]) == [0, 1, 2, 3, 4]


def test_edited_manifest_is_detected(tmp_path):
    """Still valid JSON, every file intact: a changed row is caught by the manifest's own checksum."""
    store, _ = _store()
    store.manifest["articles"]["b.txt"] = {"digest": "y", "rows": [5, 5]}
    write_store(tmp_path, store)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    articles = manifest["articles"]
    articles["a.txt"]["rows"], articles["b.txt"]["rows"] = articles["b.txt"]["rows"], articles["a.txt"]["rows"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorrupt, match="manifest does not match its checksum"):
        read_store(tmp_path, EXPECT)


def test_manifest_without_checksum_is_not_served(tmp_path):
    store, _ = _store()
    write_store(tmp_path, store)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    del manifest["checksum"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorrupt, match="checksum"):
        read_store(tmp_path, EXPECT)
    manifest["format"] = 1  # a store from before manifests had checksums: rebuilt once
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexCorrupt, match="format 1"):
        read_store(tmp_path, EXPECT)
