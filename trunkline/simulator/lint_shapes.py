"""Shared vocabulary of the flow linters (``lint_connect``, ``lint_parameters``, ``lint_policy``): Connect's
limits for a flow-language document and small readers of an action's parameters and transitions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from trunkline.simulator.actions import (
    transition_list,
)
from trunkline.simulator.flow import TOKEN
from trunkline.simulator.paths import is_reference

FLOW_LANGUAGE_VERSION: Final = "2019-10-30"
MAX_ACTIONS: Final = 250
MAX_IDENTIFIER: Final = 50
MAX_LAMBDA_SECONDS: Final = 8
FORBIDDEN_IDENTIFIER_CHARS: Final = frozenset("%:()\\/=$,;[]{}")
RESERVED_IDENTIFIERS: Final = frozenset(
    {
        "__proto__",
        "constructor",
        "toString",
        "valueOf",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
        "__defineGetter__",
        "__defineSetter__",
        "__lookupGetter__",
        "__lookupSetter__",
    }
)
OPERATORS: Final = frozenset(
    {
        "Equals",
        "TextContains",
        "TextStartsWith",
        "TextEndsWith",
        "NumberGreaterThan",
        "NumberGreaterOrEqualTo",
        "NumberLessThan",
        "NumberLessOrEqualTo",
    }
)
TOP_LEVEL_KEYS: Final = frozenset({"Version", "StartAction", "Metadata", "Actions", "Settings"})
RESPONSE_TYPES: Final = frozenset({"STRING_MAP", "JSON"})
PROMPT_KEYS: Final = ("Text", "SSML", "PromptId", "Media")
ATTRIBUTE_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")

Params = Mapping[str, Any]


def is_placeholder(value: object) -> bool:
    """A whole-value ``%Token%``: stands for whatever value is filled in before deploying."""
    return isinstance(value, str) and TOKEN.match(value) is not None


def static_int(value: object) -> int | None:
    """The integer a static string parameter holds, or None (a reference, a number not written as a string…)."""
    if isinstance(value, str) and not is_reference(value) and re.fullmatch(r"\d+", value.strip()):
        return int(value)
    return None


def transitions_of(action: Mapping[str, Any]) -> Mapping[str, Any]:
    """The action's Transitions object (empty when absent or malformed)."""
    transitions = action.get("Transitions")
    return transitions if isinstance(transitions, Mapping) else {}


def conditions_of(action: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The action's condition transitions."""
    return transition_list(transitions_of(action), "Conditions")


def error_types_of(action: Mapping[str, Any]) -> list[str]:
    """The ErrorType of each declared error transition, in order."""
    return [str(e.get("ErrorType")) for e in transition_list(transitions_of(action), "Errors")]
