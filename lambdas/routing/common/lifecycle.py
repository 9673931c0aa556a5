"""Init and SnapStart restore hooks of the call-path functions (``route``; ``callback`` adopts the same object).

Lambda SnapStart runs a function's init once per published version and snapshots the environment; every restored
environment shares what init created. So init builds only what may be shared (imports, settings, the compiled
config, botocore's loaded service model) and nothing that must be unique (no correlation id, no uuid, no random
seed of its own), and after a restore a handler's hooks build fresh AWS clients (the snapshot's connections are
stale), re-seed ``random`` and every ``random.Random`` handed to ``reseed``, and mark cached state as due for a
check — which then runs on the next call, inside that call's store deadline, never here.

The hooks come from ``snapshot_restore_py``, which the Lambda Python managed runtime provides (it is not in the
bundle); anywhere else (tests, the bench, the simulator) registration is a no-op and ``run_after_restore`` is
called directly to simulate a restore. Restore hooks must finish within 10 s (Lambda docs, "Lambda SnapStart
runtime hooks for Python"): these build two clients from an already loaded service model (milliseconds).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from routing.common.observability import logger, metrics

if TYPE_CHECKING:
    from routing.common.deadline import StoreGate
    from routing.config.cache import ConfigCache

Hook = Callable[[], None]


def _runtime_registrars() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """``(register_before_snapshot, register_after_restore)`` from the managed runtime, None elsewhere."""
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found,unused-ignore]
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:
        return None
    return register_before_snapshot, register_after_restore


class Lifecycle:
    """One per handler module: the hooks to run before a snapshot and after a restore, and what the decision
    log says about restores. Every hook is guarded: a failing hook is logged and the others still run."""

    def __init__(self, name: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._clock = clock
        self._before: list[Hook] = []
        self._after: list[Hook] = []
        self._rngs: list[random.Random] = []
        self._registered = False
        self._unreported = False  # a restore the decision log has not shown yet
        self.restores = 0
        self.restored_at: float | None = None
        self.last_restore_seconds: float | None = None  # how long the after-restore hooks took

    def before_snapshot(self, hook: Hook) -> Hook:
        """Run ``hook`` just before Lambda takes the snapshot (reverse order of registration, as Lambda does)."""
        self._before.append(hook)
        return hook

    def after_restore(self, hook: Hook) -> Hook:
        """Run ``hook`` after each restore, in order of registration (before the restored environment's first
        call). Keep it short: no store request here — mark things due instead."""
        self._after.append(hook)
        return hook

    def reseed(self, rng: random.Random) -> random.Random:
        """Re-seed ``rng`` (from ``os.urandom``) after each restore: made at init, its state is in the snapshot."""
        self._rngs.append(rng)
        return rng

    def register_with_runtime(self) -> bool:
        """Hand ``run_before_snapshot``/``run_after_restore`` to the Lambda runtime, once. False outside Lambda's
        managed runtime (nothing registered; call ``run_after_restore`` to simulate a restore)."""
        if self._registered:
            return True
        registrars = _runtime_registrars()
        if registrars is None:
            return False
        register_before_snapshot, register_after_restore = registrars
        register_before_snapshot(self.run_before_snapshot)
        register_after_restore(self.run_after_restore)
        self._registered = True
        return True

    def run_before_snapshot(self) -> None:
        """Drop what init left that must not be replayed by every restored environment: metrics buffered at init
        (each restore would emit them again) and any correlation id; then the registered hooks."""
        metrics.clear_metrics()
        logger.set_correlation_id(None)
        self._run(reversed(self._before), "before snapshot")

    def run_after_restore(self) -> None:
        """Re-seed randomness, run the registered hooks, count the restore for the next decision line."""
        started = time.perf_counter()
        random.seed()  # every restored environment would otherwise draw the same sequence
        for rng in self._rngs:
            rng.seed()
        self._run(iter(self._after), "after restore")
        self.restores += 1
        self.restored_at = self._clock()
        self._unreported = True
        self.last_restore_seconds = time.perf_counter() - started
        logger.info(
            "restored from snapshot",
            extra={
                "function": self.name,
                "restores": self.restores,
                "hooks_ms": round(self.last_restore_seconds * 1000, 3),
            },
        )

    def decision_fields(self) -> dict[str, Any]:
        """For the decision log line: ``restored`` is true on the first decision after a restore; once restored,
        the restore count and the seconds since the last one."""
        fields: dict[str, Any] = {"restored": self._unreported}
        self._unreported = False
        if self.restored_at is not None:
            fields["restores"] = self.restores
            fields["since_restore_s"] = round(max(0.0, self._clock() - self.restored_at), 3)
        return fields

    def _run(self, hooks: Any, when: str) -> None:
        for hook in hooks:
            try:
                hook()
            except Exception as exc:  # noqa: BLE001 — a failed hook must not fail the restore: calls still decide
                logger.exception(f"{self.name}: a {when} hook failed", extra={"error": repr(exc)})


def renew_after_restore(reconnects: Iterable[Callable[[], None]], cache: ConfigCache, gate: StoreGate | None) -> None:
    """What a service does after a SnapStart restore (route and callback alike): new AWS clients first (the
    snapshot's connections are stale), then the config due for a check on the next call (inside that call's
    deadline), and the gate rid of a request hung across the snapshot. Sends nothing; a reconnect that fails is
    retried by the next read."""
    for reconnect in reconnects:
        try:
            reconnect()
        except Exception as exc:  # noqa: BLE001 — PynamoDB builds a client on the next read anyway
            logger.warning("could not build a new DynamoDB client after restore", extra={"error": repr(exc)})
    cache.expire()
    if gate is not None:
        gate.renew()
