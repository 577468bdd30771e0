"""Embedding model and FAISS index: the numeric layer under qa/, with no knowledge of articles."""
