"""``trunkline.cli.errors.one_line``: what a user reads for each failure, through PynamoDB's wrapping."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError
from pynamodb.exceptions import GetError, QueryError

from trunkline.cli.errors import CliError, one_line


def client_error(code: str, message: str, operation: str = "GetItem") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (CliError("x: event file not found"), "x: event file not found"),
        (NoRegionError(), "no AWS region: pass --region"),
        (NoCredentialsError(), "no AWS credentials found"),
        (
            GetError("Failed to get item", cause=client_error("ResourceNotFoundException", "no table t")),
            "AWS GetItem: table not found (no table t); check --table and --region",
        ),
        (
            QueryError("Failed", cause=client_error("AccessDeniedException", "not allowed", "Query")),
            "AWS Query failed: AccessDeniedException: not allowed",
        ),
        (
            GetError("Failed", cause=EndpointConnectionError(endpoint_url="http://127.0.0.1:9")),
            'store unreachable: Could not connect to the endpoint URL: "http://127.0.0.1:9"',
        ),
        (FileNotFoundError(2, "No such file or directory", "/x/y.json"), "/x/y.json: not found"),
        (ValueError("bad\nthing"), "ValueError: bad thing (run with --debug for the traceback)"),
    ],
)
def test_each_failure_reads_as_one_line(exc: BaseException, expected: str) -> None:
    line = one_line(exc)
    assert "\n" not in line
    assert line.startswith(expected)


def test_a_wrapped_cause_is_found_through_raise_from() -> None:
    outer = RuntimeError("store failed")
    outer.__cause__ = NoCredentialsError()
    assert one_line(outer).startswith("no AWS credentials found")
