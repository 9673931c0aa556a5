"""Callback records with one DynamoDB transaction per request (no read-then-write race).

Items (``routing.data.models.CallbackItem``):
- ``LOCK#<queue>#<e164>``: the de-duplication lock; a new lock is written only if none exists or the old one's
  ``lock_until`` has passed (TTL deletion can lag by up to 48 h, so the condition, not TTL, ends the window);
- ``CAP#<queue>#<bucket>``: callbacks created in the current window-sized time bucket, incremented only while
  below the cap (a bucket is a self-healing approximation of "open callbacks": it expires with its bucket);
- ``CONTACT#<contact id>``: the answer given to a contact, so a Connect retry gets the same answer and a caller
  who gives another number releases the first one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from threading import Lock
from typing import TYPE_CHECKING

from routing.callback import CallbackRequest, CallbackStatus, StoredAnswer

if TYPE_CHECKING:
    from pynamodb.connection import Connection


def _lock_key(queue_key: str, number: str) -> str:
    return f"LOCK#{queue_key}#{number}"


def _cap_key(queue_key: str, now: float, window: int) -> str:
    return f"CAP#{queue_key}#{int(now // window)}"


def _ttl(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class InMemoryCallbackStore:
    """Same semantics in a dict, under a lock (tests, simulator)."""

    def __init__(self) -> None:
        self.locks: dict[str, tuple[str, float]] = {}  # lock key → (contact id, lock_until)
        self.caps: dict[str, int] = {}
        self.answers: dict[str, tuple[StoredAnswer, str, int]] = {}  # contact → (answer, cap key, window)
        self._mutex = Lock()

    def answer_for(self, contact_id: str) -> StoredAnswer | None:
        entry = self.answers.get(contact_id)
        return entry[0] if entry else None

    def create(self, request: CallbackRequest, *, now: float) -> CallbackStatus:
        with self._mutex:
            key = _lock_key(request.queue_key, request.number)
            held = self.locks.get(key)
            if held is not None and held[1] > now:
                return CallbackStatus.DUPLICATE
            cap = _cap_key(request.queue_key, now, request.window_seconds)
            if self.caps.get(cap, 0) >= request.max_open:
                return CallbackStatus.QUEUE_FULL
            self.locks[key] = (request.contact_id, now + request.window_seconds)
            self.caps[cap] = self.caps.get(cap, 0) + 1
            answer = StoredAnswer(CallbackStatus.CREATED, request.queue_key, request.number, request.profile)
            self.answers[request.contact_id] = (answer, cap, request.window_seconds)
            return CallbackStatus.CREATED

    def release(self, contact_id: str, *, now: float) -> None:  # noqa: ARG002
        with self._mutex:
            entry = self.answers.pop(contact_id, None)
            if entry is None:
                return
            answer, cap, _ = entry
            key = _lock_key(answer.queue_key, answer.number)
            if self.locks.get(key, ("",))[0] == contact_id:
                del self.locks[key]
                self.caps[cap] = max(0, self.caps.get(cap, 0) - 1)


class DynamoCallbackStore:
    """The callback table through PynamoDB transactions."""

    def __init__(self, table_name: str, *, region: str | None = None, host: str | None = None) -> None:
        from routing.data.models import CallbackItem, bind_model

        bind_model(CallbackItem, table_name=table_name, region=region, host=host)
        self._model = CallbackItem
        self._region = region
        self._host = host

    def answer_for(self, contact_id: str) -> StoredAnswer | None:
        try:
            item = self._model.get(f"CONTACT#{contact_id}", consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return StoredAnswer(
            CallbackStatus(item.status or "CREATED"), item.queue_key or "", item.number or "", item.profile or ""
        )

    def _connection(self) -> Connection:
        from pynamodb.connection import Connection

        from routing.data.models import CONNECT_TIMEOUT_S, MAX_RETRIES, READ_TIMEOUT_S

        return Connection(
            region=self._model.Meta.region,
            host=self._model.Meta.host,
            connect_timeout_seconds=CONNECT_TIMEOUT_S,
            read_timeout_seconds=READ_TIMEOUT_S,
            max_retry_attempts=MAX_RETRIES,
        )

    def create(self, request: CallbackRequest, *, now: float) -> CallbackStatus:
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        m = self._model
        lock_until = now + request.window_seconds
        cap_key = _cap_key(request.queue_key, now, request.window_seconds)
        lock = m(
            _lock_key(request.queue_key, request.number),
            contact_id=request.contact_id,
            queue_key=request.queue_key,
            created_at=now,
            lock_until=lock_until,
            status="OPEN",
            expires_at=_ttl(lock_until),
        )
        answer = m(
            f"CONTACT#{request.contact_id}",
            contact_id=request.contact_id,
            queue_key=request.queue_key,
            number=request.number,
            profile=request.profile,
            status=CallbackStatus.CREATED.value,
            created_at=now,
            lock_until=lock_until,
            expires_at=_ttl(lock_until),
        )
        try:
            with TransactWrite(connection=self._connection()) as tx:
                tx.save(lock, condition=m.pk.does_not_exist() | (m.lock_until <= now))
                tx.update(
                    m(cap_key),
                    actions=[m.open_count.add(1), m.expires_at.set(_ttl(lock_until + request.window_seconds))],
                    condition=m.open_count.does_not_exist() | (m.open_count < request.max_open),
                )
                tx.save(answer, condition=m.pk.does_not_exist() | (m.contact_id == request.contact_id))
        except TransactWriteError as exc:
            # PynamoDB sends condition checks, deletes, puts, then updates: [lock put, answer put, cap update].
            reasons = [r.code if r else None for r in (exc.cancellation_reasons or [])]
            if len(reasons) == 3 and reasons[0] == "ConditionalCheckFailed":
                return CallbackStatus.DUPLICATE
            if len(reasons) == 3 and reasons[2] == "ConditionalCheckFailed":
                return CallbackStatus.QUEUE_FULL
            raise
        return CallbackStatus.CREATED

    def release(self, contact_id: str, *, now: float) -> None:
        from pynamodb.exceptions import TransactWriteError
        from pynamodb.transactions import TransactWrite

        m = self._model
        try:
            answer = m.get(f"CONTACT#{contact_id}", consistent_read=True)
        except m.DoesNotExist:
            return
        window = max(1, int((answer.lock_until or now) - (answer.created_at or now)))
        cap_key = _cap_key(answer.queue_key or "", answer.created_at or now, window)
        try:
            with TransactWrite(connection=self._connection()) as tx:
                tx.delete(
                    m(_lock_key(answer.queue_key or "", answer.number or "")), condition=m.contact_id == contact_id
                )
                tx.update(m(cap_key), actions=[m.open_count.add(-1)], condition=m.open_count > 0)
                tx.delete(m(f"CONTACT#{contact_id}"))
        except TransactWriteError:
            # The lock already belongs to someone else (window passed) or the bucket expired: drop our answer only.
            m(f"CONTACT#{contact_id}").delete()
