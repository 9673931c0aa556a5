"""``routing.common.lifecycle``: the SnapStart runtime hooks (registered with the managed runtime's
``snapshot_restore_py`` when it is there, no-ops elsewhere), re-seeding after a restore, and what the decision log
says about restores."""

from __future__ import annotations

import random
import sys
import types
from typing import Any

import pytest

from routing.common.lifecycle import Lifecycle
from routing.common.observability import logger, metrics
from tests.conftest import FakeClock


@pytest.fixture
def fake_runtime(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """A stand-in for the ``snapshot_restore_py`` module the Lambda Python managed runtime provides."""
    registered: dict[str, list[Any]] = {"before": [], "after": []}
    module = types.ModuleType("snapshot_restore_py")
    module.register_before_snapshot = registered["before"].append  # type: ignore[attr-defined]
    module.register_after_restore = registered["after"].append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    return registered


def test_hooks_are_registered_with_the_managed_runtime_once(fake_runtime: dict[str, list[Any]]) -> None:
    life = Lifecycle("t")
    assert life.register_with_runtime() is True
    assert life.register_with_runtime() is True  # idempotent: initialize() may run again (tests, set_service)
    assert fake_runtime == {"before": [life.run_before_snapshot], "after": [life.run_after_restore]}


def test_outside_the_managed_runtime_registration_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import raises ImportError
    assert Lifecycle("t").register_with_runtime() is False


def test_a_restore_reseeds_random_so_restored_environments_draw_differently() -> None:
    # Given the random state a snapshot holds, and a Random made at init that the handler asked to re-seed
    life = Lifecycle("t")
    tracked = life.reseed(random.Random(42))
    random.seed(42)
    snapshot_state = random.getstate()
    tracked_state = tracked.getstate()

    def restored_draws() -> tuple[float, float]:
        random.setstate(snapshot_state)
        tracked.setstate(tracked_state)
        life.run_after_restore()
        return random.random(), tracked.random()

    # When two environments are restored from the same snapshot
    first, second = restored_draws(), restored_draws()
    # Then neither draws the snapshot's sequence, nor the same as the other
    random.setstate(snapshot_state)
    tracked.setstate(tracked_state)
    replayed = (random.random(), tracked.random())
    assert first[0] != second[0]
    assert first[1] != second[1]
    assert replayed[0] not in (first[0], second[0])
    assert replayed[1] not in (first[1], second[1])


def test_hooks_run_in_lambdas_order_and_a_failing_hook_does_not_stop_the_others() -> None:
    life = Lifecycle("t")
    ran: list[str] = []

    def failing() -> None:
        ran.append("fail")
        raise RuntimeError("boom")

    life.before_snapshot(lambda: ran.append("b1"))
    life.before_snapshot(lambda: ran.append("b2"))
    life.after_restore(failing)
    life.after_restore(lambda: ran.append("a2"))
    life.run_before_snapshot()
    life.run_after_restore()
    assert ran == ["b2", "b1", "fail", "a2"]  # before snapshot: reverse order of registration
    assert life.restores == 1


def test_the_first_decision_after_a_restore_says_so() -> None:
    clock = FakeClock(100.0)
    life = Lifecycle("t", clock=clock)
    assert life.decision_fields() == {"restored": False}
    life.run_after_restore()
    clock.now += 2.5
    assert life.decision_fields() == {"restored": True, "restores": 1, "since_restore_s": 2.5}
    assert life.decision_fields()["restored"] is False
    life.run_after_restore()
    assert life.decision_fields()["restores"] == 2


def test_before_the_snapshot_nothing_from_init_is_left_to_replay(emf: Any) -> None:
    # Given a metric buffered and a correlation id set during init
    metrics.add_metric(name="ConfigRefreshFailed", unit="Count", value=1)
    logger.set_correlation_id("init-time-id")
    # When the snapshot is taken
    Lifecycle("t").run_before_snapshot()
    # Then every restored environment starts without them (else each would emit the init metric again)
    assert logger.get_correlation_id() is None
    assert emf() == []


def test_the_init_budget_is_a_setting_of_its_own() -> None:
    from routing.common.settings import Settings

    assert Settings.from_env({}).init_store_budget_seconds == 2.0
    settings = Settings.from_env({"INIT_STORE_BUDGET_MS": "0", "STORE_BUDGET_MS": "300"})
    assert (settings.init_store_budget_seconds, settings.store_budget_seconds) == (0.0, 0.3)  # 0: no read at init


@pytest.mark.parametrize(
    ("init_type", "expected"),
    [("snap-start", 2.0), ("provisioned-concurrency", 2.0), ("on-demand", 0.3), ("", 0.3)],
)
def test_an_on_demand_init_spends_no_more_than_a_calls_budget(init_type: str, expected: float) -> None:
    # An on-demand init runs inside the caller's first call; a snapshot's or a provisioned one's does not.
    from routing.common.settings import Settings

    env = {"STORE_BUDGET_MS": "300", "AWS_LAMBDA_INITIALIZATION_TYPE": init_type}
    assert Settings.from_env(env).init_budget_seconds == expected
