"""The MCP server, driven by the official SDK's own client: over streamable HTTP (the app's /mcp/) and over
stdio (`familydesk mcp` in a real process)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

TOOLS = {"ask", "search_clauses", "get_clause", "list_documents"}


async def _exercise(client: Client) -> None:
    tools = {t.name for t in (await client.list_tools()).tools}
    assert TOOLS <= tools
    r = await client.call_tool("ask", {"question": "how long is paternity leave in Baotou"})
    answer = r.structured_content
    assert answer["abstained"] is False and answer["citations"][0]["id"] == "baotou-2025-task-list:2"
    assert "25" in answer["answer"]
    r = await client.call_tool("ask", {"question": "包头呢？",
                                       "history": [{"role": "user", "content": "北京有生育补贴吗"}]})
    assert r.structured_content["standalone_question"] == "包头有生育补贴吗"
    hits = (await client.call_tool("search_clauses", {"query": "护理假", "region": "包头", "k": 3})).structured_content
    assert hits["hits"][0]["clause"] == "（二）"
    clause = (await client.call_tool("get_clause", {"id": "baotou-2025-task-list:2"})).structured_content
    assert "男职工享受25天的护理假" in clause["text"]
    docs = (await client.call_tool("list_documents", {})).structured_content["documents"]
    assert {d["region"] for d in docs} == {"北京", "包头", "赣州"}


def test_mcp_over_streamable_http(live):
    async def run():
        async with Client(live.url + "/mcp/") as client:
            await _exercise(client)

    anyio.run(run)


def test_mcp_over_stdio(index_copy, tmp_path):
    exe = Path(sys.executable).parent / "familydesk"
    env = {**os.environ, "FAMILYDESK_INDEX_DIR": str(index_copy), "FAMILYDESK_CHROMA_DIR": str(tmp_path / "chroma"),
           "FAMILYDESK_DATA_DIR": str(tmp_path / "data"), "FAMILYDESK_EMBEDDING": "none", "HF_HUB_OFFLINE": "1"}
    params = StdioServerParameters(command=str(exe), args=["mcp"], env=env)

    async def run():
        async with Client(params) as client:
            await _exercise(client)

    assert shutil.which(str(exe))
    anyio.run(run)


def test_a_start_leaves_the_mcp_sdk_and_other_unused_parts_unimported(tmp_path):
    """The app is built and the knowledge base loaded without the mcp SDK (imported by /mcp/'s first request, as
    test_mcp_over_streamable_http shows), the generative answerer (no model set) or pypinyin (index/ has the
    readings): a start does not pay for them."""
    code = ("import sys; from familydesk import Settings; from familydesk.app import create_app; "
            "app = create_app(settings=Settings(embedding='none', chroma_dir=sys.argv[1], data_dir=sys.argv[2])); "
            "app.state.assistant.load(); "
            "print(sorted({'mcp', 'familydesk.mcp_server', 'familydesk.answer_llm', 'pypinyin'} & set(sys.modules)))")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "chroma"), str(tmp_path / "data")],
                         capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
