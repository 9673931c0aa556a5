"""Loading flow-language documents and filling their ``%Token%`` placeholders.

A token is a whole JSON string value ``"%Name%"``; it is replaced after parsing, never by editing serialized text
(a regex over flow JSON once shipped a broken TTS prompt). A ``%`` anywhere else is left alone by substitution and
reported by ``lint_flow``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trunkline.simulator.model import SimulationError

TOKEN = re.compile(r"^%([A-Za-z][A-Za-z0-9]*)%$")


class FlowLoadError(SimulationError):
    """A flow file that cannot be used: not JSON, not the flow language, or with placeholders left unfilled."""


def iter_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string leaf of a JSON value with a readable location (``Actions[3].Parameters.QueueId``)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from iter_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_strings(item, f"{path}[{index}]")


def find_tokens(document: Any) -> set[str]:
    """Names of the whole-string ``%Token%`` placeholders in a document."""
    return {m.group(1) for _, s in iter_strings(document) if (m := TOKEN.match(s))}


def substitute_tokens(document: Any, tokens: Mapping[str, str]) -> Any:
    """A copy of ``document`` with every whole-string ``%Name%`` whose name is in ``tokens`` replaced.

    Keys may be given with or without the percent signs. Placeholders not in ``tokens`` stay as they are.
    """
    values = {k.strip("%"): v for k, v in tokens.items()}

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            match = TOKEN.match(value)
            return values.get(match.group(1), value) if match else value
        if isinstance(value, Mapping):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(document)


@dataclass(frozen=True, slots=True)
class Flow:
    """A parsed flow: its name (file stem), the raw document, and its actions by Identifier."""

    name: str
    document: Mapping[str, Any]
    actions: Mapping[str, Mapping[str, Any]]
    start_action: str

    @classmethod
    def from_document(cls, name: str, document: Any) -> Flow:
        """Index a flow-language document; raises ``FlowLoadError`` if it is not one."""
        if not isinstance(document, Mapping):
            raise FlowLoadError(f"flow {name!r}: the document is not a JSON object")
        if "Actions" not in document or "StartAction" not in document:
            hint = " (this looks like a console export, not the flow language)" if "modules" in document else ""
            raise FlowLoadError(f"flow {name!r}: missing Actions or StartAction{hint}")
        raw_actions = document["Actions"]
        if not isinstance(raw_actions, list):
            raise FlowLoadError(f"flow {name!r}: Actions must be a list")
        actions: dict[str, Mapping[str, Any]] = {}
        for index, action in enumerate(raw_actions):
            if not isinstance(action, Mapping) or not isinstance(action.get("Identifier"), str):
                raise FlowLoadError(f"flow {name!r}: Actions[{index}] has no string Identifier")
            identifier = action["Identifier"]
            if identifier in actions:
                raise FlowLoadError(f"flow {name!r}: duplicate Identifier {identifier!r}")
            actions[identifier] = action
        start = document["StartAction"]
        if not isinstance(start, str) or start not in actions:
            raise FlowLoadError(f"flow {name!r}: StartAction {start!r} is not an action Identifier")
        return cls(name=name, document=document, actions=actions, start_action=start)

    @property
    def tokens(self) -> set[str]:
        """Placeholders still present in the document."""
        return find_tokens(self.document)


def load_flow(path: str | Path, tokens: Mapping[str, str] | None = None, *, name: str | None = None) -> Flow:
    """Read one flow file, substitute ``tokens`` and refuse placeholders left unfilled.

    With ``tokens=None`` the file must already be substituted (e.g. what the CDK deployed).
    """
    file = Path(path)
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FlowLoadError(f"flow file {file}: {exc}") from exc
    flow_name = name or file.stem
    if tokens:
        document = substitute_tokens(document, tokens)
    flow = Flow.from_document(flow_name, document)
    if left := flow.tokens:
        raise FlowLoadError(f"flow {flow_name!r}: placeholders not substituted: {sorted(left)}")
    return flow


def load_flows(directory: str | Path, tokens: Mapping[str, str] | None = None) -> dict[str, Flow]:
    """Every ``*.json`` flow directly in ``directory`` (modules/ is not a flow), keyed by file stem."""
    root = Path(directory)
    files = sorted(root.glob("*.json"))
    if not files:
        raise FlowLoadError(f"no flow files (*.json) in {root}")
    return {f.stem: load_flow(f, tokens) for f in files}
