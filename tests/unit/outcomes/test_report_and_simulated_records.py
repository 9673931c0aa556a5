"""The outcome report (per line of business and queue, table and CSV) and the simulator's contact records."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime
from typing import Any

from routing.outcomes.call_log import Outcome
from tests.outcome_events import DECISION_TAGS
from tests.outcome_records import contact_record
from trunkline.report import COLUMNS, logs_from_records, outcome_rows, render_csv, render_table
from trunkline.simulator.records import connect_totals, redeliver

DAY = datetime(2026, 12, 2, tzinfo=UTC)
NEXT_DAY = datetime(2026, 12, 3, tzinfo=UTC)


def _records() -> list[dict[str, Any]]:
    offered = {"line_of_business": "cards", "queue_key": "cards_general", "callback_offer": "true"}
    callback_tags = {**DECISION_TAGS, "trunkline:callback": "requested"}
    return [
        contact_record("a-1", updated=400, queued_at=10, answered_at=30, disconnected_at=300),  # 20 s
        contact_record("a-2", updated=400, queued_at=10, answered_at=110, disconnected_at=300),  # 100 s
        contact_record("a-3", updated=400, queued_at=10, answered_at=50, disconnected_at=300),  # 40 s
        contact_record("x-1", updated=200, queued_at=10, disconnected_at=100, attributes=offered),
        contact_record(
            "r-1", updated=90, queued_at=10, disconnected_at=80, reason="CONTACT_FLOW_DISCONNECT", tags=callback_tags
        ),
        contact_record(
            "cb-1",
            updated=900,
            method="CALLBACK",
            previous="r-1",
            attributes={},
            queued_at=300,
            answered_at=400,
            disconnected_at=600,
        ),
        contact_record("old", updated=10, queued_at=-90_000, disconnected_at=-86_000),  # the day before
    ]


def test_the_report_counts_per_line_of_business_and_queue_from_the_records() -> None:
    (row,) = outcome_rows(logs_from_records(_records()), start=DAY, end=NEXT_DAY)
    values = row.values()
    assert (values["line_of_business"], values["queue"]) == ("cards", "cards_general")
    assert values["volume"] == "5"  # the callback leg is not a contact of its own; yesterday's is out of range
    assert (values["answered"], values["answer_rate"]) == ("3", "0.6000")
    assert (values["abandoned"], values["abandonment_rate"]) == ("1", "0.2500")
    assert (values["callbacks_offered"], values["callbacks_accepted"], values["callbacks_reached"]) == ("2", "1", "1")
    assert values["mean_time_to_answer_s"] == "53.3"
    assert values["p90_time_to_answer_s"] == "100.0"
    assert values["from_records"] == "1.0000"


def test_csv_has_the_documented_columns_and_the_table_shows_percentages() -> None:
    rows = outcome_rows(logs_from_records(_records()), start=DAY, end=NEXT_DAY)
    parsed = list(csv.DictReader(io.StringIO(render_csv(rows))))
    assert tuple(parsed[0]) == COLUMNS
    assert parsed[0]["abandonment_rate"] == "0.2500"
    assert "25.0%" in render_table(rows)
    assert "+1206" not in render_csv(rows) + render_table(rows)


def test_an_updated_copy_of_a_record_replaces_the_first_in_the_report() -> None:
    first = contact_record("a-1", updated=120, queued_at=10, disconnected_at=100)
    updated = contact_record("a-1", updated=900, queued_at=10, disconnected_at=100, reason="CONTACT_FLOW_DISCONNECT")
    (log,) = logs_from_records([updated, first, first])
    assert log.outcome is Outcome.ENDED_BY_SYSTEM


def test_connect_totals_count_the_newest_copy_once_by_connects_definitions() -> None:
    records = _records()
    delivered = redeliver(records, random.Random(3), share=1.0)
    assert len(delivered) > len(records)
    totals = connect_totals(delivered)
    queue = records[0]["Queue"]["ARN"].rsplit("/", 1)[-1]
    # a-1..a-3 and the callback handled; x-1 abandoned; r-1 ended by the flow; the callback leg is not an abandon.
    assert totals[(queue, "2026-12-02T10")] == (1, 4)


def test_the_cli_prints_the_report_of_a_records_file_as_csv(tmp_path: Any, capsys: Any) -> None:
    import json

    from trunkline.cli import main

    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in _records()))
    assert (
        main(["report", "outcomes", "--from", "2026-12-02", "--to", "2026-12-02", "--records", str(path), "--csv"]) == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ",".join(COLUMNS)
    assert out[1].startswith("cards,cards_general,5,3,0.6000,1,0.2500,2,1,1,")
