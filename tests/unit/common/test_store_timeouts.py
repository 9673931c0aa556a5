"""The route function's DynamoDB client settings: one attempt, timeouts inside the budget, and models that get their
own timeouts back when rebound (PynamoDB keeps them on the class: one test's binding must not leak into another)."""

from __future__ import annotations

from typing import Any

import pytest

from routing.common.models import CallLogItem, ConfigItem, StoreTimeouts, bind_model


def test_the_call_path_client_makes_one_attempt_within_the_budget() -> None:
    timeouts = StoreTimeouts.for_budget(1.0)
    assert timeouts == StoreTimeouts(connect_seconds=0.25, read_seconds=1.5, max_retry_attempts=0)
    assert StoreTimeouts.for_budget(0.3).connect_seconds == 0.075  # a quarter of a small budget


def test_the_botocore_client_has_total_max_attempts_1(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # building a client resolves credentials: fake ones
        monkeypatch.setenv(name, "testing")
    bind_model(ConfigItem, table_name="t", region="us-east-1", timeouts=StoreTimeouts.for_budget(1.0))
    try:
        connection = ConfigItem._get_connection().connection
        config: Any = connection.client.meta.config
        assert config.retries["total_max_attempts"] == 1
        assert (config.connect_timeout, config.read_timeout) == (0.25, 1.5)
    finally:
        bind_model(ConfigItem, table_name="t", region="us-east-1")


def test_rebinding_without_timeouts_restores_the_models_own() -> None:
    bind_model(ConfigItem, table_name="t", timeouts=StoreTimeouts.for_budget(1.0))
    bind_model(ConfigItem, table_name="t")
    assert (ConfigItem.Meta.read_timeout_seconds, ConfigItem.Meta.max_retry_attempts) == (0.6, 1)
    bind_model(CallLogItem, table_name="c")
    assert (CallLogItem.Meta.read_timeout_seconds, CallLogItem.Meta.max_retry_attempts) == (2.0, 3)
    assert not hasattr(ConfigItem.Meta, "base_backoff_ms")  # ignored by PynamoDB 6: gone
