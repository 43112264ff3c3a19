"""The `familydesk` command: a thin client of the Assistant facade.

docs/cli.md is generated from this command tree (`familydesk help-doc`) and a test keeps it in step.
"""
from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

from typing import TYPE_CHECKING

import click

from .errors import FamilydeskError
from .logs import configure as configure_logs
from .settings import get_settings, settings_markdown

if TYPE_CHECKING:
    from .assistant import Assistant


def _facade() -> type[Assistant]:
    """The Assistant class, imported only by the commands that use it: `--help`, `help-doc`, `settings` and a
    refused setting start without loading the answer path (LangChain, Chroma)."""
    from .assistant import Assistant

    return Assistant


def _assistant(progress: bool = True) -> Assistant:
    return _facade()(get_settings()).load(progress=progress and sys.stderr.isatty())


def _run(fn):
    """Turn domain errors into a one-line message and exit status 1."""
    try:
        return fn()
    except FamilydeskError as e:
        raise click.ClickException(str(e)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="familydesk")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Answers about Chinese fertility-support policies, quoted and cited from the official documents
    of the knowledge base (`familydesk ingest` adds any region's). Settings come from FAMILYDESK_* environment variables (`familydesk settings`)."""
    from pydantic import ValidationError

    try:
        settings = get_settings()
    except ValidationError as e:
        problems = "; ".join(f"FAMILYDESK_{'_'.join(map(str, err['loc'])).upper()}: {err['msg']}" for err in e.errors())
        raise click.ClickException(f"invalid setting: {problems}") from None
    # one-shot commands print their result; their INFO lines would only be noise unless asked for
    quiet = ctx.invoked_subcommand not in ("serve", "telegram") and "log_level" not in settings.model_fields_set
    configure_logs("WARNING" if quiet else settings.log_level.upper(), settings.log_format)


@main.command()
@click.option("--host", default=None, help="Bind address (default FAMILYDESK_HOST, 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default FAMILYDESK_PORT, 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the JSON API (and /docs) with uvicorn; the index is built or loaded at start-up."""
    import uvicorn

    from .app import create_app

    # What the imports made (modules, classes, pydantic models) lives as long as the process: out of the
    # collector's sight, its full collections during the load and the warm-up take ~0.3 s less.
    gc.freeze()
    s = get_settings()
    uvicorn.run(create_app(settings=s), host=host or s.host, port=port or s.port, log_level="warning")


@main.command()
@click.argument("question")
@click.option("--region", default=None, help="Limit to one region (a covered city or province, in Chinese or English, e.g. 包头 / Baotou).")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON reply instead of text.")
def ask(question: str, region: str | None, as_json: bool) -> None:
    """Answer QUESTION from the documents, with the quoted clause and its citation."""
    answer = _run(lambda: _assistant().ask(question, region))
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(answer.answer)
    if answer.citations:
        click.echo("\n" + ("Citations:" if answer.language == "en" else "引用："))
        for c in answer.citations[:3]:
            click.echo(f"  - {c.reference}（{c.date}） [{c.id}]")


@main.command()
@click.argument("query")
@click.option("--region", default=None, help="Limit to one city.")
@click.option("-k", default=10, show_default=True, help="How many clauses (1–50).")
def search(query: str, region: str | None, k: int) -> None:
    """List the clauses that best match QUERY."""
    hits = _run(lambda: _assistant().search(query, region, k))
    for c in hits:
        click.echo(f"{c.score:.3f}  {c.region}  {c.reference}  [{c.id}]\n       {c.quote or c.text[:80]}")


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--region", "--city", "region", default=None,
              help="Where it applies: 全国, a province, city or county, with or without 省/市/区 (detected when omitted).")
@click.option("--title", default=None, help="The document's title, as printed (detected when omitted).")
@click.option("--number", default=None, help="Document number (文号), e.g. 包府办发〔2025〕49号.")
@click.option("--date", default=None, help="Date issued, YYYY-MM-DD.")
@click.option("--issuer", default=None, help="Issuing office.")
@click.option("--kind", type=click.Choice(["rule", "guide", "interpretation"]), default=None,
              help="rule (政策规章), guide (办事指南) or interpretation (官方解读); detected when omitted.")
@click.option("--effective", default=None, help="Date it takes effect, YYYY-MM-DD (read from 自…起施行 when omitted).")
@click.option("--supersedes", multiple=True, help="Id of a document this one repeals or replaces (repeatable).")
@click.option("--id", "doc_id", default=None, help="Document id (default: from the file name).")
@click.option("--dry-run", is_flag=True, help="Show what would be detected; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON lines instead of a summary.")
def ingest(path: Path, region, title, number, date, issuer, kind, effective, supersedes, doc_id, dry_run,
           as_json) -> None:
    """Add a document (.txt .md .html .docx .pdf), or every supported file in a folder, to the knowledge base.

    Prints what it detected (title, number, issuer, date, region, level, kind, clause count, warnings) and
    what it assumed; flags override any of it. Re-ingesting an unchanged file does nothing."""
    from .models import Overrides

    o = Overrides(region=region, title=title, number=number, date=date, issuer=issuer, kind=kind,
                  effective=effective, supersedes=list(supersedes), doc_id=doc_id)
    facade = _facade()
    a = facade(get_settings())
    if path.is_dir():
        if title or number or doc_id:
            raise click.UsageError("--title, --number and --id describe one file; give a file, not a folder")
        files, skipped = facade.supported_files(path)
        if not files:
            raise click.ClickException(f"no supported file in {path} (.txt .md .html .docx .pdf)")
    else:
        files, skipped = [path], []
    if dry_run:
        reports = []
        for f in files:
            try:
                reports.append({"file": str(f), **a.prepare(f, o).report()})
            except FamilydeskError as e:
                reports.append({"file": str(f), "refused": str(e)})
    else:
        from tqdm import tqdm

        bar = tqdm(total=len(files), unit="file", desc="ingest", disable=len(files) < 2 or not sys.stderr.isatty())
        reports = _run(lambda: a.ingest_many(files, o, progress=True, on_file=lambda _f: bar.update()))
        bar.close()
        if any(r.get("changed") for r in reports):
            _calibration(a)
    reports += [{"file": str(f), "refused": why} for f, why in skipped]
    if as_json:
        for r in reports:
            click.echo(json.dumps(r, ensure_ascii=False))
        if len(reports) == 1 and reports[0].get("refused"):
            raise click.ClickException(reports[0]["refused"])
        return
    if len(reports) == 1 and not path.is_dir():
        r = reports[0]
        if r.get("refused"):
            raise click.ClickException(r["refused"])
        click.echo(_detected(r))
        return
    click.echo(_table(reports))


def _detected(r: dict) -> str:
    """One document's report: what was detected, then what was assumed, then warnings."""
    lines = [f"{'would add' if 'changed' not in r else ('added' if r['changed'] else 'unchanged')}: {r['id']}",
             f"  title     {r['title']}", f"  number    {r['number'] or '-'}", f"  issuer    {r['issuer'] or '-'}",
             f"  date      {r['date'] or '-'}" + (f"   effective {r['effective']}" if r.get("effective") else ""),
             f"  region    {r['region']} ({r['level']})", f"  kind      {r['kind']}",
             f"  clauses   {r['clauses']} ({r['numbered_clauses']} numbered, {r['style']})"]
    if r.get("supersedes"):
        lines.append(f"  repeals   {', '.join(r['supersedes'])}")
    lines += [f"  assumed   {a}" for a in r.get("assumed", [])]
    lines += [f"  warning   {w}" for w in r.get("warnings", [])]
    return "\n".join(lines)


def _table(reports: list[dict]) -> str:
    """The batch summary: one row per document, then every refused file with its reason."""
    rows = [("document", "region", "level", "kind", "clauses", "warnings")]
    for r in reports:
        if not r.get("refused"):
            rows.append((f"{Path(r['file']).name} → {r['id']}", r["region"], r["level"], r["kind"],
                         str(r["clauses"]), str(len(r.get("warnings", [])) + len(r.get("assumed", [])))))
    width = [max(_w(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = ["  ".join(c + " " * (width[i] - _w(c)) for i, c in enumerate(row)) for row in rows]
    refused = [r for r in reports if r.get("refused")]
    out.append(f"\n{len(rows) - 1} added or unchanged, {len(refused)} refused")
    out += [f"refused {Path(r['file']).name}: {r['refused']}" for r in refused]
    return "\n".join(out)


def _w(text: str) -> int:
    """Display width: a Chinese character takes two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@main.command()
def index() -> None:
    """Build or update the vector index from index/ (only changed clauses are embedded)."""
    a = _run(lambda: _facade()(get_settings()).load(progress=True))
    click.echo(json.dumps({"documents": len(a.corpus.documents), "clauses": len(a.corpus.clauses),
                           "index": a.sync_report, "seconds": round(a.load_seconds, 2)}, ensure_ascii=False))
    _calibration(a)


def _calibration(a: Assistant) -> None:
    """One line per calibration set, and what dropped since the previous build (see FAMILYDESK_CALIBRATION_SETS)."""
    report = a.calibrate()
    if not report:
        return
    for name, f in report["sets"].items():
        click.echo(f"calibration {name}: hit@1 {f['hit@1']:.3f}  hit@3 {f['hit@3']:.3f}  quote@1 {f['quote@1']:.3f}  "
                   f"abstain_ok {f['abstain_ok']:.3f}  leaks {f['leaks']}", err=True)
    for d in report["drops"]:
        click.echo(f"calibration DROPPED: {d}", err=True)


@main.command(name="eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print only the figures, as JSON.")
def eval_(file: Path, as_json: bool) -> None:
    """Score FILE (questions.jsonl): hit@1, hit@3, MRR, quote@1 (the right clause quoted at the right sentence),
    abstain accuracy, leaks, latency; for a rewording set (rows with "group"), also the share of groups answered
    consistently."""
    from .evaluation import evaluate, load_questions

    a = _assistant()
    figures, misses = evaluate(lambda q: a.ask(q).to_dict(), load_questions(file), a.region_aliases)
    if not as_json:
        for m in misses:
            click.echo(f"miss {m}")
    click.echo(json.dumps(figures, ensure_ascii=False))


@main.command()
def mcp() -> None:
    """Serve the knowledge base as an MCP server over stdio (tools: ask, search_clauses, get_clause, list_documents)."""
    from .mcp_server import build as build_mcp

    assistant = _run(lambda: _facade()(get_settings()).load(progress=False))
    build_mcp(assistant).run("stdio")


@main.command()
@click.option("--webhook", is_flag=True, help="Serve the bot's webhook (POST /telegram/webhook) inside the API app "
                                              "instead of polling; needs FAMILYDESK_TELEGRAM_WEBHOOK_URL and _SECRET.")
def telegram(webhook: bool) -> None:
    """Run the Telegram bot (TELEGRAM_BOT_TOKEN): long polling, or --webhook behind HTTPS."""
    from telegram.error import InvalidToken, TelegramError

    from .telegram_bot import bot_token, build_application

    s = get_settings()
    token = _run(lambda: bot_token(s))
    if webhook:
        if not (s.telegram_webhook_url and s.telegram_webhook_secret):
            raise click.ClickException("--webhook needs FAMILYDESK_TELEGRAM_WEBHOOK_URL (the public HTTPS URL of "
                                       "/telegram/webhook) and FAMILYDESK_TELEGRAM_WEBHOOK_SECRET")
        import uvicorn

        from .app import create_app

        uvicorn.run(create_app(settings=s), host=s.host, port=s.port, log_level="warning")
        return
    assistant = _run(lambda: _facade()(s).load())
    try:
        build_application(assistant, s).run_polling()
    except InvalidToken:
        raise click.ClickException("Telegram rejected TELEGRAM_BOT_TOKEN (check it, and FAMILYDESK_TELEGRAM_BASE_URL "
                                   "if set)") from None
    except TelegramError as e:
        raise click.ClickException(f"the Telegram Bot API failed: {e}".replace(token, "<TELEGRAM_BOT_TOKEN>")) from None


@main.command()
@click.option("--limit", default=20, show_default=True, help="How many unanswered questions to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def report(limit: int, as_json: bool) -> None:
    """List the most frequent unanswered questions (redacted) and the feedback counts."""
    data = _run(lambda: _assistant(progress=False).report(limit))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{data['questions']} questions logged, {data['abstained']} not answered; "
               f"feedback 👍 {data['feedback'].get('up', 0)} 👎 {data['feedback'].get('down', 0)}")
    for row in data["unanswered"]:
        click.echo(f"{row['count']:>5}  {row['reason'] or '':<18} {row['region'] or '-':<4} {row['question']}")


@main.command()
@click.option("--markdown", is_flag=True, help="Print the settings table as Markdown.")
def settings(markdown: bool) -> None:
    """Show every FAMILYDESK_* setting and its current value."""
    if markdown:
        click.echo(settings_markdown(), nl=False)
        return
    for name, value in get_settings().model_dump().items():
        click.echo(f"FAMILYDESK_{name.upper()}={value if value is not None else ''}")


@main.command(name="help-doc")
def help_doc() -> None:
    """Print the Markdown reference of every command (docs/cli.md)."""
    click.echo(cli_markdown(), nl=False)


def cli_markdown() -> str:
    ctx = click.Context(main, info_name="familydesk", terminal_width=100, max_content_width=100,
                        **main.context_settings)
    out = ["# `familydesk` command reference", "", "Generated by `familydesk help-doc`; do not edit.", "",
           "```", main.get_help(ctx), "```", ""]
    for name in sorted(main.list_commands(ctx)):
        cmd = main.get_command(ctx, name)
        sub = click.Context(cmd, info_name=name, parent=ctx)
        out += [f"## familydesk {name}", "", "```", cmd.get_help(sub), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    main()
