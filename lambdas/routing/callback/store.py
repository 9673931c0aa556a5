"""Callback holds with one DynamoDB transaction per step (no read-then-write race). See docs/design/callback.md.

Items (``routing.common.models.CallbackItem``); no item holds a raw phone number, only its keyed hash:
- ``LOCK#<queue>#<hmac>``: the hold on (queue, number). ``reserve`` writes it for minutes (``RESERVED``) only if none
  exists or the old one's ``lock_until`` has passed (TTL deletion can lag by up to 48 h, so the condition, not TTL,
  ends a hold); ``confirm`` extends it to the de-dup window (``CONFIRMED``);
- ``CAP#<queue>#<bucket>#<shard>``: callbacks counted in the current window-sized time bucket, spread over a few
  shards whose shares add up to the cap; each is incremented only while below its share;
- ``CONTACT#<contact id>``: what a contact holds (state, lock key, cap key), so a Connect retry gets the same
  answer, a second request releases the first, and ``release`` frees exactly what was taken.

All I/O goes through ``_get`` and ``_transact``; with a ``StoreGate`` (the callback function's per-call deadline,
``routing.common.deadline``) every request runs under the call's deadline, and a conflict retry is made only when
``may_retry(backoff)`` says the backoff plus one more request still fits in what is left of it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from routing.callback.request import (
    CallbackRequest,
    CallbackStatus,
    ConfirmOutcome,
    HoldState,
    StoredAnswer,
    cap_shares,
)
from routing.common.pynamo_store import PynamoStore

if TYPE_CHECKING:
    from pynamodb.transactions import TransactWrite

    from routing.common.deadline import StoreGate
    from routing.common.models import CallbackItem, StoreTimeouts

CONFLICT_RETRIES = 3  # a TransactionConflict is retried this many times (jittered) before it becomes ERROR
CONFLICT_BACKOFF_S = 0.02  # full jitter: sleep uniform(0, base x 2^attempt)
DEFAULT_SHARDS = 4
# A conflict retry needs its backoff plus one more request inside the call's deadline: a healthy TransactWriteItems
# takes ~10-30 ms, so a retry with less than this left after its backoff would only be cut by the deadline.
RETRY_HEADROOM_S = 0.1
CCF = "ConditionalCheckFailed"


def lock_key(queue_key: str, number_hash: str) -> str:
    """The hold's key: the queue and the keyed hash of the number."""
    return f"LOCK#{queue_key}#{number_hash}"


def cap_key(queue_key: str, now: float, window: int, shard: int) -> str:
    """One shard of the queue's counter for the window-sized bucket that contains ``now``."""
    return f"CAP#{queue_key}#{int(now // max(1, window))}#{shard}"


def _ttl(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def quiet_sdk_loggers() -> None:
    """botocore and PynamoDB log whole requests (items, keys) at DEBUG: keep them above DEBUG whatever LOG_LEVEL
    says, so a debugging session never writes table contents to CloudWatch."""
    for name in ("botocore", "boto3", "pynamodb", "urllib3"):
        log = logging.getLogger(name)
        # An explicit level (not NOTSET, which would follow the root logger down to DEBUG later).
        if log.level < logging.INFO:
            log.setLevel(logging.INFO)


def confirmed(answer: StoredAnswer) -> StoredAnswer:
    """``answer`` in the CONFIRMED state."""
    return StoredAnswer(HoldState.CONFIRMED, answer.queue_key, answer.number_hash, answer.profile)


def _codes(exc: Any) -> list[str | None]:
    return [r.code if r else None for r in (getattr(exc, "cancellation_reasons", None) or [])]


class DynamoCallbackStore(PynamoStore["CallbackItem"]):
    """The callback table through PynamoDB, with one connection (one botocore client) per container."""

    def __init__(
        self,
        table_name: str,
        *,
        region: str | None = None,
        host: str | None = None,
        shards: int = DEFAULT_SHARDS,
        conflict_retries: int = CONFLICT_RETRIES,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeouts: StoreTimeouts | None = None,
        gate: StoreGate | None = None,
        may_retry: Callable[[float], bool] | None = None,
    ) -> None:
        quiet_sdk_loggers()
        super().__init__(table_name, region=region, host=host, timeouts=timeouts)
        self._shards, self._retries = max(1, shards), max(0, conflict_retries)
        self._rng, self._sleep = rng or random.Random(), sleep
        self._gate = gate
        self._may_retry = may_retry or self._fits_in_deadline
        # The model's cached TableConnection wraps one Connection (one botocore client, created on first use):
        # transactions share it instead of building a session and a client per request.
        self._connection = self._model._get_connection().connection

    def _model_class(self) -> type[CallbackItem]:
        from routing.common.models import CallbackItem

        return CallbackItem

    @property
    def rng(self) -> random.Random:
        """Shard choice and retry jitter: made at init, so a SnapStart restore must re-seed it (``Lifecycle``)."""
        return self._rng

    def reconnect(self) -> None:
        """After a SnapStart restore: a new client (the snapshot's connections are stale). No request."""
        super().reconnect()
        self._connection = self._model._get_connection().connection

    def _fits_in_deadline(self, backoff: float) -> bool:
        """A conflict retry is worth it only if its backoff and one more request fit before the call's deadline
        (no gate: no deadline, the retry bound alone)."""
        return self._gate is None or self._gate.remaining() > backoff + RETRY_HEADROOM_S

    def _io(self, fn: Callable[[], Any]) -> Any:
        """One request, under the call's deadline when there is a gate (raises ``StoreUnavailableError`` when the
        budget is spent, an earlier request still hangs, or the breaker is open)."""
        return fn() if self._gate is None else self._gate.run(fn)

    # -- the only two places that do I/O ------------------------------------------------------------------------

    def _get(self, pk: str) -> CallbackItem | None:
        def read() -> CallbackItem | None:
            try:
                return self._model.get(pk, consistent_read=True)
            except self._model.DoesNotExist:
                return None

        item: CallbackItem | None = self._io(read)
        return item

    def _transact(self, build: Callable[[TransactWrite], None]) -> None:
        """Run one transaction; a cancellation with a TransactionConflict (another transaction on the same items in
        flight) and no failed condition is retried with full jitter, at most ``conflict_retries`` times
        (``CONFLICT_RETRIES``), and only while the retry fits in the call's deadline (``may_retry``). Anything else
        raises at once. Below this, botocore retries per the model's ``StoreTimeouts``: not at all in the callback
        function (``for_budget``: one attempt), once with the model defaults (the outcomes function's releases)."""
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        def attempt_once() -> None:
            with TransactWrite(connection=self._connection) as tx:
                build(tx)

        for attempt in range(self._retries + 1):
            try:
                self._io(attempt_once)
                return
            except TransactWriteError as exc:
                codes = _codes(exc)
                if attempt == self._retries or "TransactionConflict" not in codes or CCF in codes:
                    raise
                backoff = self._rng.uniform(0, CONFLICT_BACKOFF_S * 2**attempt)
                if not self._may_retry(backoff):
                    raise
                self._sleep(backoff)

    # -- the store ----------------------------------------------------------------------------------------------

    def answer_for(self, contact_id: str) -> StoredAnswer | None:
        """What this contact holds (consistent read)."""
        item = self._get(f"CONTACT#{contact_id}")
        if item is None:
            return None
        state = HoldState.RESERVED if item.status == HoldState.RESERVED.value else HoldState.CONFIRMED
        return StoredAnswer(state, item.queue_key or "", item.number_hash or "", item.profile or "")

    def reserve(self, request: CallbackRequest, *, now: float) -> CallbackStatus:
        """Lock + cap shard + contact in one transaction; a full shard sends the request to the next one."""
        from pynamodb.exceptions import TransactWriteError

        shares = cap_shares(request.max_open, self._shards)
        start = self._rng.randrange(len(shares))
        for i in range(len(shares)):
            shard = (start + i) % len(shares)
            try:
                self._transact(partial(self._reserve_items, request=request, now=now, shard=shard, share=shares[shard]))
            except TransactWriteError as exc:
                # PynamoDB sends condition checks, deletes, puts, then updates: [lock put, contact put, cap update].
                codes = _codes(exc)
                if len(codes) == 3 and codes[0] == CCF:
                    return CallbackStatus.DUPLICATE
                if len(codes) == 3 and codes[2] == CCF:
                    continue  # this shard is at its share: try the next
                raise
            return CallbackStatus.RESERVED
        return CallbackStatus.QUEUE_FULL

    def _reserve_items(
        self, tx: TransactWrite, *, request: CallbackRequest, now: float, shard: int, share: int
    ) -> None:
        m = self._model
        lock_until = now + request.reservation_seconds
        cap = cap_key(request.queue_key, now, request.window_seconds, shard)
        key = lock_key(request.queue_key, request.number_hash)
        tx.save(
            m(key, contact_id=request.contact_id, queue_key=request.queue_key, status=HoldState.RESERVED.value,
              created_at=now, lock_until=lock_until, expires_at=_ttl(lock_until)),
            condition=m.pk.does_not_exist() | (m.lock_until <= now),
        )  # fmt: skip
        tx.save(self._contact_item(request, HoldState.RESERVED, key, cap, now))
        tx.update(
            m(cap),
            actions=[m.open_count.add(1), m.expires_at.set(_ttl(now + 2 * request.window_seconds))],
            condition=m.open_count.does_not_exist() | (m.open_count < share),
        )

    def _contact_item(self, request: CallbackRequest, state: HoldState, key: str, cap: str, now: float) -> Any:
        # Kept past the window so the outcome function can release a callback that ends late.
        until = now + request.window_seconds + request.reservation_seconds
        return self._model(
            f"CONTACT#{request.contact_id}", contact_id=request.contact_id, queue_key=request.queue_key,
            number_hash=request.number_hash, profile=request.profile, status=state.value, lock_key=key, cap_key=cap,
            window_seconds=request.window_seconds, created_at=now, lock_until=now + request.window_seconds,
            expires_at=_ttl(until),
        )  # fmt: skip

    def confirm(self, contact_id: str, request: CallbackRequest | None, *, now: float) -> ConfirmOutcome:
        """Reservation → window-long lock (idempotent); without a live reservation, adopt the lock if free."""
        from pynamodb.exceptions import TransactWriteError

        m = self._model
        contact = self._get(f"CONTACT#{contact_id}")
        if contact is not None and contact.status == HoldState.CONFIRMED.value:
            return ConfirmOutcome.CONFIRMED
        if contact is not None and contact.lock_key:
            window = int(contact.window_seconds or (request.window_seconds if request else 0) or 3600)

            def extend(tx: TransactWrite) -> None:
                tx.update(
                    m(contact.lock_key),
                    actions=[m.status.set(HoldState.CONFIRMED.value), m.lock_until.set(now + window),
                             m.expires_at.set(_ttl(now + window))],
                    condition=m.contact_id == contact_id,
                )  # fmt: skip
                tx.update(
                    m(f"CONTACT#{contact_id}"),
                    actions=[m.status.set(HoldState.CONFIRMED.value), m.lock_until.set(now + window)],
                    condition=m.contact_id == contact_id,
                )

            try:
                self._transact(extend)
                return ConfirmOutcome.CONFIRMED
            except TransactWriteError as exc:
                if CCF not in _codes(exc):
                    raise
        if request is None:
            return ConfirmOutcome.UNLOCKED
        return self._adopt(request, contact.cap_key if contact is not None else None, now)

    def _adopt(self, request: CallbackRequest, reserved_cap: str | None, now: float) -> ConfirmOutcome:
        """The callback exists but the reservation lapsed: take the lock if it is free and count the callback
        (reusing the cap slot the lapsed reservation took, else unconditionally: it exists whatever the cap)."""
        from pynamodb.exceptions import TransactWriteError

        m = self._model
        key = lock_key(request.queue_key, request.number_hash)
        cap = reserved_cap or cap_key(request.queue_key, now, request.window_seconds, self._rng.randrange(self._shards))
        until = now + request.window_seconds

        def adopt(tx: TransactWrite) -> None:
            tx.save(
                m(key, contact_id=request.contact_id, queue_key=request.queue_key, status=HoldState.CONFIRMED.value,
                  created_at=now, lock_until=until, expires_at=_ttl(until)),
                condition=m.pk.does_not_exist() | (m.lock_until <= now) | (m.contact_id == request.contact_id),
            )  # fmt: skip
            tx.save(self._contact_item(request, HoldState.CONFIRMED, key, cap, now))
            if reserved_cap is None:
                expires = _ttl(now + 2 * request.window_seconds)
                tx.update(m(cap), actions=[m.open_count.add(1), m.expires_at.set(expires)])

        try:
            self._transact(adopt)
        except TransactWriteError as exc:
            if CCF not in _codes(exc):
                raise
            return ConfirmOutcome.UNLOCKED
        return ConfirmOutcome.ADOPTED

    def release(self, contact_id: str, *, keep_confirmed: bool = False) -> bool:
        """Free the contact's lock (only if still its own) and its cap slot; idempotent."""
        from pynamodb.exceptions import TransactWriteError

        m = self._model
        contact = self._get(f"CONTACT#{contact_id}")
        if contact is None:
            return True
        if keep_confirmed and contact.status == HoldState.CONFIRMED.value:
            return False
        parts = {"lock": bool(contact.lock_key), "cap": bool(contact.cap_key)}
        state = contact.status

        def free(tx: TransactWrite) -> None:
            tx.delete(m(f"CONTACT#{contact_id}"), condition=m.status == state if keep_confirmed else None)
            if parts["lock"]:
                tx.delete(m(contact.lock_key), condition=m.contact_id == contact_id)
            if parts["cap"]:
                tx.update(m(contact.cap_key), actions=[m.open_count.add(-1)], condition=m.open_count > 0)

        for _ in range(3):
            try:
                self._transact(free)
                return True
            except TransactWriteError as exc:
                # [contact delete, lock delete, cap update]: drop the parts that are no longer ours and go again
                # (the lock lapsed and another contact took it; the bucket expired).
                codes = _codes(exc)
                if not codes:
                    raise
                if codes[0] == CCF:
                    return False  # only a flow release has this condition: the callback was confirmed meanwhile
                names = ["contact", *[n for n in ("lock", "cap") if parts[n]]]
                for name, code in zip(names, codes, strict=False):
                    if code == CCF and name in parts:
                        parts[name] = False
        return True
