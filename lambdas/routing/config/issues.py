"""One validation problem, located: file, line and column, a keyed path, the reason, maybe a suggestion.

The path names list items by their key (``queues[cards_general].capacity``), a rule by its id, a holiday by its
date; only items with none of these keep their position (``fallbacks[0]``). Lines come from the YAML parse
(``routing.config.safe_yaml.Positions``); a document that arrives as JSON without a file (the admin API) has the
same keyed paths and no lines.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routing.config.safe_yaml import Positions

_PATH_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One validation error (or warning). ``message`` is the reason; ``suggestion`` the nearest existing key
    when the reason is an unknown reference. ``line``/``column`` are 1-based, None without a source file."""

    file: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None
    suggestion: str | None = None

    def __str__(self) -> str:
        # file:line:column: is what editors and terminals turn into a link to the spot
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column or 1}"
        return f"{where}: {self.path}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (the admin API shows these in a browser)."""
        return asdict(self)


def item_label(item: object, position: int) -> str:
    """How a path names a list item: its ``key``, else its ``id`` (rules), else its ``date`` (holidays)."""
    if isinstance(item, Mapping):
        for name in ("key", "id", "date"):
            value = item.get(name)
            if isinstance(value, str | date) and str(value):
                return str(value)
    return str(position)


def keyed_path(content: object, loc: tuple[Any, ...] | list[Any]) -> str:
    """``loc`` (keys and list positions into ``content``) as a path that names list items by their key."""
    out, node = "", content
    for part in loc:
        if isinstance(part, int):
            child = node[part] if isinstance(node, list) and -len(node) <= part < len(node) else None
            out += f"[{item_label(child, part)}]"
            node = child
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, Mapping) else None
    return out


def path_loc(path: str) -> tuple[str | int, ...]:
    """``"rules[3].when.all[0]"`` → ``("rules", 3, "when", "all", 0)`` (rule errors name their place as text)."""
    return tuple(int(index) if index else name for index, name in _PATH_PART.findall(path))


def suggest(value: object, candidates: Collection[str]) -> str | None:
    """The existing key nearest to a mistyped one, if any is close (``difflib``'s default 0.6 similarity)."""
    if not isinstance(value, str):
        return None
    close = difflib.get_close_matches(value, list(candidates), n=1)
    return close[0] if close else None


@dataclass(frozen=True, slots=True)
class Source:
    """One parsed file (or a document without one): its name, content and, for YAML, where each node starts."""

    name: str
    content: object
    positions: Positions | None = None

    def issue(self, loc: tuple[Any, ...] | list[Any], message: str, suggestion: str | None = None) -> ConfigIssue:
        """A located issue at ``loc`` (keys and raw list positions into this source's content)."""
        found = self.positions.of(loc) if self.positions is not None else None
        line, column = found if found is not None else (None, None)
        return ConfigIssue(self.name, keyed_path(self.content, loc), message, line, column, suggestion)
