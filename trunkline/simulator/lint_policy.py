"""Trunkline's own policy for its flows, on top of Connect's rules (``lint_connect``).

Connect would publish a flow that breaks these; Trunkline does not want to: every block that can fail has its error
branch (a caller is never dropped by an unhandled failure), every Lambda call is a short synchronous STRING_MAP
call, menus declare their options, the flow's TagContact keys fit one contact, placeholders are whole-string
``%Token%`` values from a known list, only action types the simulator runs are used, and no path loops forever.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any, Final

from trunkline.simulator.actions import ACTION_SPECS, MAX_CONTACT_TAGS, condition_label, stores_input
from trunkline.simulator.findings import Findings
from trunkline.simulator.flow import TOKEN, iter_strings
from trunkline.simulator.lint_shapes import conditions_of, error_types_of, is_placeholder, static_int

_EMBEDDED_TOKEN = re.compile(r"%[A-Za-z][A-Za-z0-9]*%")

#: The error branches Trunkline requires per action type (beyond what Connect requires: nothing).
REQUIRED_ERRORS: Final[Mapping[str, tuple[str, ...]]] = {
    "InvokeLambdaFunction": ("NoMatchingError",),
    "Compare": ("NoMatchingCondition",),
    "CheckHoursOfOperation": ("NoMatchingError",),
    "UpdateContactAttributes": ("NoMatchingError",),
    "UpdateContactTargetQueue": ("NoMatchingError",),
    "TransferContactToQueue": ("QueueAtCapacity", "NoMatchingError"),
    "MessageParticipant": ("NoMatchingError",),
    "UpdateContactCallbackNumber": ("InvalidCallbackNumber", "CallbackNumberNotDialable"),
    "CreateCallbackContact": ("NoMatchingError",),
    "TransferToFlow": ("NoMatchingError",),
}
_MENU_ERRORS: Final = ("InputTimeLimitExceeded", "NoMatchingCondition", "NoMatchingError")


def check_action(identifier: str, action: Mapping[str, Any], max_invoke_seconds: int, out: Findings) -> None:
    """Trunkline's rules for one action."""
    action_type = str(action.get("Type"))
    if action_type not in ACTION_SPECS:
        out.policy(identifier, f"Trunkline flows use only action types the simulator runs, not {action_type!r}")
        return
    params = action.get("Parameters")
    params = params if isinstance(params, Mapping) else {}
    required: tuple[str, ...] = REQUIRED_ERRORS.get(action_type, ())
    if action_type == "GetParticipantInput":
        required = ("NoMatchingError",) if stores_input(action) else _MENU_ERRORS
        if not stores_input(action) and not conditions_of(action):
            out.policy(identifier, "a menu (StoreInput not True) needs Conditions: the options it offers")
    declared = set(error_types_of(action))
    for error_type in required:
        if error_type not in declared:
            out.policy(identifier, f"{action_type} must handle {error_type}")
    if action_type == "InvokeLambdaFunction":
        _invoke_lambda(identifier, params, max_invoke_seconds, out)
    elif action_type == "CheckHoursOfOperation":
        labels = sorted(condition_label(c.get("Condition") or {}) for c in conditions_of(action))
        if labels != ["Equals:False", "Equals:True"]:
            out.policy(identifier, "conditions must be exactly Equals True and Equals False")


def _invoke_lambda(identifier: str, params: Mapping[str, Any], max_seconds: int, out: Findings) -> None:
    validation = params.get("ResponseValidation")
    # Explicit, never the implicit default: STRING_MAP for decisions; JSON only where a nested reply is the point
    # (the routing-criteria steps; test_flow_static.py pins which call that is).
    if not isinstance(validation, Mapping) or validation.get("ResponseType") not in ("STRING_MAP", "JSON"):
        out.policy(identifier, "ResponseValidation.ResponseType must be set: STRING_MAP (or JSON for nested replies)")
    timeout = params.get("InvocationTimeLimitSeconds")
    seconds = static_int(timeout)
    if not is_placeholder(timeout) and (seconds is None or not 1 <= seconds <= max_seconds):
        out.policy(identifier, f"InvocationTimeLimitSeconds must be 1..{max_seconds} s on a call path, got {timeout!r}")
    if params.get("InvocationType", "SYNCHRONOUS") != "SYNCHRONOUS":
        out.policy(identifier, "InvocationType must be SYNCHRONOUS (routing needs the reply)")


def check_tag_budget(by_id: Mapping[str, Mapping[str, Any]], out: Findings) -> None:
    """Distinct tag keys over all TagContact actions must fit the per-contact limit.

    A conservative bound: keys set on mutually exclusive branches count together. A flow that needs more distinct
    keys than that is rare enough to be worth a second look anyway.
    """
    keys: set[str] = set()
    for action in by_id.values():
        params = action.get("Parameters")
        tags = params.get("Tags") if action.get("Type") == "TagContact" and isinstance(params, Mapping) else None
        if isinstance(tags, Mapping):
            keys |= {str(k) for k in tags}
    if len(keys) > MAX_CONTACT_TAGS:
        out.policy(
            "",
            f"TagContact actions set {len(keys)} distinct tag keys ({', '.join(sorted(keys))}); "
            f"a contact holds at most {MAX_CONTACT_TAGS} user tags",
        )


def check_tokens(document: Any, known_tokens: Collection[str] | None, out: Findings) -> None:
    """Placeholders are whole string values, and (when ``known_tokens`` is given) known ones."""
    for path, value in iter_strings(document):
        whole = TOKEN.match(value)
        if whole:
            if known_tokens is not None and whole.group(1) not in known_tokens:
                out.policy("", f"unknown token %{whole.group(1)}% at {path} (known: {sorted(known_tokens)})")
        elif _EMBEDDED_TOKEN.search(value):
            out.policy("", f"{path}: a token must be a whole string value, found one inside {value!r}")
