"""``trunkline flows lint [--flow-type TYPE] [--policy auto|on|off] FILE...``: check flow-language documents.

One line per finding, ``FILE: ACTION_ID: severity [rules] reason`` (``-`` when the finding is about the whole
document); exit 0 when no file has an error (warnings allowed), 1 otherwise. A file that cannot be read or is not
JSON is one error line, never a traceback.

Rules: Connect's always. Trunkline's policy (error branches everywhere, short STRING_MAP Lambda calls, tag budget,
whole-value tokens, no endless loops…) with ``--policy on``, never with ``off``, and with ``auto`` (the default)
only for Trunkline's own flows, recognised by their ``Metadata.trunkline`` block: a third-party flow is judged by
Connect's rules only. Without ``--flow-type`` a Trunkline flow's ``Metadata.trunkline.flowType`` is used.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from trunkline.cli.app import Commands

#: Trunkline's Lambda timeout budget on a call path (the route function's ``route_timeout_seconds`` default).
DEFAULT_MAX_LAMBDA_SECONDS: Final = 3


def add_lint_command(flows: Commands) -> None:
    """Add ``lint`` to the CLI's ``flows`` command group (``trunkline.cli.app.Commands``)."""
    from trunkline.simulator.actions import FLOW_TYPES

    p = flows.add(
        "lint",
        help="check flow-language JSON files against Connect's rules (and Trunkline's policy for our flows)",
        func=cmd_flows_lint,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--flow-type", choices=sorted(FLOW_TYPES), help="also check the actions this flow type allows")
    p.add_argument(
        "--policy",
        choices=("auto", "on", "off"),
        default="auto",
        help="Trunkline's policy checks: auto = only for flows with Metadata.trunkline (default)",
    )
    p.add_argument(
        "--max-lambda-seconds",
        type=int,
        default=DEFAULT_MAX_LAMBDA_SECONDS,
        help="policy: Lambda InvocationTimeLimitSeconds budget (default %(default)s; Connect allows 8)",
    )


def _trunkline_metadata(document: Any) -> Mapping[str, Any] | None:
    metadata = document.get("Metadata") if isinstance(document, Mapping) else None
    ours = metadata.get("trunkline") if isinstance(metadata, Mapping) else None
    return ours if isinstance(ours, Mapping) else None


def lint_file(path: Path, *, flow_type: str | None, policy: str, max_lambda_seconds: int) -> tuple[list[str], int]:
    """The output lines for one file and how many of them are errors."""
    from trunkline.simulator.lint import lint_flow

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return [f"{path}: -: error [file] cannot read it: {exc.strerror or exc}"], 1
    except UnicodeDecodeError as exc:
        return [f"{path}: -: error [file] not UTF-8 text: {exc.reason}"], 1
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested deeper than Python parses
        return [f"{path}: -: error [file] not JSON: {exc}"], 1
    ours = _trunkline_metadata(document)
    with_policy = policy == "on" or (policy == "auto" and ours is not None)
    if flow_type is None and ours is not None and isinstance(ours.get("flowType"), str):
        flow_type = ours["flowType"]
    try:
        issues = lint_flow(
            document,
            name=str(path),
            flow_type=flow_type,
            policy=with_policy,
            max_invoke_timeout_seconds=max_lambda_seconds,
        )
    except RecursionError:  # parseable, but nested deeper than the checks walk
        return [f"{path}: -: error [file] JSON nested too deeply to check"], 1
    return [str(i) for i in issues], sum(i.is_error for i in issues)


def cmd_flows_lint(args: argparse.Namespace) -> int:
    """Lint every file; print findings on stdout and a summary on stderr."""
    errors = warnings = 0
    for name in args.files:
        lines, file_errors = lint_file(
            Path(name), flow_type=args.flow_type, policy=args.policy, max_lambda_seconds=args.max_lambda_seconds
        )
        for line in lines:
            print(line)
        errors += file_errors
        warnings += len(lines) - file_errors
    print(f"{len(args.files)} file(s): {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0
