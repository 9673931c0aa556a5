"""demo, replay-outcomes, and the ``flows`` group (lint, export-tests, run-tests)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from trunkline.cli.stores import check_credentials, resolve_region

if TYPE_CHECKING:
    from trunkline.cli.app import Commands


def cmd_demo(args: argparse.Namespace) -> int:
    """``make demo``."""
    from trunkline.demo import run_demo

    return run_demo(contacts=args.contacts, trace=args.trace, seed=args.seed)


def cmd_replay_outcomes(args: argparse.Namespace) -> int:
    """Send the outcomes dead-letter queue's events back to the outcomes function."""
    import sys

    import boto3

    from trunkline.replay import lambda_invoker, replay_dead_letters

    region = resolve_region(args)
    check_credentials()
    invoke = lambda_invoker(boto3.client("lambda", region_name=region), args.function)
    report = replay_dead_letters(boto3.client("sqs", region_name=region), args.queue_url, invoke, max_messages=args.max)
    print(f"replayed {report.replayed}, failed {report.failed}, unreadable {report.unreadable}")
    for line in report.errors:
        print(f"  {line}", file=sys.stderr)
    return 0 if not report.failed and not report.unreadable else 1


def cmd_flows_export_tests(args: argparse.Namespace) -> int:
    """One Connect test case per simulator scenario path."""
    from trunkline.connect_test_files import write_cases
    from trunkline.scenario_export import export_scenarios

    cases, skipped = export_scenarios(Path(args.config))
    write_cases(Path(args.directory), cases, skipped)
    print(f"{len(cases)} test cases written to {args.directory}/; {len(skipped)} scenarios only the simulator proves")
    for item in skipped if args.verbose else []:
        print(f"  simulator only: {item.name}: {item.reason}")
    return 0


def cmd_flows_run_tests(args: argparse.Namespace) -> int:
    """Run the instance's published Trunkline test cases."""
    import boto3

    from trunkline.connect_test_runner import run_and_report

    region = resolve_region(args)
    check_credentials()
    client = boto3.client("connect", region_name=region)
    return run_and_report(client, args.instance_id, args.prefix, deadline_seconds=args.timeout)


def register(commands: Commands) -> None:
    """demo, replay-outcomes, flows lint / export-tests / run-tests."""
    from trunkline.flows_lint import add_lint_command

    p = commands.add(
        "replay-outcomes",
        help="send the outcomes dead-letter queue's contact events back to the outcomes function (AWS credentials)",
        func=cmd_replay_outcomes,
    )
    p.add_argument("--queue-url", required=True, help="the dead-letter queue (stack output / SQS console)")
    p.add_argument("--function", required=True, help="e.g. trunkline-prod-outcomes:live")
    p.add_argument("--max", type=int, default=1000, help="stop after this many messages")
    p = commands.add("demo", help="route synthetic contacts end to end on an in-memory store", func=cmd_demo)
    p.add_argument("--contacts", type=int, default=300)
    p.add_argument("--trace", nargs="?", const="first", default=None, help="print one contact's block-by-block path")
    p.add_argument("--seed", type=int, default=11)

    flows = commands.group("flows", help="contact flows (flow-language files): lint, Connect test cases")
    add_lint_command(flows)
    p = flows.add(
        "export-tests", help="write one Connect test case per simulator scenario path", func=cmd_flows_export_tests
    )
    p.add_argument("directory", help="where to write them (the stack deploys connect_tests/)")
    p.add_argument("--config", default="config", help="config directory (queue ids by key)")
    p = flows.add(
        "run-tests", help="run the instance's Trunkline test cases (AWS credentials)", func=cmd_flows_run_tests
    )
    p.add_argument("--instance-id", required=True, help="the Connect instance id or ARN")
    p.add_argument("--prefix", default="trunkline-", help="run the published test cases named PREFIX*")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds before running cases are stopped")
