"""The poller Lambda handler on moto: the queue list from the published config, snapshots in the metrics table,
and sampling that goes on when the config table becomes unreadable. Connect is a Stubber on a real client."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from routing.common.handlers import LocalContext
from trunkline.embedded import fake_aws_env

ROOT = Path(__file__).resolve().parents[3]
INSTANCE_ARN = "arn:aws:connect:us-east-1:111122223333:instance/5f7c9b1e-0d3a-4a8e-9c1f-2b6d8e4a7c10"
CARDS_GENERAL = "86ab7e22-5e41-516b-9428-5c53e39b9081"


class Context(LocalContext):
    """A Lambda context with 20 s left: one sample, then the poller stops before its safety margin."""

    def get_remaining_time_in_millis(self) -> int:
        return 20_000


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    import metrics_poller.handler as handler
    from moto import mock_aws

    from routing.common.models import ConfigItem, QueueMetricsItem
    from routing.common.settings import Settings
    from routing.config.loader import load_directory
    from routing.config.publishing import publish_document
    from routing.config.store import DynamoConfigStore
    from routing.live_metrics.poller import MetricsPoller
    from routing.live_metrics.store import DynamoMetricsStore

    with fake_aws_env(), mock_aws():
        env = {
            "CONFIG_TABLE_NAME": "config-t",
            "METRICS_TABLE_NAME": "metrics-t",
            "CONNECT_INSTANCE_ARN": INSTANCE_ARN,
            "AWS_REGION": "us-east-1",
        }
        settings = Settings.from_env(env)
        config = DynamoConfigStore("config-t", region="us-east-1")
        ConfigItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        doc = load_directory(ROOT / "config").document
        assert doc is not None
        publish_document(config, doc, actor="t", summary="t")
        metrics_store = DynamoMetricsStore("metrics-t", region="us-east-1")
        QueueMetricsItem.create_table(wait=False, billing_mode="PAY_PER_REQUEST")
        connect = boto3.client("connect", region_name="us-east-1")
        clock = [1_800_000_000.0]
        poller = MetricsPoller(
            connect,
            metrics_store,
            instance_id=INSTANCE_ARN.rsplit("/", 1)[-1],
            clock=lambda: clock[0],
            wall_clock=lambda: clock[0],
            sleep=lambda s: clock.__setitem__(0, clock[0] + s),
            rng=random.Random(1),
        )
        monkeypatch.setattr(handler.SERVICE, "service", (settings, poller))
        monkeypatch.setattr(handler, "_queues", None)
        queue_ids = sorted(q["queue_id"] for q in doc["queues"].values())
        yield {"handler": handler, "connect": connect, "store": metrics_store, "queue_ids": queue_ids}


def _response(queue_id: str, staffed: float) -> dict[str, Any]:
    return {
        "MetricResults": [
            {
                "Dimensions": {"Queue": {"Id": queue_id}, "Channel": "VOICE"},
                "Collections": [{"Metric": {"Name": "AGENTS_STAFFED", "Unit": "COUNT"}, "Value": staffed}],
            }
        ]
    }


def _expected(queue_ids: list[str]) -> dict[str, Any]:
    return {
        "InstanceId": INSTANCE_ARN.rsplit("/", 1)[-1],
        "Filters": {"Queues": queue_ids, "Channels": ["VOICE", "CHAT", "TASK"]},
        "Groupings": ["QUEUE", "CHANNEL"],
        "CurrentMetrics": ANY,
        "MaxResults": 100,
    }


def test_polls_the_published_queues_and_keeps_polling_when_config_is_unreadable(world: dict[str, Any]) -> None:
    handler, connect, store, queue_ids = world["handler"], world["connect"], world["store"], world["queue_ids"]
    with Stubber(connect) as stub:
        # Given the published sample config (one page: every queue id in one request)
        stub.add_response("get_current_metric_data", _response(CARDS_GENERAL, 7), _expected(queue_ids))
        # When the schedule fires
        summary = handler.lambda_handler({}, Context())
        stub.assert_no_pending_responses()
    # Then one sample, one request, and the snapshot is in the metrics table
    assert (summary["queues"], summary["cycles"], summary["requests"], summary["snapshots"]) == (
        len(queue_ids),
        1,
        1,
        1,
    )
    assert store.get_many([CARDS_GENERAL])[CARDS_GENERAL].values == {"VOICE": {"agents_staffed": 7.0}}

    # Given the config table becomes unreadable
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName="config-t")
    with Stubber(connect) as stub:
        stub.add_response("get_current_metric_data", _response(CARDS_GENERAL, 2), _expected(queue_ids))
        # When the schedule fires again
        summary = handler.lambda_handler({}, Context())
        stub.assert_no_pending_responses()
    # Then the same queues are sampled: metrics stay fresh through a config-table outage
    assert (summary["queues"], summary["snapshots"]) == (len(queue_ids), 1)
    assert store.get_many([CARDS_GENERAL])[CARDS_GENERAL].values == {"VOICE": {"agents_staffed": 2.0}}


def test_a_throttled_connect_request_is_sent_once_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """The poller's backoff is the one retry policy: botocore must not retry behind the token bucket's back."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import metrics_poller.handler as handler
    from botocore.exceptions import ClientError

    from routing.live_metrics.poller import CycleResult, MetricsPoller
    from routing.live_metrics.store import InMemoryMetricsStore

    seen: list[str] = []

    class Throttling(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append(self.path)
            body = b'{"message": "Rate exceeded"}'
            self.send_response(429)
            self.send_header("x-amzn-ErrorType", "TooManyRequestsException")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Throttling)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with fake_aws_env():
            monkeypatch.setenv("AWS_ENDPOINT_URL_CONNECT", f"http://127.0.0.1:{server.server_address[1]}")
            poller = MetricsPoller(
                handler.connect_client(), InMemoryMetricsStore(), instance_id="i", max_retries=2, sleep=lambda _: None
            )
            result = CycleResult()
            with pytest.raises(ClientError):
                poller._call({"Filters": {"Queues": ["q"]}, "CurrentMetrics": []}, result)
    finally:
        server.shutdown()
        server.server_close()
    # 1 attempt + 2 of the poller's retries, each through the bucket and in the count; none from botocore.
    assert (len(seen), result.requests, result.throttled) == (3, 3, 2)
