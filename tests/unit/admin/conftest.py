"""Admin API fixtures: the real handler over an in-memory store with the sample config, one user per role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import admin.handler as admin_handler
import pytest

from routing.admin.service import AdminService
from routing.config.memory_store import InMemoryConfigStore
from routing.config.publishing import publish_document
from tests.unit.admin.admin_api import NOW, Api


@pytest.fixture
def api(sample_document: dict[str, Any]) -> Iterator[Api]:
    store = InMemoryConfigStore()
    publish_document(store, sample_document, actor="deploy:1", summary="v1", now=NOW)
    service = AdminService(store, regions=("us-east-1", "us-west-2"), clock=lambda: NOW)
    admin_handler.set_service(service)
    yield Api(store, service)
    admin_handler.set_service(None)


@pytest.fixture
def draft_id(api: Api) -> str:
    status, body = api.as_("editor")("POST", "/drafts")
    assert status == 201
    return str(body["draft_id"])
