"""``trunkline generate``: a synthetic contact centre as a config directory (``trunkline.generate``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from trunkline.cli.errors import CliError

if TYPE_CHECKING:
    from trunkline.cli.app import Commands


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: must be at least 1")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value}: must be at least 0")
    return value


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate, write, and validate what was written with the same loader ``validate`` uses."""
    from routing.config.loader import load_directory
    from trunkline.generate import generate_config, write_config_directory

    directory = Path(args.directory)
    if directory.exists() and not directory.is_dir():
        raise CliError(f"{directory}: exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()) and not args.force:
        raise CliError(f"{directory}: not empty (pass --force to write into it)")
    document = generate_config(
        queues=args.queues,
        rules=args.rules,
        lines_of_business=args.lines_of_business,
        seed=args.seed,
        metric_rules=not args.no_metric_rules,
    )
    try:
        files = write_config_directory(document, directory)
    except OSError as exc:
        raise CliError(f"{exc.filename or directory}: cannot write: {exc.strerror or exc}") from None
    result = load_directory(directory)
    if not result.ok:  # a generator bug, not a user error: say so plainly
        raise CliError(f"{directory}: the generated config does not validate: {result.issues[0]}")
    doc = result.document or {}
    print(
        f"wrote {len(files)} files to {directory}: {len(doc['queues'])} queues, {len(doc['lines_of_business'])} "
        f"lines of business, {len(doc['entry_points'])} entry points, "
        f"{sum(len(r['rules']) for r in doc['rulesets'].values())} rules (valid)"
    )
    return 0


def register(commands: Commands) -> None:
    """``generate``."""
    p = commands.add(
        "generate", help="write a synthetic contact centre (valid config directory) of any size", func=cmd_generate
    )
    p.add_argument("directory", metavar="DIR")
    p.add_argument("--queues", type=_positive, default=600)
    p.add_argument("--rules", type=_non_negative, default=5000, help="rules in total, spread over the rulesets")
    p.add_argument("--lines-of-business", type=_positive, default=20, help="capped at --queues")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-metric-rules", action="store_true", help="no rule conditions on live queue metrics")
    p.add_argument("--force", action="store_true", help="write into a non-empty directory")
