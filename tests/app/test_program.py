"""app.py as a program: start-up errors, the share fallback, the MCP tool through a real client."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

import app
from tests.app.helpers import PROJECT, app_env, free_port

# Gradio's queue calls pandas in a way pandas 3 warns about; not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


# ------------------------------------------------------------------ app.py as a program

def test_bad_articles_is_one_error_line_and_exit_1(app_cache):
    run = subprocess.run([sys.executable, "app.py", "--articles", "/no/such/folder"], cwd=PROJECT,
                         env=app_env(app_cache), capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == ["Error: no such file or folder: /no/such/folder"]
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.model
def test_share_without_tunnel_says_so_in_one_line_and_serves_locally(app_cache, seed_engine):
    from gradio_client import Client

    port = free_port()
    proc = subprocess.Popen([sys.executable, "app.py", "--share", "--port", str(port)], cwd=PROJECT,
                            env=app_env(app_cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any(line.startswith("Share link") for line in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
        assert f"Article QA is running at http://127.0.0.1:{port}/  (Ctrl-C to stop)" in lines, lines
        assert [line for line in lines if "share" in line.lower()] == [app.SHARE_FAILED]
        got = Client(f"http://127.0.0.1:{port}/", verbose=False).predict("Where will the talks continue?",
                                                                           api_name="/ask")
        assert "London" in got["text"] and got["answered"]
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err
    assert "Warning" not in err, err  # e.g. pydantic's UnsupportedFieldAttributeWarning at start
    assert re.search(r"Ready: 1 article\(s\), \d+ passages", err), err


@pytest.mark.model
def test_mcp_tool_lists_and_answers_through_a_real_client_session(app_cache, seed_engine):
    """app.py --mcp: an MCP client (the ``mcp`` package's own) lists the ask tool with its schemas and gets a
    cited answer as structured content that matches the schema, and as JSON text."""
    import asyncio

    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    port = free_port()
    proc = subprocess.Popen([sys.executable, "app.py", "--mcp", "--port", str(port)], cwd=PROJECT,
                            env=app_env(app_cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/{app.MCP_PATH}"

    async def session_calls():
        async with streamable_http_client(url) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = (await session.list_tools()).tools
                result = await session.call_tool("ask", {"question": "Where will the talks continue?"})
                full = await session.call_tool("ask", {"question": "Where will the talks continue?",
                                                       "passages": True})
                restricted = await session.call_tool("ask", {"question": "Where will the talks continue?",
                                                             "only": ["nosuch.txt"]})
                return tools, result, full, restricted

    try:
        lines = []
        while not any(line.startswith("MCP tool") for line in lines):
            line = proc.stdout.readline()
            assert line, f"app.py ended: {proc.stderr.read()}"
            lines.append(line.rstrip("\n"))
        assert f'MCP tool "ask" at {url}  (streamable HTTP)' in lines, lines
        tools, result, full, restricted = asyncio.run(asyncio.wait_for(session_calls(), 120))
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    ask_tool = next(t for t in tools if t.name == "ask")
    assert [t.name for t in tools] == ["ask"]  # the page's own events are not tools
    assert "question" in ask_tool.inputSchema["properties"] and "citations" in ask_tool.description
    assert ask_tool.description.rstrip().endswith(".") and "history" in ask_tool.description
    assert set(ask_tool.outputSchema["required"]) >= {"text", "short", "answered", "confidence", "citations"}
    assert not result.isError
    expected = seed_engine.ask("Where will the talks continue?")
    assert result.structuredContent == expected.compact()
    assert json.loads(result.content[0].text) == result.structuredContent  # clients that read text get JSON
    answer = result.structuredContent
    assert answer["short"]["text"] == "London" and answer["answered"] is True
    assert "London" in answer["text"] and answer["citations"][0]["article"] == "paris-talks-ukraine.txt"
    assert answer["citations"][0]["sentence"] in expected.citations[0].text
    assert all("passage" not in c for c in answer["citations"])  # compact: the sentence, not the passage
    assert len(result.content[0].text) < 1500, len(result.content[0].text)
    assert full.structuredContent["citations"][0]["passage"] == expected.citations[0].text
    assert restricted.isError and "no article is called nosuch.txt" in restricted.content[0].text
    assert "Traceback" not in err, err
