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
"""

from __future__ import annotations

import json
from typing import Any

MAX_FILE_BYTES = 8 * 1024 * 1024  # a 600-queue, 5,000-rule centre is 2.3 MB of YAML in one file
MAX_TOTAL_BYTES = 32 * 1024 * 1024  # every file of one config directory together
MAX_DEPTH = 64  # mappings and lists inside each other; the deepest real config (nested rule conditions) is ~20

_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "binary", "timestamp", "str")
)
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NO_KEY = object()


class ConfigSyntaxError(ValueError):
    """A config file that is refused before validation; ``line`` is 1-based, None when not known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line
        self.message = message


class _Open:
    """A mapping or list being filled, and (for a mapping) its pending key and the line of each key."""

    __slots__ = ("container", "key", "key_lines")

    def __init__(self, container: dict[Any, Any] | list[Any]) -> None:
        self.container = container
        self.key: Any = _NO_KEY
        self.key_lines: dict[Any, int] = {}


def _loader_class() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


def load_yaml(text: str) -> object:
    """Parse one YAML document like ``yaml.safe_load``, refusing what this module's docstring lists.

    Raises ``ConfigSyntaxError`` for what is refused and ``yaml.YAMLError`` for malformed YAML.
    """
    from routing.route.ruleset_index import gc_paused

    loader = _loader_class()(text)
    try:
        with gc_paused():  # hundreds of thousands of small objects, no cycles (see gc_paused)
            return _build(loader)
    finally:
        loader.dispose()


def _build(loader: Any) -> object:
    import yaml

    stack: list[_Open] = []
    root: list[object] = []
    documents = 0
    while True:
        event = loader.get_event()
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            name = getattr(event, "anchor", None)
            raise ConfigSyntaxError(f"anchors and aliases are not allowed in config (&/*{name})", line)
        if isinstance(event, yaml.ScalarEvent):
            _add(stack, root, _scalar(loader, event, line), line)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            is_seq = isinstance(event, yaml.SequenceStartEvent)
            if event.tag not in (None, "!", _SEQ_TAG if is_seq else _MAP_TAG):
                raise ConfigSyntaxError(f"unsupported tag {event.tag}", line)
            if len(stack) >= MAX_DEPTH:
                raise ConfigSyntaxError(f"nested deeper than {MAX_DEPTH} levels", line)
            container: dict[Any, Any] | list[Any] = [] if is_seq else {}
            _add(stack, root, container, line)
            stack.append(_Open(container))
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            stack.pop()
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise ConfigSyntaxError("a config file holds one YAML document (found a second '---')", line)
        elif isinstance(event, yaml.StreamEndEvent):
            return root[0] if root else None


def _scalar(loader: Any, event: Any, line: int | None) -> object:
    import yaml

    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _MERGE_TAG:
        raise ConfigSyntaxError("merge keys (<<) are not allowed in config", line)
    if tag not in _SCALAR_TAGS:
        raise ConfigSyntaxError(f"unsupported tag {tag}", line)
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
    # The constructor function itself, not construct_object: that one memoizes every node for aliases.
    return loader.yaml_constructors[tag](loader, node)


def _add(stack: list[_Open], root: list[object], value: object, line: int | None) -> None:
    if not stack:
        root.append(value)
        return
    top = stack[-1]
    if isinstance(top.container, list):
        top.container.append(value)
    elif top.key is _NO_KEY:
        if isinstance(value, dict | list):
            raise ConfigSyntaxError("a mapping key must be a plain value, not a list or mapping", line)
        if value in top.key_lines:
            raise ConfigSyntaxError(f"duplicate key {value!r} (first at line {top.key_lines[value]})", line)
        top.key_lines[value] = line or 0
        top.key = value
    else:
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
