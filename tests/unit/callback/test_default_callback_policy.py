"""The centre-wide default callback policy (``defaults.callback_policy``, issue 15).

Precedence: the queue's own policy, else its line of business's, else the centre default, else none. The two
upper levels are pinned in tests/unit/route/test_pinned_behaviours.py; these add the centre default and its
validation.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from routing.config.cache import ConfigCache
from routing.config.loader import validate_document
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from routing.live_metrics.reader import LiveMetrics
from routing.live_metrics.store import InMemoryMetricsStore, QueueSnapshot
from routing.route.engine import CompiledConfig
from routing.route.service import RouteService
from tests.unit.config.test_config_validation import config_with, edited, only_issue
from trunkline.contacts import connect_event


def with_default(document: dict[str, Any], policy: str | None) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    if policy is None:
        changed["defaults"].pop("callback_policy", None)
    else:
        changed["defaults"]["callback_policy"] = policy
    return changed


def test_a_queue_with_no_policy_on_it_or_its_line_of_business_inherits_the_centre_default(
    sample_document: dict[str, Any],
) -> None:
    # Given fraud (no line-of-business policy) and fraud_alerts (no policy of its own)
    assert "callback_policy" not in sample_document["lines_of_business"]["fraud"]
    assert "callback_policy" not in sample_document["queues"]["fraud_alerts"]
    # When the centre names a default
    compiled = CompiledConfig.compile(with_default(sample_document, "collections_voice"), version="v-test")
    # Then the queue takes it, and so does a queue with no line of business at all
    assert compiled.queue_callback_policy["fraud_alerts"] == "collections_voice"
    assert compiled.queue_callback_policy["general_default"] == "collections_voice"


def test_without_a_centre_default_such_a_queue_has_no_policy(sample_document: dict[str, Any]) -> None:
    compiled = CompiledConfig.compile(with_default(sample_document, None), version="v-test")
    assert "fraud_alerts" not in compiled.queue_callback_policy
    assert "general_default" not in compiled.queue_callback_policy


def test_a_line_of_business_policy_wins_over_the_centre_default(sample_document: dict[str, Any]) -> None:
    # cards_lost_stolen names no policy; its line of business (cards) names standard_voice
    assert "callback_policy" not in sample_document["queues"]["cards_lost_stolen"]
    compiled = CompiledConfig.compile(with_default(sample_document, "collections_voice"), version="v-test")
    assert compiled.queue_callback_policy["cards_lost_stolen"] == "standard_voice"


def test_a_queues_own_policy_wins_over_the_centre_default(sample_document: dict[str, Any]) -> None:
    # fraud_claims: no line-of-business policy; give the queue its own
    document = with_default(sample_document, "collections_voice")
    document["queues"]["fraud_claims"]["callback_policy"] = "standard_voice"
    compiled = CompiledConfig.compile(document, version="v-test")
    assert compiled.queue_callback_policy["fraud_claims"] == "standard_voice"


def test_the_centre_default_is_validated_and_kept_in_the_normalized_document(
    sample_document: dict[str, Any],
) -> None:
    result = validate_document(with_default(sample_document, "standard_voice"))
    assert result.issues == []
    assert result.document is not None
    assert result.document["defaults"]["callback_policy"] == "standard_voice"


def test_an_unknown_centre_default_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    defaults = edited("defaults.yaml", lambda c: c["defaults"].update(callback_policy="cbb"))
    issue = only_issue(config_with(tmp_path, defaults__yaml=defaults))
    assert issue.path == "defaults.callback_policy"
    assert issue.message == "unknown callback policy 'cbb' (did you mean 'cb'?)"


# --- end to end: the route reply offers the centre default's callback ---------------------------------------------

FRAUD_ALERTS = "d185c2ff-e39e-5728-94d7-ada5b64c43ef"
TUESDAY_MORNING = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # 10:30 in New York: cards_hours open


def _route_fraud_alert(document: dict[str, Any], wait: float) -> dict[str, str]:
    store = InMemoryConfigStore()
    publish_document(store, document, actor="t", summary="t")
    metrics = InMemoryMetricsStore()
    metrics.items[FRAUD_ALERTS] = QueueSnapshot(FRAUD_ALERTS, 1000.0, {"VOICE": {"estimated_wait_time": wait}})
    view = LiveMetrics(metrics, wall_clock=lambda: 1001.0, monotonic=lambda: 1001.0)
    service = RouteService(ConfigCache(store), default_queue_id="d", metrics_view=view, clock=lambda: TUESDAY_MORNING)
    return service.route(connect_event(dialed="+18005550200", attributes={"ivr_choice": "1"}))


@pytest.mark.parametrize(
    ("centre_default", "offer", "reason"),
    [("standard_voice", "true", "wait_above:300"), (None, "false", "no_policy")],
)
def test_route_offers_a_callback_on_a_queue_that_only_the_centre_default_covers(
    sample_document: dict[str, Any], centre_default: str | None, offer: str, reason: str
) -> None:
    reply = _route_fraud_alert(with_default(sample_document, centre_default), wait=420)
    assert reply["queue_key"] == "fraud_alerts"
    assert (reply["callback_offer"], reply["callback_reason"]) == (offer, reason)
