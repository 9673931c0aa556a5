"""SnapStart restore of the callback function (issue 18): the service is built at init, so after a restore it gets
new DynamoDB clients, its config is due for a check on the next invocation, its gate forgets a breaker opened at
init, and the random state made at init (shard choice, retry jitter) is re-seeded. The restore itself sends
nothing. The store is a refused local port: no request could succeed anyway, and none must be attempted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import callback.handler as handler
import pytest

from routing.callback.service import CallbackService
from routing.common.deadline import CLOSED, OPEN
from routing.common.models import CallbackItem, ConfigItem
from tests.integration.callback.test_callback_faults import fault_env  # noqa: F401 — the callback function's environment
from trunkline.fault_endpoints import refused_endpoint


@pytest.fixture
def restored_env(fault_env: Path, monkeypatch: pytest.MonkeyPatch) -> CallbackService:  # noqa: F811
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", refused_endpoint())
    service = handler.build_service()
    handler.set_service(service)
    return service  # fault_env's teardown drops it


def test_a_restore_renews_clients_gate_config_check_and_random_state(restored_env: CallbackService) -> None:
    service = restored_env
    gate = service.store_gate
    assert gate is not None
    cache: Any = service._cache
    store: Any = service._store
    clients = (CallbackItem._get_connection().connection.client, ConfigItem._get_connection().connection.client)
    # Given an environment whose config check failed at init (the breaker is open: no check for 30 s)
    with gate.call():
        cache.current()
    gate._open_until = float("inf")  # as a deadline expiry at init would leave it
    assert gate.state == OPEN
    checks = cache.checks
    cache.current()
    assert cache.checks == checks  # not due
    rng_state = store.rng.getstate()
    # When Lambda restores the snapshot
    handler.simulate_restore()
    # Then both DynamoDB clients are new, the gate is closed again, the random state is re-seeded
    assert CallbackItem._get_connection().connection.client is not clients[0]
    assert ConfigItem._get_connection().connection.client is not clients[1]
    assert store._connection is CallbackItem._get_connection().connection  # transactions use the new client
    assert gate.state == CLOSED
    assert store.rng.getstate() != rng_state
    # And the config is due: the next look checks the store (inside that invocation's deadline)
    with gate.call():
        cache.current()
    assert cache.checks == checks + 1
