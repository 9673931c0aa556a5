"""``RoutingDecision`` → the flat ``dict[str, str]`` a flow reads as ``$.External``."""

from __future__ import annotations

import json
import math
import re

from routing.common.text import clean_text, encodable
from routing.route.decision import RoutingDecision
from routing.route.prompts import PROMPT_KEYS, reply_prompts

MAX_REPLY_BYTES = 32_000  # Connect: "must be less than 32 KB of UTF-8 data"
# The flow sets QueuePriority with one static block per value 1..10; anything else is Connect's default, 5
# (botocore UpdateContactRoutingData.QueuePriority), never the lowest precedence.
MIN_PRIORITY, MAX_PRIORITY, DEFAULT_PRIORITY = 1, 10, 5
# The last-resort reply (an oversized reply whose reserved values alone are still too big: only an unvalidated
# document or a bug can get there) cuts every value to this. Worst case, every character a control character (six
# bytes as \u00XX in JSON): 29 keys x 120 x 6 + a queue ARN (~127 characters) of 200 x 6 + a 1,000-character
# message x 6 + the keys themselves is under 29 KB: it always fits (test_reply.py checks the worst case).
BOUNDED_VALUE_CHARS = 120
BOUNDED_ARN_CHARS = 200
BOUNDED_MESSAGE_CHARS = 1_000
_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")


def queue_arn(instance_arn: str, queue_id: str) -> str:
    """Build the queue ARN from the invoking instance, so one config serves active and DR instances."""
    if not instance_arn or not queue_id:
        return ""
    return f"{instance_arn}/queue/{queue_id}"


def reply_size(reply: dict[str, str]) -> int:
    """UTF-8 bytes of the reply as JSON carries it (quotes, commas and escapes such as \\" or \\n counted)."""
    return len(json.dumps(reply, ensure_ascii=False, separators=(",", ":")).encode())


def _whole_seconds(value: float | None) -> str:
    """Seconds as an integer string; "" when unknown (None, or NaN/infinity from a bad metrics snapshot)."""
    return str(int(value)) if value is not None and math.isfinite(value) else ""


def _step_count(criteria: str) -> int:
    """How many routing steps the criteria text holds (the flow skips the criteria call on "0")."""
    if not criteria:
        return 0
    try:
        steps = json.loads(criteria)
    except (ValueError, RecursionError):  # RecursionError: deeply nested text from an unvalidated document
        return 0
    return len(steps) if isinstance(steps, list) else 0


def to_reply(decision: RoutingDecision, *, instance_arn: str) -> dict[str, str]:
    """Flatten a decision. Queue attributes first, then the rule's, then the reserved keys (which always win)."""
    queue = decision.queue
    reply: dict[str, str] = {}
    if queue is not None:
        reply.update(queue.attributes)
    reply.update(decision.attributes)
    reply = {k: encodable(v) for k, v in reply.items() if _KEY.fullmatch(k) and isinstance(v, str)}
    reply.update(
        {
            "status": decision.status.value,
            "reason": decision.reason,
            "queue_key": queue.key if queue else "",
            "queue_id": queue.queue_id if queue else "",
            "queue_arn": queue_arn(instance_arn, queue.queue_id) if queue else "",
            "queue_name": queue.name if queue else "",
            "classification": decision.classification,
            "rule_id": decision.rule_id,
            "ruleset": decision.ruleset,
            "config_version": decision.config_version,
            "config_source": decision.config_source,
            "priority": str(
                decision.priority if MIN_PRIORITY <= decision.priority <= MAX_PRIORITY else DEFAULT_PRIORITY
            ),
            "routing_criteria": decision.routing_criteria,
            "routing_criteria_steps": str(_step_count(decision.routing_criteria)),
            "line_of_business": decision.line_of_business,
            "entry_point": decision.entry_point,
            "language": decision.language,
            "message": decision.message,
            "fallback_reason": decision.fallback_reason,
            "callback_offer": "true" if decision.callback_offer else "false",
            "callback_reason": decision.callback_reason,
            "callback_profile": decision.callback_profile,
            "callback_wait_s": _whole_seconds(decision.callback_wait_s),
            "metrics_age_s": _whole_seconds(decision.metrics_age_s),
            **reply_prompts(decision.voice, decision.prompts),
        }
    )
    for key in RESERVED_ORDER:  # values echoed from the event were cleaned when parsed; config text is checked here
        reply[key] = encodable(reply[key])
    if reply_size(reply) < MAX_REPLY_BYTES:
        return reply
    # Config validation keeps attributes far below this; if it ever happens, routing data beats extras.
    reserved = {k: reply[k] for k in RESERVED_ORDER}
    reserved["attributes_dropped"] = "true"
    if reply_size(reserved) < MAX_REPLY_BYTES:
        return reserved
    return bounded_reply(reserved)


def bounded_reply(reply: dict[str, str]) -> dict[str, str]:
    """Only the contract keys, each value cut short: always well under the size limit. ``routing_criteria`` is
    emptied rather than cut (half a JSON document is worse than none: the flow routes without criteria)."""
    out = {k: clean_text(reply.get(k, ""), BOUNDED_VALUE_CHARS) for k in RESERVED_ORDER}
    out["message"] = clean_text(reply.get("message", ""), BOUNDED_MESSAGE_CHARS)
    out["queue_arn"] = clean_text(reply.get("queue_arn", ""), BOUNDED_ARN_CHARS)
    if len(reply.get("routing_criteria", "")) > BOUNDED_VALUE_CHARS:
        out["routing_criteria"] = ""
    out["attributes_dropped"] = "true"
    return out


RESERVED_ORDER = (
    "status",
    "reason",
    "queue_key",
    "queue_id",
    "queue_arn",
    "queue_name",
    "classification",
    "rule_id",
    "ruleset",
    "config_version",
    "config_source",
    "priority",
    "routing_criteria",
    "routing_criteria_steps",
    "line_of_business",
    "entry_point",
    "language",
    "message",
    "fallback_reason",
    "callback_offer",
    "callback_reason",
    "callback_profile",
    "callback_wait_s",
    "metrics_age_s",
    "voice",
    *(f"prompt_{key}" for key in PROMPT_KEYS),
)
# Every key the reply owns: the ones above plus the oversize marker.
RESERVED_KEYS = frozenset(RESERVED_ORDER) | {
    "callback_reason",
    "callback_profile",
    "callback_wait_s",
    "attributes_dropped",
}
