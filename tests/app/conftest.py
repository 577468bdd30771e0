"""The app's tests share one engine over the seed article (indexed once into its own cache), one app launched
in this process on a free port, and a page over a copy of the seed folder for uploads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import app
import ui
from qa import DEFAULT_ARTICLES, load
from tests.app.helpers import free_port


@pytest.fixture(scope="session")
def app_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app-cache")


@pytest.fixture(scope="session")
def seed_engine(app_cache):
    return load(DEFAULT_ARTICLES, cache_dir=app_cache, threads=1)


@pytest.fixture(scope="session")
def served(seed_engine):
    """The app over the seed article, launched in this process on a free port: its URL and demo."""
    demo = ui.build_demo(seed_engine)
    url, public = app.launch(demo, "127.0.0.1", free_port(), share=False, block=False)
    assert public is None
    yield url, demo
    demo.close()


@pytest.fixture(scope="session")
def client(served):
    from gradio_client import Client

    return Client(served[0], verbose=False)


@pytest.fixture(scope="session")
def upload_page(tmp_path_factory, app_cache):
    folder = tmp_path_factory.mktemp("upload-articles")
    shutil.copy(next(DEFAULT_ARTICLES.glob("*.txt")), folder)
    engine = load(folder, cache_dir=app_cache, threads=1)
    return ui.Page(app.EngineHandle(engine)), engine
