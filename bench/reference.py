"""The reference pipelines' index builds, timed on this machine in the bench's own run.

``python bench/reference.py PIPELINE PARAGRAPHS.json MODEL_DIR`` indexes the
same paragraphs the engine's build reads, with the same model, and prints one
JSON line: the seconds the indexing call took (the model already loaded, as
the engine's build is timed) and the texts it indexed. Each pipeline keeps its
library's defaults:

- ``sentence-transformers``: ``SentenceTransformer.encode`` (batch 32), each
  paragraph once: the model's work every pipeline below does, and nothing else.
- ``txtai``: ``Embeddings(path=MODEL_DIR).index(paragraphs)``.
- ``langchain``: ``FAISS.from_texts(paragraphs, HuggingFaceEmbeddings(model_name=MODEL_DIR))``.

It runs in its own venv (``bench/reference.txt``, made by ``bench/run.py``),
so txtai's and LangChain's pins never touch the engine's packages, and it
imports nothing of the engine. Leaves out: querying (only builds are compared).
"""

from __future__ import annotations

import json
import sys
import time
from importlib import metadata


def build(pipeline: str, paragraphs: list[str], model_dir: str):
    """A zero-argument function that indexes ``paragraphs`` (the model is loaded before it is returned)."""
    if pipeline == "sentence-transformers":
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(model_dir, device="cpu")
        return lambda: model.encode(paragraphs, normalize_embeddings=True)
    if pipeline == "txtai":
        from txtai import Embeddings

        embeddings = Embeddings(path=model_dir)
        embeddings.index(paragraphs[:8])  # loads the model
        return lambda: embeddings.index(paragraphs)
    if pipeline == "langchain":
        from langchain_community.vectorstores import FAISS
        from langchain_huggingface import HuggingFaceEmbeddings

        model = HuggingFaceEmbeddings(model_name=model_dir)
        return lambda: FAISS.from_texts(paragraphs, model)
    raise SystemExit(f"unknown pipeline {pipeline!r}: sentence-transformers, txtai or langchain")


def main() -> None:
    pipeline, path, model_dir = sys.argv[1:4]
    with open(path, encoding="utf-8") as fh:
        paragraphs = json.load(fh)
    run = build(pipeline, paragraphs, model_dir)
    t = time.perf_counter()
    run()
    took = time.perf_counter() - t
    version = metadata.version({"langchain": "langchain-community"}.get(pipeline, pipeline))
    print("\n" + json.dumps({"pipeline": pipeline, "version": version, "texts": len(paragraphs), "build_s": took,
                             "texts_per_s": len(paragraphs) / took}))


if __name__ == "__main__":
    main()
