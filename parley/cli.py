"""The ``parley`` command."""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import datetime, timezone

from parley.cli_accounts import add_parsers as add_account_parsers
from parley.config import SETTINGS, Config, Setting, settings_markdown
from parley.errors import InvalidInput, ParleyError
from parley.moderation.stream import BATCH


def _service(config: Config):
    """The services on the configured database (the server's key from ``parley.keys``)."""
    from parley.service import Services
    from parley.store import open_store

    store = open_store(config.database_url)
    if store.schema_version() == 0:
        raise ParleyError("the database is not migrated yet: run `parley migrate`")
    return Services(store, config)


def cmd_migrate(args, config: Config) -> int:
    from parley.store import open_store

    store = open_store(config.database_url)
    applied = store.migrate()
    print(f"migrated {config.database_url}: " + (f"applied {applied}" if applied else "already up to date")
          + f", schema version {store.schema_version()}")
    store.close()
    return 0


def cmd_serve(args, config: Config) -> int:
    import uvicorn

    from parley.store import open_store
    from parley.web.protocol import PROTOCOL

    store = open_store(config.database_url)
    if store.schema_version() == 0:
        raise ParleyError("the database is not migrated yet: run `parley migrate`")
    store.close()
    host = args.host or config.host
    port = args.port or config.port
    workers = args.workers or config.workers
    print(f"Parley serving {config.database_url} on http://{host}:{port} ({workers} worker(s))", flush=True)
    _one_thread_each()
    # httptools, with first-time readers' story pages answered before the app (PROTOCOL).
    options = dict(factory=True, loop="uvloop", http=PROTOCOL, access_log=args.access_log, log_level="warning",
                   # Parley reads X-Forwarded-For itself, from trusted proxies only (web/security.py):
                   # uvicorn's own handling would rewrite the peer address before Parley sees it.
                   proxy_headers=False)
    if workers == 1:
        uvicorn.run("parley.web.app:app_from_env", host=host, port=port, **options)
        return 0
    from parley.web import prefork
    from parley.web.app import preload

    sock = prefork.listening_socket(host, port)
    preload(config)  # before the fork, so that the workers share one copy of the models
    return prefork.serve(
        lambda sock: uvicorn.Server(uvicorn.Config("parley.web.app:app_from_env", **options)).run(sockets=[sock]),
        sock, workers)


def _one_thread_each() -> None:
    """Scoring runs on the server's thread pool, many posts at once: a library that also
    starts a thread a core for each call (OpenBLAS under numpy, the tokenizer's rayon)
    would put several threads on every core. onnxruntime is given one thread itself."""
    from threadpoolctl import threadpool_limits

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    threadpool_limits(limits=1)


def cmd_import_scraped(args, config: Config) -> int:
    from parley.domain import Actor
    from parley.importers.scraped import import_page, parse
    from parley.service.cleaning import parse_time

    scraped_at = parse_time(args.scraped_at, "--scraped-at") if args.scraped_at else datetime.now(timezone.utc)
    try:
        with open(args.file, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise ParleyError(f"cannot read {args.file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ParleyError(f"{args.file} is not UTF-8 text") from None
    page = parse(text)
    try:
        result = import_page(_service(config), page, slug=args.slug, scraped_at=scraped_at, title=args.title,
                             url=args.url, actor=Actor.system("import"))
    except InvalidInput as exc:
        if exc.field in ("title", "url"):  # the story's fields come from the options
            raise ParleyError(f"--{exc.field}: {exc.message}") from None
        raise
    changed = f", changed its {' and '.join(result.story_changed)}" if result.story_changed else ""
    print(f"{'created' if result.story_created else 'found'} story {args.slug!r}{changed}; "
          f"{result.comments_added} of {result.comments_seen} comments added")
    return 0


def cmd_demo(args, config: Config) -> int:
    from parley.demo import load_demo
    from parley.domain import Actor

    slug, added = load_demo(_service(config), Actor.system("demo"))
    print(f"demo story at /stories/{slug} ({'loaded' if added else 'already there'})")
    return 0


def cmd_score(args, config: Config) -> int:
    from parley.moderation.moderator import ModelsMissing, Moderator
    from parley.moderation.stream import InputError, keep_freed_memory, score_stream

    try:
        source = open(args.input, "rb") if args.input else sys.stdin.buffer  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise ParleyError(f"cannot read {args.input}: {exc.strerror}") from None
    failed_lines: list[int] = []

    def report(exc: InputError) -> None:
        failed_lines.append(exc.line)
        print(f"parley: {exc}", file=sys.stderr, flush=True)

    try:
        moderator = Moderator.load(fast=args.fast, accurate=args.accurate)
        keep_freed_memory()
        tally = score_stream(source, sys.stdout.buffer, moderator, batch_size=args.batch, on_bad_line=report,
                             all_spans=args.spans == "all")
    except (InputError, ModelsMissing) as exc:
        raise ParleyError(str(exc)) from None
    except BrokenPipeError:
        # The reader (`| head`) has had enough: not an error. Point stdout at devnull so
        # the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        if args.input:
            source.close()
    failed = f"failed {tally.failed}"
    if failed_lines:
        shown = ", ".join(map(str, failed_lines[:10])) + (", …" if len(failed_lines) > 10 else "")
        failed += f": line{'s' if len(failed_lines) > 1 else ''} {shown}"
    print(f"scored {tally.scored} comments, {failed}; model {moderator.model}", file=sys.stderr)
    return 1 if tally.failed else 0  # 2 is for a run that could not start


def _decisions(path: str, stage: str) -> list:
    """``parley train --decisions FILE``: the moderators' decisions as training rows."""
    from parley.moderation.feedback import DecisionsFormatError, load_decisions

    if stage not in ("first", "all"):
        raise ParleyError("--decisions teaches the first stage: use it with --stage first or all")
    try:
        return load_decisions(path)
    except OSError as exc:
        raise ParleyError(f"{path}: {exc.strerror}") from None
    except (DecisionsFormatError, UnicodeDecodeError) as exc:
        raise ParleyError(f"{path}: {exc}") from None


def cmd_train(args, config: Config) -> int:
    from pathlib import Path

    from parley.moderation.moderator import MODELS_DIR
    from parley.moderation.train import train

    out = Path(args.out) if args.out else MODELS_DIR
    if args.simulate_decisions is not None:  # retrains the first stage only, in a scratch directory
        return _simulate(out, args.simulate_decisions)
    if args.stage in ("second", "all"):
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError:
            raise ParleyError("the second stage needs PyTorch: `make train` installs it "
                              "(pip install -e '.[train]')") from None
    decisions = _decisions(args.decisions, args.stage) if args.decisions else None
    try:
        manifest = train(args.stage, out, log=lambda m: print(m, flush=True), decisions=decisions)
    except FileNotFoundError as exc:
        raise ParleyError(str(exc)) from None
    print(f"trained {manifest['version']} into {out}")
    return cmd_eval(args, config) if args.eval else 0


def _simulate(models, count: int) -> int:
    from parley.moderation.moderator import ModelsMissing
    from parley.moderation.simulate import simulate

    if count < 1:
        raise ParleyError("--simulate-decisions takes a number of comments, 1 or more")
    try:
        print(simulate(models, count, log=lambda m: print(m, file=sys.stderr, flush=True)).table())
    except (ValueError, FileNotFoundError, ModelsMissing) as exc:
        raise ParleyError(str(exc)) from None
    return 0


def cmd_eval(args, config: Config) -> int:
    import json
    from pathlib import Path

    from parley.moderation.card import model_card
    from parley.moderation.evaluate import evaluate
    from parley.moderation.moderator import MODELS_DIR, ModelsMissing, Moderator

    models = Path(getattr(args, "out", None) or MODELS_DIR)
    try:
        moderator = Moderator.load(models)
    except ModelsMissing as exc:
        raise ParleyError(str(exc)) from None
    if getattr(args, "challenge", False):
        from parley.moderation import challenge

        for each in (moderator, Moderator.load(models, fast=True)):
            print(f"## {each.model}\n\n{challenge.run(each).table()}\n")
        print("## Spam sets\n\n" + "\n\n".join(r.table() for r in challenge.spam_sets(moderator)))
        return 0
    report = evaluate(moderator, limit=getattr(args, "limit", None), log=lambda m: print(m, file=sys.stderr))
    print(report.table())
    if getattr(args, "card", True):
        manifest = json.loads((models / "manifest.json").read_text())
        (models / "MODEL_CARD.md").write_text(model_card(manifest, report))
        print(f"wrote {models / 'MODEL_CARD.md'}", file=sys.stderr)
    return 0


def cmd_settings(args, config: Config) -> int:
    if args.markdown:
        print(settings_markdown(), end="")
        return 0
    rows = [("setting", "from", "value")]
    for s in SETTINGS:
        value = getattr(config, s.name.removeprefix("PARLEY_").lower())  # as Config.from_env names it
        rows.append((s.name, "env" if s.name in os.environ else "default", _shown(s, str(value))))
    widths = [max(len(row[i]) for row in rows) for i in (0, 1)]
    try:
        sys.stdout.write("".join(f"{name:<{widths[0]}}  {source:<{widths[1]}}  {value}\n"
                                 for name, source, value in rows))
        sys.stdout.flush()
    except BrokenPipeError:  # `parley settings | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


_SECRET_PARAM = re.compile(r"(?i)([?&](?:password|passwd|sslpassword|secret|token)=)[^&#]*")


def _shown(setting: Setting, value: str) -> str:
    """A setting's value fit to print: secrets masked, and the password in any URL."""
    if not value:
        return "(empty)"
    if setting.secret:
        return f"******** (set, {len(value)} characters)"
    if "://" in value:
        scheme, rest = value.split("://", 1)
        netloc, slash, path = rest.partition("/")
        userinfo, at, host = netloc.rpartition("@")
        if at and ":" in userinfo:
            netloc = userinfo.split(":", 1)[0] + ":********@" + host
        value = _SECRET_PARAM.sub(r"\1********", f"{scheme}://{netloc}{slash}{path}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parley", description="Self-hosted comments for news sites.",
                                     epilog="Settings come from the environment: " +
                                     ", ".join(s.name for s in SETTINGS) + " (see `parley settings`).")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(func=cmd_migrate)

    serve = sub.add_parser("serve", help="serve the reader pages and the API")
    serve.add_argument("--host", help="address to listen on (PARLEY_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (PARLEY_PORT)")
    serve.add_argument("--workers", type=int, help="server processes (PARLEY_WORKERS)")
    serve.add_argument("--access-log", action="store_true",
                       help="log every request (then first-time readers' pages go through the app too, to be logged)")
    serve.set_defaults(func=cmd_serve)

    imp = sub.add_parser("import", help="import stories and comments")
    imp_sub = imp.add_subparsers(dest="format", required=True)
    scraped = imp_sub.add_parser("scraped", help="a scraped story page with its comments")
    scraped.add_argument("file")
    scraped.add_argument("--slug", required=True, help="the story's slug")
    scraped.add_argument("--scraped-at", help="when the page was saved (ISO 8601); relative times count back "
                                              "from it (default: now)")
    scraped.add_argument("--title", help="the story's title (default: the page's headline, or its lead cut to "
                                         "150 characters); given again, it changes the imported story's title")
    scraped.add_argument("--url", help="the story's canonical URL; given again, it changes the imported story's")
    scraped.set_defaults(func=cmd_import_scraped)

    score = sub.add_parser("score", help="moderate comments: JSON Lines in (stdin or --input), verdicts out",
                           description="One {\"id\", \"text\", \"story\"?: {\"title\"?, \"body\"?}, "
                                       "\"parent\"?} a line in, one verdict a line out. A line that is not a "
                                       "comment is named on stderr and skipped; the run ends with a summary on "
                                       "stderr and exits 1 if any line failed (2 if it could not run).")
    score.add_argument("--input", help="a JSON Lines file (default: stdin)")
    score.add_argument("--spans", choices=["flagged", "all"], default="flagged",
                       help="flagged (default): a verdict carries the spans behind the labels that flagged it; "
                            "all: every verdict carries every toxic span the tagger finds, a published comment's "
                            "too (to see why a comment scored as it did)")
    pace = score.add_mutually_exclusive_group()
    pace.add_argument("--fast", action="store_true", help="first stage only, for bulk archives")
    pace.add_argument("--accurate", action="store_true",
                      help="the second stage reads every comment (under 200 a second on one core)")
    score.add_argument("--batch", type=int, default=BATCH, help=f"comments scored together (default {BATCH})")
    score.set_defaults(func=cmd_score)

    train = sub.add_parser("train", help="train the moderation models from ../shared/data")
    train.add_argument("--stage", choices=["first", "spans", "static", "second", "all"], default="all",
                       help="first: n-grams, spans and the middle stage's network, taught by the MiniLM (ten "
                            "minutes); spans: the span tagger alone; static: the middle stage's vectors read from "
                            "the MiniLM again (needs onnx: make train); second: MiniLM fine-tuning (20 to 60 "
                            "minutes); all: second, then first")
    train.add_argument("--out", help="where to write the models (default: the package's)")
    train.add_argument("--with-decisions", "--decisions", dest="decisions", metavar="FILE",
                       help="moderators' decisions as JSON Lines (GET /api/v1/admin/decisions.jsonl) for the first "
                            "stage to learn from too")
    train.add_argument("--simulate-decisions", type=int, metavar="N",
                       help="take the labels of N held-out news comments as moderators' decisions, retrain the "
                            "first stage with them in a scratch directory and print what changes on the rest "
                            "(the shipped models are left alone)")
    train.add_argument("--no-eval", dest="eval", action="store_false", help="skip `parley eval` afterwards")
    train.set_defaults(func=cmd_train, card=True, limit=None)

    evaluate = sub.add_parser("eval", help="measure the models and alt-profanity-check on held-out rows")
    evaluate.add_argument("--limit", type=int, help="evaluate on about this many held-out rows")
    evaluate.add_argument("--no-card", dest="card", action="store_false", help="do not rewrite MODEL_CARD.md")
    evaluate.add_argument("--out", help="the models to evaluate (default: the package's)")
    evaluate.add_argument("--challenge", action="store_true",
                          help="only the challenge set, per kind, for the default path and --fast (seconds; "
                               "MODEL_CARD.md is left alone)")
    evaluate.set_defaults(func=cmd_eval)

    sub.add_parser("demo", help="load the demo story").set_defaults(func=cmd_demo)
    settings = sub.add_parser("settings", help="every setting's value in effect, and whether it came from the "
                                               "environment or is the default (secrets masked)")
    settings.add_argument("--markdown", action="store_true",
                          help="print the settings' reference instead (docs/settings.md: names, defaults, help)")
    settings.set_defaults(func=cmd_settings)
    add_account_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args, Config.from_env())
    except ParleyError as exc:
        print(f"parley: error: {exc.message}", file=sys.stderr)
        return 2
    except ValueError as exc:  # e.g. a malformed PARLEY_DATABASE_URL
        print(f"parley: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
