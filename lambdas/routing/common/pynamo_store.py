"""The plumbing every PynamoDB-backed store shares: bind its model to the table once (name, region, endpoint,
timeouts), build the botocore client in the init phase, renew it after a SnapStart restore.

Imports nothing heavy: ``routing.common.models`` (PynamoDB, botocore) loads when a store is made, not when a
store's module is imported, so a handler that only names a store type pays nothing for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from pynamodb.models import Model

    from routing.common.models import StoreTimeouts

ModelT = TypeVar("ModelT", bound="Model")


class PynamoStore(Generic[ModelT]):
    """A store over one PynamoDB model. Subclasses name the model in ``_model_class`` (a lazy import)."""

    _model: type[ModelT]

    def __init__(
        self,
        table_name: str,
        *,
        region: str | None = None,
        host: str | None = None,
        timeouts: StoreTimeouts | None = None,
    ) -> None:
        from routing.common.models import bind_model

        model = self._model_class()
        bind_model(model, table_name=table_name, region=region, host=host, timeouts=timeouts)
        self._model = model

    def _model_class(self) -> type[ModelT]:
        """The PynamoDB model this store reads and writes (imported here, not at module level)."""
        raise NotImplementedError

    def warm_up(self) -> None:
        """Build the botocore client now (init phase) instead of inside the first call's budget. No request."""
        from routing.common.models import build_client

        build_client(self._model)

    def reconnect(self) -> None:
        """After a SnapStart restore: a new client (the snapshot's connections are stale). No request."""
        from routing.common.models import renew_clients

        renew_clients((self._model,))
