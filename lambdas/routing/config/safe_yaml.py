"""Config files, read defensively: bounded size and depth, no anchors or aliases, no duplicate keys.

Config is authored by people and reviewed in pull requests; what it must never do is hang or crash the validator, the
publisher or synth. So YAML is built here straight from the parser's events (libyaml's C parser when PyYAML has it,
measured 3-4x faster than the pure-Python one), one pass and no recursion:

- anchors (``&a``) and aliases (``*a``) are refused where they appear: a ~1 KB alias bomb expands to gigabytes as
  soon as anything walks it, and config has no need for them (merge keys ``<<`` likewise);
- a key that appears twice in one mapping is refused with both lines (PyYAML keeps the last one silently);
- nesting is capped (``MAX_DEPTH``): libyaml's composer recurses and crashes the interpreter at ~100,000 levels,
  and the validator recurses long before that;
- files are capped in size before they are read (``MAX_FILE_BYTES``).

Scalars are resolved and constructed by PyYAML's own ``SafeLoader`` machinery, so every value is what
``yaml.safe_load`` returns for it (ints, floats, booleans, nulls, dates, strings).

``parse_yaml`` is the validator's entry: it also records where every key and list item starts (``Positions``), keeps
going past a duplicate key or an impossible date (recorded as problems, not raised), and recovers from a syntax
error by setting aside the top-level list item (or section) that holds it and parsing the rest again
(``routing.config.recovery``), so one mistake does not hide the rest of the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routing.config.recovery import SetAside

MAX_FILE_BYTES = 8 * 1024 * 1024  # a 600-queue, 5,000-rule centre is 2.3 MB of YAML in one file
MAX_TOTAL_BYTES = 32 * 1024 * 1024  # every file of one config directory together
MAX_DEPTH = 64  # mappings and lists inside each other; the deepest real config (nested rule conditions) is ~20

_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "binary", "timestamp", "str")
)
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_NO_KEY = object()
_SKIP = object()  # the pending key of a duplicate: its value is built and dropped (the first one is kept)
#: Positions are packed into one int (line << 16 | column): a tuple per node would double the parse's memory.
_COLUMN_BITS = 16


class ConfigSyntaxError(ValueError):
    """A config file that is refused before validation; ``line``/``column`` are 1-based, None when not known.

    ``recoverable`` is False for what refuses the whole file (too deep, a second document): setting one item
    aside would not make the rest safe to read.
    """

    def __init__(
        self, message: str, line: int | None = None, column: int | None = None, *, recoverable: bool = True
    ) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line
        self.column = column
        self.message = message
        self.recoverable = recoverable


@dataclass(frozen=True, slots=True)
class Problem:
    """A mistake found while parsing that does not stop it: ``loc`` is the path of list positions and keys."""

    loc: tuple[Any, ...]
    line: int | None
    column: int | None
    message: str


@dataclass(slots=True)
class Positions:
    """Where each key and list item of a parsed document starts, looked up by a path of keys and positions."""

    root: object
    table: dict[int, dict[Any, int] | list[int]] = field(default_factory=dict)  # id(container) → packed positions

    def of(self, loc: tuple[Any, ...] | list[Any]) -> tuple[int, int] | None:
        """``(line, column)`` of the deepest node along ``loc`` that exists (1-based), None when none does."""
        node, found = self.root, None
        for part in loc:
            entries = self.table.get(id(node))
            if entries is None:
                break
            try:
                packed = entries[part]
                node = node[part]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                break
            found = packed
        if found is None:
            return None
        return found >> _COLUMN_BITS, found & ((1 << _COLUMN_BITS) - 1)


@dataclass(slots=True)
class ParsedYaml:
    """One file's content with its positions and the problems met on the way (none raised)."""

    content: object
    positions: Positions
    problems: list[Problem] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)  # parts left out after a syntax error


def _pack(line: int, column: int) -> int:
    return (line << _COLUMN_BITS) | min(column, (1 << _COLUMN_BITS) - 1)


class _Open:
    """A mapping or list being filled: its pending key (mapping) and the packed position of each key or item."""

    __slots__ = ("at", "container", "key", "positions")

    def __init__(self, container: dict[Any, Any] | list[Any], positions: dict[Any, int] | list[int], at: Any) -> None:
        self.container = container
        self.key: Any = _NO_KEY
        self.positions = positions
        self.at = at  # its key or position in the enclosing container (None for the root)


def _loader_class() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


def load_yaml(text: str) -> object:
    """Parse one YAML document like ``yaml.safe_load``, refusing what this module's docstring lists.

    Raises ``ConfigSyntaxError`` for what is refused and ``yaml.YAMLError`` for malformed YAML.
    """

    parsed = _parse(text, lenient=False)
    return parsed.content


def parse_yaml(text: str) -> ParsedYaml:
    """Parse one YAML document for validation: content, positions, and every mistake that can be located.

    Duplicate keys (the first value is kept) and impossible dates (kept as the text, which the schema then
    refuses where a date belongs) become ``problems``; a syntax error sets aside the list item or section that holds
    it (``routing.config.recovery``). Raises ``ConfigSyntaxError``/``yaml.YAMLError`` only for what refuses the
    whole file.
    """
    from routing.config.recovery import parse_recovering

    return parse_recovering(text, lambda t: _parse(t, lenient=True))


def _parse(text: str, *, lenient: bool) -> ParsedYaml:
    from routing.route.ruleset_index import gc_paused

    loader = _loader_class()(text)
    try:
        with gc_paused():  # hundreds of thousands of small objects, no cycles (see gc_paused)
            return _Builder(loader, lenient).build()
    finally:
        loader.dispose()


class _Builder:
    """One pass over the parser's events (see the module docstring)."""

    def __init__(self, loader: Any, lenient: bool) -> None:
        self.loader = loader
        self.lenient = lenient
        self.stack: list[_Open] = []
        self.root: list[object] = []
        self.positions = Positions(None)
        self.problems: list[Problem] = []

    def build(self) -> ParsedYaml:
        import yaml

        documents = 0
        while True:
            event = self.loader.get_event()
            mark = event.start_mark
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                name = getattr(event, "anchor", None)
                raise ConfigSyntaxError(f"anchors and aliases are not allowed in config (&/*{name})", line, column)
            if isinstance(event, yaml.ScalarEvent):
                self._add(self._scalar(event, line, column), line, column)
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                is_seq = isinstance(event, yaml.SequenceStartEvent)
                if event.tag not in (None, "!", _SEQ_TAG if is_seq else _MAP_TAG):
                    raise ConfigSyntaxError(f"unsupported tag {event.tag}", line, column)
                if len(self.stack) >= MAX_DEPTH:
                    raise ConfigSyntaxError(f"nested deeper than {MAX_DEPTH} levels", line, recoverable=False)
                container: dict[Any, Any] | list[Any] = [] if is_seq else {}
                at = self._next_at()
                self._add(container, line, column)
                entries: dict[Any, int] | list[int] = [] if is_seq else {}
                self.positions.table[id(container)] = entries
                self.stack.append(_Open(container, entries, at))
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                self.stack.pop()
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    message = "a config file holds one YAML document (found a second '---')"
                    raise ConfigSyntaxError(message, line, recoverable=False)
            elif isinstance(event, yaml.StreamEndEvent):
                content = self.root[0] if self.root else None
                self.positions.root = content
                return ParsedYaml(content, self.positions, self.problems)

    def _scalar(self, event: Any, line: int | None, column: int | None) -> object:
        import yaml

        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _MERGE_TAG:
            raise ConfigSyntaxError("merge keys (<<) are not allowed in config", line, column)
        if tag not in _SCALAR_TAGS:
            raise ConfigSyntaxError(f"unsupported tag {tag}", line, column)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        # The constructor function itself, not construct_object: that one memoizes every node for aliases.
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except ValueError:
            # 2026-02-30 looks like a date and is none: keep the text, so the schema names the field it is in
            # (where a date belongs) and the rest of the file is still checked.
            if self.lenient and tag == _TIMESTAMP_TAG:
                return event.value
            raise

    def _next_at(self) -> Any:
        """Where the next value lands in the innermost open container: its pending key or next position."""
        if not self.stack:
            return None
        top = self.stack[-1]
        return len(top.container) if isinstance(top.container, list) else top.key

    def _add(self, value: object, line: int | None, column: int | None) -> None:
        if not self.stack:
            self.root.append(value)
            return
        top = self.stack[-1]
        packed = _pack(line or 0, column or 0)
        if isinstance(top.container, list):
            top.container.append(value)
            top.positions.append(packed)  # type: ignore[union-attr]
        elif top.key is _NO_KEY:
            if isinstance(value, dict | list):
                raise ConfigSyntaxError("a mapping key must be a plain value, not a list or mapping", line, column)
            positions: dict[Any, int] = top.positions  # type: ignore[assignment]
            if value in positions:
                message = f"duplicate key {value!r} (first at line {positions[value] >> _COLUMN_BITS})"
                if not self.lenient:
                    raise ConfigSyntaxError(message, line, column)
                top.key = _SKIP
                loc = (*(o.at for o in self.stack[1:]), value)
                if _SKIP not in loc:  # a duplicate inside a dropped duplicate is the same mistake
                    self.problems.append(Problem(loc, line, column, message))
                return
            positions[value] = packed
            top.key = value
        else:
            if top.key is not _SKIP:
                top.container[top.key] = value
            top.key = _NO_KEY


def load_json(text: str) -> object:
    """``json.loads`` refusing duplicate keys and nesting deeper than ``MAX_DEPTH`` (``ConfigSyntaxError``)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise ConfigSyntaxError(f"duplicate key {key!r}")
            out[key] = value
        return out

    try:
        content = json.loads(text, object_pairs_hook=pairs)
    except RecursionError:
        raise ConfigSyntaxError(f"nested deeper than {MAX_DEPTH} levels") from None
    _check_depth(content)
    return content


def _check_depth(content: object) -> None:
    """Iterative: a recursive walk is what fails on deep input."""
    pending: list[tuple[object, int]] = [(content, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > MAX_DEPTH:
            raise ConfigSyntaxError(f"nested deeper than {MAX_DEPTH} levels")
        pending.extend((child, depth + 1) for child in children)
