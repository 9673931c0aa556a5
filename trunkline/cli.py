"""The ``trunkline`` CLI: validate, publish, rollback, versions, diff, audit, invoke route, demo, flows lint.

By default it works on the embedded store (moto, state kept in ``.trunkline/``); ``--store aws --table NAME``
uses a real table with the usual AWS settings (``AWS_PROFILE``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from routing.config.store import ConfigStore, DynamoConfigStore


def _actor(args: argparse.Namespace) -> str:
    return str(args.actor or f"cli:{getpass.getuser()}")


@contextmanager
def open_store(args: argparse.Namespace) -> Iterator[ConfigStore]:
    """The store the command works on."""
    if args.store == "aws":
        if not args.table:
            raise SystemExit("--store aws needs --table (the config table's name)")
        yield DynamoConfigStore(args.table)
        return
    from trunkline.embedded import embedded_dynamodb

    with embedded_dynamodb(Path(args.state)) as table:
        yield DynamoConfigStore(table, region="us-east-1")


def cmd_validate(args: argparse.Namespace) -> int:
    from routing.config.loader import load_directory

    result = load_directory(args.directory)
    for issue in result.issues:
        print(issue)
    for warning in result.warnings:
        print(f"warning: {warning}")
    if result.ok and result.document is not None:
        doc = result.document
        print(
            f"OK: {len(result.files)} files, {len(doc['queues'])} queues, {len(doc['entry_points'])} entry points, "
            f"{sum(len(r['rules']) for r in doc['rulesets'].values())} rules"
        )
        return 0
    print(f"{len(result.issues)} problem(s): nothing can be published", file=sys.stderr)
    return 1


def cmd_publish(args: argparse.Namespace) -> int:
    from routing.config.loader import ConfigInvalidError, load_directory
    from routing.config.publishing import PublishConflictError, publish_document

    result = load_directory(args.directory)
    if not result.ok or result.document is None:
        for issue in result.issues:
            print(issue)
        print("invalid config: nothing published", file=sys.stderr)
        return 1
    with open_store(args) as store:
        try:
            out = publish_document(store, result.document, actor=_actor(args), summary=args.summary or "")
        except (ConfigInvalidError, PublishConflictError) as exc:
            print(f"not published: {exc}", file=sys.stderr)
            return 1
    print(
        json.dumps(
            {
                "status": out.status,
                "version": out.version_id,
                "previous": out.previous_version_id,
                "content_hash": out.content_hash,
            }
        )
    )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from routing.config.publishing import PublishConflictError, RollbackError, rollback

    with open_store(args) as store:
        try:
            out = rollback(store, actor=_actor(args), to_version=args.to, reason=args.reason or "")
        except (RollbackError, PublishConflictError) as exc:
            print(f"not rolled back: {exc}", file=sys.stderr)
            return 1
    print(json.dumps({"status": out.status, "version": out.version_id, "previous": out.previous_version_id}))
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        pointer = store.get_pointer()
        versions = store.list_versions()
    active = pointer.version_id if pointer else None
    previous = pointer.previous_version_id if pointer else None
    print(f"{'version':<10} {'state':<9} {'published_at':<28} {'by':<24} {'hash':<12} summary")
    for v in versions:
        state = "ACTIVE" if v.version_id == active else ("previous" if v.version_id == previous else "")
        print(
            f"{v.version_id:<10} {state:<9} {v.published_at:<28} {v.published_by[:24]:<24} {v.content_hash[:12]:<12} "
            f"{v.summary}"
        )
    if not versions:
        print("(nothing published yet)")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from routing.config.loader import load_directory
    from routing.config.publishing import diff_documents

    with open_store(args) as store:
        if args.dir:
            pointer = store.get_pointer()
            before: dict[str, Any] = store.load_document(pointer.version_id) if pointer else {}
            result = load_directory(args.dir)
            if result.document is None:
                for issue in result.issues:
                    print(issue)
                return 1
            after = result.document
            label = f"{pointer.version_id if pointer else '(none)'} -> {args.dir}"
        else:
            if len(args.versions) != 2:
                print("diff takes two versions, or --dir DIR", file=sys.stderr)
                return 2
            before, after = (store.load_document(v) for v in args.versions)
            label = " -> ".join(args.versions)
    changes = diff_documents(before, after)
    print(f"{label}: {len(changes)} change(s)")
    for change in changes:
        print(change)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        for r in store.list_audit(args.limit):
            print(
                f"{r.at}  {r.action:<9} {r.actor:<24} {r.from_version or '-':>8} -> {r.to_version or '-':<8} {r.detail}"
            )
    return 0


def cmd_invoke(args: argparse.Namespace) -> int:
    import route.handler as route_handler
    from routing.config.cache import ConfigCache
    from routing.route.service import RouteService

    if args.function != "route":
        print(f"unknown function {args.function!r} (available: route)", file=sys.stderr)
        return 2
    with open_store(args) as store:
        cache = ConfigCache(store, refresh_seconds=30)
        route_handler.set_service(RouteService(cache, default_queue_id=args.default_queue_id))
        try:
            for path in args.event:
                event = json.loads(Path(path).read_text(encoding="utf-8"))
                events = event if isinstance(event, list) else [event]
                for e in events:
                    print(json.dumps(route_handler.lambda_handler(e, None), sort_keys=True))
        finally:
            route_handler.set_service(None)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from trunkline.demo import run_demo

    return run_demo(contacts=args.contacts, trace=args.trace, seed=args.seed)


def cmd_replay_outcomes(args: argparse.Namespace) -> int:
    import boto3

    from trunkline.replay import lambda_invoker, replay_dead_letters

    invoke = lambda_invoker(boto3.client("lambda"), args.function)
    report = replay_dead_letters(boto3.client("sqs"), args.queue_url, invoke, max_messages=args.max)
    print(f"replayed {report.replayed}, failed {report.failed}, unreadable {report.unreadable}")
    for line in report.errors:
        print(f"  {line}", file=sys.stderr)
    return 0 if not report.failed and not report.unreadable else 1


def cmd_flows_export_tests(args: argparse.Namespace) -> int:
    from trunkline.connect_test_files import write_cases
    from trunkline.scenario_export import export_scenarios

    cases, skipped = export_scenarios(Path(args.config))
    write_cases(Path(args.directory), cases, skipped)
    print(f"{len(cases)} test cases written to {args.directory}/; {len(skipped)} scenarios only the simulator proves")
    for item in skipped if args.verbose else []:
        print(f"  simulator only: {item.name}: {item.reason}")
    return 0


def cmd_flows_run_tests(args: argparse.Namespace) -> int:
    import boto3

    from trunkline.connect_test_runner import run_and_report

    client = boto3.client("connect", region_name=args.region) if args.region else boto3.client("connect")
    return run_and_report(client, args.instance_id, args.prefix, deadline_seconds=args.timeout)


def flows_subparsers(sub: Any) -> Any:
    """The ``flows`` command's own subparsers, created once (``flows lint`` and the test commands share it)."""
    flows = sub.choices.get("flows") or sub.add_parser(
        "flows", help="contact flows (flow-language files): lint, Connect test cases"
    )
    if not hasattr(flows, "trunkline_commands"):
        flows.trunkline_commands = flows.add_subparsers(dest="flows_command", required=True)
    return flows.trunkline_commands


def add_flows_test_commands(sub: Any) -> None:
    """``flows export-tests`` and ``flows run-tests`` (docs/deployment.md, "Connect test cases")."""
    commands = flows_subparsers(sub)
    p = commands.add_parser("export-tests", help="write one Connect test case per simulator scenario path")
    p.add_argument("directory", help="where to write them (the stack deploys connect_tests/)")
    p.add_argument("--config", default="config", help="config directory (queue ids by key)")
    p.set_defaults(func=cmd_flows_export_tests)
    p = commands.add_parser("run-tests", help="run the instance's Trunkline test cases (AWS credentials)")
    p.add_argument("--instance-id", required=True, help="the Connect instance id or ARN")
    p.add_argument("--region", help="the instance's region (default: the AWS settings')")
    p.add_argument("--prefix", default="trunkline-", help="run the published test cases named PREFIX*")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds before running cases are stopped")
    p.set_defaults(func=cmd_flows_run_tests)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (public so tests can drive it)."""
    parser = argparse.ArgumentParser(prog="trunkline", description=__doc__)
    parser.add_argument("--store", choices=("embedded", "aws"), default="embedded")
    parser.add_argument("--table", help="config table name (with --store aws)")
    parser.add_argument("--state", default=".trunkline/embedded-store.json", help="embedded store state file")
    parser.add_argument("--actor", help="who is acting (default cli:<user>)")
    parser.add_argument("--verbose", "-v", action="store_true", help="show the functions' logs on stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="validate a config directory")
    p.add_argument("directory", nargs="?", default="config")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("publish", help="validate and publish a config directory as a new version")
    p.add_argument("directory", nargs="?", default="config")
    p.add_argument("--summary", "-m", default="")
    p.set_defaults(func=cmd_publish)
    p = sub.add_parser("rollback", help="make the previous (or --to) version active again")
    p.add_argument("--to")
    p.add_argument("--reason", default="")
    p.set_defaults(func=cmd_rollback)
    p = sub.add_parser("versions", help="list published versions")
    p.set_defaults(func=cmd_versions)
    p = sub.add_parser("diff", help="diff two versions, or a directory against the active version")
    p.add_argument("versions", nargs="*")
    p.add_argument("--dir")
    p.set_defaults(func=cmd_diff)
    p = sub.add_parser("audit", help="show the audit trail (newest first)")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_audit)
    p = sub.add_parser("invoke", help="run a real handler on event files; prints one JSON reply per event")
    p.add_argument("function", choices=("route",))
    p.add_argument("--event", nargs="+", required=True)
    p.add_argument("--default-queue-id", default="")
    p.set_defaults(func=cmd_invoke)
    p = sub.add_parser(
        "replay-outcomes",
        help="send the outcomes dead-letter queue's contact events back to the outcomes function (AWS credentials)",
    )
    p.add_argument("--queue-url", required=True, help="the dead-letter queue (stack output / SQS console)")
    p.add_argument("--function", required=True, help="e.g. trunkline-prod-outcomes:live")
    p.add_argument("--max", type=int, default=1000, help="stop after this many messages")
    p.set_defaults(func=cmd_replay_outcomes)
    p = sub.add_parser("demo", help="route synthetic contacts end to end on the embedded store")
    p.add_argument("--contacts", type=int, default=300)
    p.add_argument("--trace", nargs="?", const="first", default=None, help="print one contact's block-by-block path")
    p.add_argument("--seed", type=int, default=11)
    p.set_defaults(func=cmd_demo)
    _add_flows_parser(sub)
    add_flows_test_commands(sub)
    from trunkline.report import add_report_parser

    add_report_parser(sub)
    return parser


def _add_flows_parser(sub: Any) -> None:
    """``flows …``: commands on contact-flow (flow-language) files."""
    from trunkline.flows_lint import add_lint_parser

    add_lint_parser(flows_subparsers(sub))


class _Stderr:
    """Whatever ``sys.stderr`` is at write time (a bound stream would outlive a test's captured stderr)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def quiet_lambda_output(verbose: bool = False) -> None:
    """Keep stdout for command output: Lambda logs go to stderr (WARNING and up unless verbose), EMF is off."""
    import logging
    import os

    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    from routing.common.observability import logger

    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(_Stderr())
    logger.setLevel("DEBUG" if verbose else "WARNING")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    quiet_lambda_output(args.verbose)
    return int(args.func(args))
