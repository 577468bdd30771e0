"""Embedding model and FAISS index: the numeric layer under qa/, with no knowledge of articles.

Importing it turns telemetry off before onnxruntime can be imported (see ``offline``).
"""

from . import offline

offline.no_telemetry()
