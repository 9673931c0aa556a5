"""The saved Logs Insights queries (folder ``trunkline-<env>/``): why a contact went where it did, fallbacks in
the last hour, slowest decisions, callback rejects by reason, abandoned contacts by queue."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.constructs.observability.inputs import QueryLogGroups


def _definitions(groups: QueryLogGroups) -> dict[str, tuple[logs.QueryString, Sequence[logs.ILogGroup]]]:
    """Each query's name → (query, the log groups it reads)."""
    definitions: dict[str, tuple[logs.QueryString, Sequence[logs.ILogGroup]]] = {
        "why-contact": (
            logs.QueryString(
                fields=[
                    "@timestamp",
                    "contact_id",
                    "status",
                    "reason",
                    "rule_id",
                    "ruleset",
                    "queue_key",
                    "fallback_reason",
                    "config_version",
                ],
                filter_statements=['message = "decision"', 'contact_id = "PASTE-CONTACT-ID"'],
                sort="@timestamp desc",
            ),
            [groups.route],
        ),
        "fallbacks-last-hour": (
            logs.QueryString(
                filter_statements=['ispresent(fallback_reason) and fallback_reason != ""'],
                stats_statements=["count() by fallback_reason"],
            ),
            [groups.route],
        ),
        "slowest-decisions": (
            logs.QueryString(
                fields=["@timestamp", "contact_id", "elapsed_ms", "status", "rule_id", "config_source"],
                filter_statements=['message = "decision"'],
                sort="elapsed_ms desc",
                limit=50,
            ),
            [groups.route],
        ),
        "callback-rejects": (
            logs.QueryString(
                # Everything but the answers of a callback that goes ahead (docs/design/callback.md).
                filter_statements=[
                    'message = "callback" and callback_status not in ["RESERVED", "CONFIRMED", "RELEASED", "DUPLICATE"]'
                ],
                stats_statements=["count() by callback_status, queue_key"],
            ),
            [groups.callback],
        ),
    }
    if groups.outcomes is not None:
        definitions["abandoned-by-queue"] = (
            logs.QueryString(
                filter_statements=['message = "contact outcome" and outcome = "ABANDONED"'],
                stats_statements=["count() by queue_key"],
            ),
            [groups.outcomes],
        )
    return definitions


def saved_queries(scope: Construct, prefix: str, groups: QueryLogGroups) -> dict[str, logs.QueryDefinition]:
    """One ``QueryDefinition`` per query, named ``<prefix>/<name>``, by name."""
    return {
        name: logs.QueryDefinition(
            scope,
            f"Query-{name}",
            query_definition_name=f"{prefix}/{name}",
            query_string=query,
            log_groups=list(log_groups),
        )
        for name, (query, log_groups) in _definitions(groups).items()
    }
