"""Every ``trunkline …`` / ``python -m trunkline …`` command in README.md and docs/ parses with the real parser.

Commands are taken from inline code spans and from the lines of fenced code blocks. Placeholders are made concrete
first (``[--to vN]`` → ``--to vN``, ``FILE…`` → ``FILE``, ``<id>`` → ``ID``, ``auto|on|off`` → ``auto``); a bare
mention of a command (``trunkline invoke``) must name a command that exists.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from trunkline.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PREFIX = re.compile(r"(?:^|[\s`(…])(?:\S*python3? -m )?trunkline (?=[a-z-])")
BLOCK_LINE = re.compile(r"^\s*(?:\$ )?(?:\S*python3? -m )?trunkline (?=[a-z-])")  # in a code block: a command line
PLACEHOLDER_CHOICE = re.compile(r"invalid choice: '[A-Z_]+'")


def _concrete(command: str) -> str:
    command = command.replace("…", "").replace("...", "")
    command = re.sub(r"\[([^\[\]]*)\]", r"\1", command)  # optional parts: keep them
    command = re.sub(r"<[^<>]*>", "ID", command)
    return re.sub(r"(\S+?)\|\S+", r"\1", command)  # alternatives: the first


def commands_in(path: Path) -> list[tuple[int, str]]:
    """(line number, command text after ``trunkline``) for every command the file shows."""
    found: list[tuple[int, str]] = []
    in_block = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.lstrip().startswith("```"):
            in_block = not in_block
            continue
        if in_block:
            block_match = BLOCK_LINE.match(line)
            if block_match:
                found.append((number, line[block_match.end() :].split(" # ")[0].strip()))
            continue
        for piece in re.findall(r"`([^`]+)`", line):
            match = PREFIX.search(piece)
            if match:
                found.append((number, piece[match.end() :].strip()))
    return found


def command_paths() -> set[tuple[str, ...]]:
    """Every command and subcommand path the parser knows, e.g. ("flows", "lint")."""
    import argparse

    def walk(parser: argparse.ArgumentParser, prefix: tuple[str, ...]) -> set[tuple[str, ...]]:
        out: set[tuple[str, ...]] = set()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    out |= {(*prefix, name)} | walk(sub, (*prefix, name))
        return out

    return walk(build_parser(), ())


CASES = [(path, number, text) for path in DOCS for number, text in commands_in(path)]


def test_the_docs_show_commands_at_all() -> None:
    assert len(CASES) > 15
    assert {p.name for p, _, _ in CASES} >= {"README.md", "events.md", "runbook.md"}


@pytest.mark.parametrize(("path", "number", "text"), CASES, ids=[f"{p.name}:{n}" for p, n, _ in CASES])
def test_every_documented_command_parses(
    path: Path, number: int, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = shlex.split(_concrete(text))
    if tuple(argv) in command_paths():  # a mention of a command by name
        return
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:
        error = capsys.readouterr().err.strip()
        if PLACEHOLDER_CHOICE.search(error):  # `--flow-type T`: a placeholder for one of the choices
            return
        pytest.fail(f"{path.relative_to(ROOT)}:{number}: `trunkline {text}` does not parse (exit {exc.code}): {error}")


def test_every_command_of_the_help_is_documented_somewhere() -> None:
    """The other direction: a command `trunkline --help` lists but no doc shows is a command nobody finds."""
    documented = {shlex.split(_concrete(text))[0] for _, _, text in CASES if text}
    listed = {path[0] for path in command_paths()}
    assert listed - documented == set()
