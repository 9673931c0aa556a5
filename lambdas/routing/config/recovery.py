"""Keep reading a config file past a syntax error: set aside the top-level list item (or section) holding it.

A config file is a few top-level sections (``queues:``, ``rulesets:`` …), each a list of items. A syntax error
almost always sits inside one item, so that item's lines are blanked (line numbers kept) and the file is parsed
again; the item is reported once, at its line, and its ``key:`` values are remembered so that references to it
are not reported as unknown (that would be a knock-on of the same mistake). The scan is textual and only needs
to find item boundaries: a line starting at column 0 opens a section, a ``-`` at the section's first item indent
opens an item. Anything it cannot place (an error before the first section, a tab at the top level) refuses the
whole file, as before.

Rejected: a tolerant YAML parser (none is maintained for Python, and a second grammar would read some files
differently from ``yaml.safe_load``); stopping at the first error (one mistake hid the rest of the file).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from routing.config.safe_yaml import ParsedYaml

#: One file with more broken items than this is refused whole: each recovery parses the file again.
MAX_RECOVERIES = 20
_SECTION = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:")
_ITEM = re.compile(r"^( *)-(?:\s|$)")
_KEY = re.compile(r"(?:^|[\s{,])key\s*:\s*[\"']?([a-z0-9][a-z0-9_\-]{0,63})")


@dataclass(frozen=True, slots=True)
class SetAside:
    """A part of a file left out after a syntax error: where the error is, and which keys the part held."""

    section: str
    key: str | None  # the item's own key (the first ``key:`` in it), None for a whole section
    line: int
    column: int | None
    message: str
    keys: frozenset[str] = field(default_factory=frozenset)  # every ``key:`` value in the part


@dataclass(frozen=True, slots=True)
class _Span:
    section: str
    start: int  # 0-based, inclusive
    end: int  # exclusive
    is_item: bool


def parse_recovering(text: str, parse: Callable[[str], ParsedYaml]) -> ParsedYaml:
    """``parse(text)``, setting aside one item per syntax error until it parses; ``parsed.set_aside`` lists them.

    Raises the first error unchanged when it cannot be placed in an item or section, or is not recoverable.
    """
    import yaml

    from routing.config.safe_yaml import ConfigSyntaxError

    lines = text.splitlines(keepends=True)
    set_aside: list[SetAside] = []
    first: Exception | None = None
    for _ in range(MAX_RECOVERIES + 1):
        try:
            parsed = parse("".join(lines))
        except (yaml.MarkedYAMLError, ConfigSyntaxError) as exc:
            first = first or exc
            if isinstance(exc, ConfigSyntaxError) and not exc.recoverable:
                raise
            located = _locate(exc)
            span = _span_of(lines, located[0] - 1) if located else None
            if located is None or span is None:
                raise first from None
            line, column, message = located
            part = "".join(lines[span.start : span.end])
            keys = _KEY.findall(part)
            key = keys[0] if span.is_item and keys else None
            set_aside.append(SetAside(span.section, key, line, column, message, frozenset(keys)))
            lines[span.start : span.end] = ["\n"] * (span.end - span.start)
            continue
        parsed.set_aside = set_aside
        return parsed
    assert first is not None
    raise first


def _locate(exc: Exception) -> tuple[int, int | None, str] | None:
    """``(line, column, reason)`` of a parse error: its problem's line, or where the broken construct began when
    the problem was only noticed in a later item (an unclosed ``{`` is found on the next line)."""
    import yaml

    from routing.config.safe_yaml import ConfigSyntaxError

    if isinstance(exc, ConfigSyntaxError):
        return (exc.line, exc.column, exc.message) if exc.line is not None else None
    assert isinstance(exc, yaml.MarkedYAMLError)
    problem, context = exc.problem_mark, exc.context_mark
    if problem is None:
        return None
    reason = str(exc.problem or "malformed YAML")
    if context is not None and exc.context:
        reason = f"{exc.context} (line {context.line + 1}): {reason} (line {problem.line + 1})"
    if context is not None and context.line != problem.line:
        return context.line + 1, context.column + 1, reason
    return problem.line + 1, problem.column + 1, reason


def _span_of(lines: list[str], index: int) -> _Span | None:
    """The top-level list item holding line ``index`` (0-based), else its whole section; None outside any."""
    section, section_start, item_indent, item_start = None, 0, None, None
    found: _Span | None = None
    for n, line in enumerate(lines):
        opens_section = _SECTION.match(line)
        item = _ITEM.match(line) if section is not None else None
        if n > index and (opens_section or (item and len(item.group(1)) == item_indent)):
            break  # the span holding ``index`` ends here
        if opens_section:
            section, section_start, item_indent, item_start = opens_section.group(1), n, None, None
        elif item and (item_indent is None or len(item.group(1)) == item_indent):
            item_indent, item_start = len(item.group(1)), n
        if n == index and section is not None:
            found = _Span(section, section_start, 0, False)
    else:
        n = len(lines)
    if found is None or section is None:
        return None
    if item_start is not None and item_start <= index and not _SECTION.match(lines[index]):
        return _Span(section, item_start, n, True)
    return _Span(section, section_start, n, False)
