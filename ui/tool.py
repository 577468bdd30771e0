"""The MCP tool ``ask``: the same answers as ``/ask``, as structured content with a declared schema.

Gradio serves the MCP transport (``app.py --mcp``, streamable HTTP at
``/gradio_api/mcp/``); its own tool handlers return a Python repr of the
result without structured content, so ``serve_tool`` registers this module's
handlers on Gradio's MCP server with the ``mcp`` package's decorators: the
tool lists an input and an output schema, and a call returns
``Answer.compact()`` as structured content (and as JSON text, for clients
that read only text). Leaves out: MCP resources and prompts.
"""

from __future__ import annotations

from typing import Any

import anyio
import gradio as gr

from qa import QAError
from qa.answer import COMPACT_SCHEMA

NAME = "ask"
DESCRIPTION = (
    "Answer a question from the loaded news articles, quoting them, with numbered citations. Returns JSON: "
    "'text' (the answer's sentences with [n] markers, or why the articles don't say), 'short' (the name, date, "
    "number or place asked for, when one answers, else null), 'answered' (false: the articles don't say, and "
    "the citations are the closest passages), 'confidence' (0-1), and 'citations' (n, article file name, "
    "title, section, paragraphs, the cited sentence, and the web page's URL for articles from links). "
    "Pass the conversation's earlier turns as 'history' so that follow-ups ('What did he say?') are read "
    "against them and stay on the same story."
)
INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "question": {"type": "string", "description": "the question, in plain words (at most 1,000 characters)"},
        "history": {"type": "array", "description": "the conversation's earlier turns, oldest first, each "
                    "[question, answer_text] or [question, answer_text, [article names its answer cited]]; at "
                    "most the latest 20 turns and 20,000 characters", "items": {"type": "array"}, "default": []},
        "only": {"type": "array", "items": {"type": "string"}, "default": [],
                 "description": "file names of the articles to answer from (default: all of them)"},
        "passages": {"type": "boolean", "default": False,
                     "description": "also give each citation's whole passage, not just its sentence"},
    },
    "required": ["question"],
}


def serve_tool(demo: gr.Blocks) -> None:
    """Make the launched app's MCP server list and answer ``ask`` with structured content (needs ``mcp_server=True``)."""
    server = demo.mcp_server_obj.mcp_server
    types = demo.mcp_server_obj.types
    page = demo.page  # type: ignore[attr-defined]

    @server.list_tools()
    async def list_tools() -> list:
        return [types.Tool(name=NAME, description=DESCRIPTION, inputSchema=INPUT_SCHEMA, outputSchema=COMPACT_SCHEMA)]

    @server.call_tool()
    async def call_tool(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        if name != NAME:
            raise ValueError(f"unknown tool {name!r}; this server has {NAME!r}")

        def run() -> dict[str, Any]:
            try:
                answer = page.answer(arguments.get("question"), arguments.get("history") or None,
                                     arguments.get("only") or None)
            except (QAError, TimeoutError, TypeError) as exc:
                raise ValueError(str(exc)) from None
            return answer.compact(passages=bool(arguments.get("passages")))

        return await anyio.to_thread.run_sync(run)
