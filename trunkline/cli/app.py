"""The ``trunkline`` command line: one parser, one subcommand registry, one place where failures become one line.

Adding a command: write ``register(commands: Commands)`` in a module of this package and list the module in
``COMMAND_MODULES``. ``Commands.add`` gives every command (at any depth) the global options, so ``--store``,
``--region``, ``--debug`` … work before or after the subcommand.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from trunkline.cli.errors import EXIT_INTERRUPTED, EXIT_USAGE, CliError, one_line

DESCRIPTION = """Trunkline: contact-routing config, the route function, the flow simulator and the demo, locally or
against AWS. Without --store aws every command works on the embedded store (DynamoDB on moto, kept in
TRUNKLINE_STORE_DIR or .trunkline/ at the project root); `trunkline versions` prints where."""

# Each module has ``register(commands)``; the order is the order of `trunkline --help`.
COMMAND_MODULES = (
    "trunkline.cli.config_commands",
    "trunkline.cli.invoke",
    "trunkline.cli.events",
    "trunkline.cli.generate_command",
    "trunkline.cli.tools",
    "trunkline.report",
)

Handler = Callable[[argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    """``argparse`` with one-line usage errors (exit 2) instead of a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _global_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """The options every command accepts. On the top-level parser they carry the defaults; on subcommands they
    default to SUPPRESS, so an option given before the subcommand is not reset by the subcommand's parser."""

    def default(value: Any) -> Any:
        return value if top_level else argparse.SUPPRESS

    g = parser.add_argument_group("global options (before or after the command)")
    g.add_argument("--store", choices=("embedded", "aws"), default=default("embedded"), help="config store")
    g.add_argument("--table", default=default(None), help="config table name (with --store aws)")
    g.add_argument(
        "--store-dir",
        default=default(None),
        help="the embedded store's folder (default $TRUNKLINE_STORE_DIR, else .trunkline/ at the project root)",
    )
    g.add_argument("--region", default=default(None), help="AWS region (default AWS_REGION, AWS_DEFAULT_REGION)")
    g.add_argument("--profile", default=default(None), help="AWS profile (default AWS_PROFILE)")
    g.add_argument("--actor", default=default(None), help="who is acting, for the audit (default cli:<user>)")
    g.add_argument("--verbose", "-v", action="store_true", default=default(False), help="the functions' logs on stderr")
    g.add_argument("--debug", action="store_true", default=default(False), help="show tracebacks")


class Commands:
    """The subcommand registry. ``add`` a command, or ``group`` commands under a name (``flows lint``)."""

    def __init__(self, subparsers: Any, prog: str) -> None:
        self._sub = subparsers
        self._prog = prog
        self._groups: dict[str, Commands] = {}

    def add(self, name: str, *, help: str, func: Handler, **kwargs: Any) -> argparse.ArgumentParser:
        """A new command running ``func(args)``; returns its parser for the command's own arguments."""
        parser: argparse.ArgumentParser = self._sub.add_parser(name, help=help, **kwargs)
        _global_options(parser, top_level=False)
        parser.set_defaults(func=func)
        return parser

    def group(self, name: str, *, help: str) -> Commands:
        """The command group ``name`` (created once; several modules may add to it)."""
        if name not in self._groups:
            parser = self._sub.add_parser(name, help=help)
            _global_options(parser, top_level=False)
            nested = parser.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")
            self._groups[name] = Commands(nested, f"{self._prog} {name}")
        return self._groups[name]

    @property
    def subparsers(self) -> Any:
        """The underlying ``add_subparsers()`` object (for modules that add plain argparse parsers)."""
        return self._sub


def build_parser() -> argparse.ArgumentParser:
    """The whole parser (public: tests and the docs check drive it)."""
    parser = Parser(prog="trunkline", description=DESCRIPTION)
    _global_options(parser, top_level=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = Commands(sub, parser.prog)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(commands)
    return parser


class _Stderr:
    """Whatever ``sys.stderr`` is at write time (a bound stream would outlive a test's captured stderr)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def quiet_lambda_output(verbose: bool = False) -> None:
    """Keep stdout for command output: Lambda logs go to stderr (WARNING and up unless verbose), EMF is off."""
    import logging

    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    from routing.common.observability import logger

    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(_Stderr())
    logger.setLevel("DEBUG" if verbose else "WARNING")


def import_quietly(module: str, verbose: bool = False) -> Any:
    """Import a Lambda handler module without its init-phase log lines. Importing a handler runs Lambda's init
    from this process's environment (no table, no baked config, no callback key), and the local tools replace
    the service it builds at once; those lines would only alarm the user."""
    from routing.common.observability import logger

    level = logger.log_level
    if not verbose:
        logger.setLevel("CRITICAL")
    try:
        return importlib.import_module(module)
    finally:
        logger.setLevel(level)


def _fail(message: str, code: int) -> int:
    print(f"trunkline: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, run the command; any failure is one line on stderr and a non-zero exit."""
    args = build_parser().parse_args(argv)
    try:
        from trunkline.cli.stores import apply_profile

        apply_profile(args)
        quiet_lambda_output(args.verbose)
        return int(args.func(args))
    except KeyboardInterrupt:
        if args.debug:
            raise
        return _fail("interrupted", EXIT_INTERRUPTED)
    except CliError as exc:
        if args.debug:
            raise
        return _fail(str(exc), exc.exit_code)
    except Exception as exc:
        if args.debug:
            raise
        return _fail(one_line(exc), 1)
