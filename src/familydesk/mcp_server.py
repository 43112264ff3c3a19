"""An MCP server (the official `mcp` SDK): the knowledge base as tools an assistant such as Claude Desktop
can call. `familydesk mcp` serves it over stdio; the web app serves it at `/mcp/` (streamable HTTP).

Tools, each returning structured results that carry the citations:
- search_clauses(query, region?, k?) — clauses best first
- get_clause(id) — one clause with its full citation
- ask(question, region?, history?) — the cited answer, or why it abstained
- list_documents() — every document with its region, level, kind and dates
"""
from __future__ import annotations

from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer

from .assistant import Assistant

INSTRUCTIONS = ("Chinese fertility-support policies (leave, childcare subsidies, childcare services, insurance, "
                "housing), answered only from official documents: every answer quotes the clause and cites it "
                "exactly. Use `ask` for a question, `search_clauses` to look clauses up, `get_clause` for one "
                "clause, `list_documents` for what is covered. When `abstained` is true, the documents do not say.")


def build(assistant: Assistant) -> MCPServer:
    """The MCP server over a loaded Assistant (the facade: nothing deeper is used)."""
    server = MCPServer(name="familydesk", instructions=INSTRUCTIONS)

    @server.tool()
    async def search_clauses(query: str, region: str | None = None, k: int = 5) -> dict[str, Any]:
        """Clauses that best match a query, best first; `region` limits them to one region (e.g. 包头)."""
        hits = await anyio.to_thread.run_sync(assistant.search, query, region, k)
        return {"hits": [c.to_dict() for c in hits]}

    @server.tool()
    async def get_clause(id: str) -> dict[str, Any]:  # noqa: A002 - the tool's public parameter name
        """One clause by id (ids look like baotou-2025-task-list:2), with its full citation."""
        return (await anyio.to_thread.run_sync(assistant.clause, id)).to_dict()

    @server.tool()
    async def ask(question: str, region: str | None = None,
                  history: list[dict[str, str]] | None = None) -> dict[str, Any]:
        """Answer a question from the documents, quoted and cited; `history` is the conversation so far
        ([{"role": "user" | "assistant", "content": ...}], oldest first), for follow-ups like "包头呢？"."""
        answer = await anyio.to_thread.run_sync(assistant.ask, question, region, history)
        return answer.to_dict()

    @server.tool()
    async def list_documents() -> dict[str, Any]:
        """Every document of the knowledge base: title, number, issuer, date, region and level, kind."""
        docs = await anyio.to_thread.run_sync(assistant.documents)
        keep = ("id", "title", "number", "issuer", "date", "effective", "region", "region_level", "kind", "authority",
                "current")
        return {"documents": [{k: d.get(k) for k in keep} | {"clauses": len(d["clauses"])} for d in docs]}

    return server
