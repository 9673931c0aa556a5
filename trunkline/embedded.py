"""The embedded store: DynamoDB on moto, in-process, with its items kept in a local JSON file between runs.

With no AWS account, ``trunkline publish`` then ``trunkline invoke`` in two separate processes still see the same
table: the state file is loaded into moto when a command starts and written back when it ends.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# At the project root, never under the current folder (``trunkline.cli.stores`` adds TRUNKLINE_STORE_DIR/--store-dir).
DEFAULT_STATE = Path(__file__).resolve().parents[1] / ".trunkline" / "embedded-store.json"
EMBEDDED_TABLE = "trunkline-config"
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


class EmbeddedStoreError(Exception):
    """The state file cannot be used (unreadable or not what ``dump_items`` wrote); the message names it."""


def read_state(state_file: Path) -> list[dict[str, Any]]:
    """The items saved in ``state_file``, or ``EmbeddedStoreError`` saying why they cannot be loaded."""
    try:
        items = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise EmbeddedStoreError(f"{state_file}: embedded store state unreadable ({exc}); move it away") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise EmbeddedStoreError(f"{state_file}: not an embedded store state (a list of items); move it away")
    return items


@contextmanager
def fake_aws_env() -> Iterator[None]:
    """Credentials and region for moto, so nothing can ever reach a real account; restored afterwards."""
    saved = {k: os.environ.get(k) for k in (*FAKE_ENV, "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB")}
    os.environ.update(FAKE_ENV)
    for k in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        os.environ.pop(k, None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def create_tables(table_name: str = EMBEDDED_TABLE) -> None:
    """Create the config table from the same PynamoDB model the code uses."""
    from routing.common.models import ConfigItem, bind_model

    bind_model(ConfigItem, table_name=table_name, region="us-east-1")
    if not ConfigItem.exists():
        ConfigItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")


def _client() -> Any:
    import boto3

    return boto3.client("dynamodb", region_name="us-east-1")


def dump_items(table_name: str = EMBEDDED_TABLE) -> list[dict[str, Any]]:
    """Every item of the table, in DynamoDB JSON (binary values base64)."""
    import base64

    items: list[dict[str, Any]] = []
    paginator = _client().get_paginator("scan")
    for page in paginator.paginate(TableName=table_name):
        for item in page["Items"]:
            for value in item.values():
                if "B" in value:
                    value["B"] = base64.b64encode(value["B"]).decode()
            items.append(item)
    return items


def load_items(items: list[dict[str, Any]], table_name: str = EMBEDDED_TABLE) -> None:
    """Put items dumped by ``dump_items`` back."""
    import base64

    client = _client()
    for item in items:
        for value in item.values():
            if "B" in value:
                value["B"] = base64.b64decode(value["B"])
        client.put_item(TableName=table_name, Item=item)


@contextmanager
def embedded_dynamodb(state_file: Path | None = DEFAULT_STATE, table_name: str = EMBEDDED_TABLE) -> Iterator[str]:
    """moto's DynamoDB with the config table; loads/saves ``state_file`` when given. Yields the table name."""
    from moto import mock_aws

    with fake_aws_env(), mock_aws():
        create_tables(table_name)
        if state_file is not None and state_file.is_file():
            load_items(read_state(state_file), table_name)
        try:
            yield table_name
        finally:
            if state_file is not None:
                save_state(state_file, table_name)


def save_state(state_file: Path, table_name: str = EMBEDDED_TABLE) -> None:
    """Write the table's items to ``state_file`` (atomically: a reader never sees half a file)."""
    state_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(dump_items(table_name)), encoding="utf-8")
    tmp.replace(state_file)
