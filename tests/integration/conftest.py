"""Integration fixtures: every test that touches DynamoDB runs inside ``mock_aws`` with fake credentials, and its
tables come from the PynamoDB models the code uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

REGION = "us-east-1"
CONFIG_TABLE = "trunkline-config-it"


@pytest.fixture(autouse=True)
def _fresh_shared_botocore_session() -> Iterator[None]:
    """Each test starts without ``routing.common.models``' shared botocore session. A session built while another
    test's endpoint or patches were in place (or before moto registered its handlers) would otherwise carry them
    into the next test: in production one process serves one function, so only tests can meet this."""
    from routing.common import models

    models._shared_session = None
    yield
    models._shared_session = None


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto for the whole test; credentials are fake so nothing can reach a real account."""
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        # moto answers in process: the per-call store deadline is not what these tests check, and a loaded machine
        # (CI, mutation testing) can take longer than the production 1 s. Fault and init tests set their own.
        "STORE_BUDGET_MS": "10000",
        "INIT_STORE_BUDGET_MS": "10000",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield


@pytest.fixture
def config_table(aws: None) -> str:
    """The config table, created from ``routing.common.models.ConfigItem``."""
    from routing.common.models import ConfigItem, bind_model

    bind_model(ConfigItem, table_name=CONFIG_TABLE, region=REGION)
    ConfigItem.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
    return CONFIG_TABLE


@pytest.fixture
def dynamo_store(config_table: str) -> Any:
    from routing.config.store import DynamoConfigStore

    return DynamoConfigStore(config_table, region=REGION)


@pytest.fixture
def dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Count DynamoDB API calls by operation, and make chosen operations fail like a real outage.

    Patches botocore's client entry point (above moto), so failures travel through PynamoDB's error handling
    exactly as a throttle or an unreachable endpoint would. ``state["fail"] = ({"GetItem"}, exc)`` to fail.
    """
    from botocore.client import BaseClient

    original = BaseClient._make_api_call  # type: ignore[attr-defined]  # private: botocore's stubs leave it out
    state: dict[str, Any] = {"counts": {}, "fail": None}

    def make_api_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        state["counts"][operation_name] = state["counts"].get(operation_name, 0) + 1
        failing = state["fail"]
        if failing is not None and operation_name in failing[0]:
            raise failing[1]
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
    return state


def throttled(operation: str = "GetItem") -> Exception:
    from botocore.exceptions import ClientError

    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate of requests exceeds"}},
        operation,
    )


def unreachable() -> Exception:
    from botocore.exceptions import EndpointConnectionError

    return EndpointConnectionError(endpoint_url=f"https://dynamodb.{REGION}.amazonaws.com")


FailureFactory = Callable[[], Exception]
