"""``trunkline report outcomes --from DATE --to DATE [--csv]``: outcomes per line of business and queue, from the
call log (contact records the authority, contact events the fallback).

Sources: a call-log table (``--call-log-table``, AWS credentials; read through its hour index), a file of contact
records (``--records``: JSON lines or a JSON array, e.g. a Firehose/S3 export), or the demo's simulated contacts
(``--demo``). Figures per (line of business, queue): volume (routed contacts that ended, callback legs apart),
answered and answer rate, abandoned and abandonment (abandoned / (answered + abandoned), as Connect defines it),
callbacks offered / accepted / reached (a callback leg counts for the contact that asked for it), mean and p90 time
to answer, and the share of contacts whose record was present.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

COLUMNS = (
    "line_of_business",
    "queue",
    "volume",
    "answered",
    "answer_rate",
    "abandoned",
    "abandonment_rate",
    "callbacks_offered",
    "callbacks_accepted",
    "callbacks_reached",
    "mean_time_to_answer_s",
    "p90_time_to_answer_s",
    "from_records",
)


@dataclass(slots=True)
class OutcomeRow:
    """The figures of one (line of business, queue)."""

    line_of_business: str
    queue: str
    volume: int = 0
    answered: int = 0
    abandoned: int = 0
    callbacks_offered: int = 0
    callbacks_accepted: int = 0
    callbacks_reached: int = 0
    with_record: int = 0
    answer_seconds: list[float] = field(default_factory=list)

    def values(self) -> dict[str, str]:
        """The row as text, in ``COLUMNS`` order (rates as fractions with 4 decimals, seconds with 1)."""

        def ratio(num: int, den: int) -> str:
            return f"{num / den:.4f}" if den else ""

        waits = sorted(self.answer_seconds)
        p90 = waits[max(0, math.ceil(0.9 * len(waits)) - 1)] if waits else None
        return {
            "line_of_business": self.line_of_business,
            "queue": self.queue,
            "volume": str(self.volume),
            "answered": str(self.answered),
            "answer_rate": ratio(self.answered, self.volume),
            "abandoned": str(self.abandoned),
            "abandonment_rate": ratio(self.abandoned, self.answered + self.abandoned),
            "callbacks_offered": str(self.callbacks_offered),
            "callbacks_accepted": str(self.callbacks_accepted),
            "callbacks_reached": str(self.callbacks_reached),
            "mean_time_to_answer_s": f"{sum(waits) / len(waits):.1f}" if waits else "",
            "p90_time_to_answer_s": "" if p90 is None else f"{p90:.1f}",
            "from_records": ratio(self.with_record, self.volume),
        }


def outcome_rows(logs: Iterable[Any], *, start: datetime, end: datetime) -> list[OutcomeRow]:
    """Rows per (line of business, queue) of the contacts (``routing.outcomes.call_log.CallLog``) that ended in
    ``start``..``end`` (end excluded), sorted."""
    from routing.outcomes.call_log import Outcome
    from routing.outcomes.events import UNKNOWN_LOB

    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    chosen = [log for log in logs if log.disconnected_at_ms is not None and start_ms <= log.disconnected_at_ms < end_ms]
    by_id = {log.contact_id: log for log in logs}
    rows: dict[tuple[str, str], OutcomeRow] = {}

    def row_of(log: Any) -> OutcomeRow:
        key = (log.line_of_business or UNKNOWN_LOB, log.queue_key or log.queue_id or "-")
        return rows.setdefault(key, OutcomeRow(*key))

    for log in chosen:
        if log.outcome in (Outcome.NOT_ROUTED, Outcome.IN_PROGRESS):
            continue
        if log.is_callback:
            parent = by_id.get(log.previous_contact_id)
            if log.outcome is Outcome.CALLBACK_REACHED:
                row_of(parent if parent is not None else log).callbacks_reached += 1
            continue
        row = row_of(log)
        row.volume += 1
        row.with_record += int(log.from_record)
        row.callbacks_offered += int(log.callback_offered or log.callback_requested)
        row.callbacks_accepted += int(log.callback_requested)
        if log.outcome is Outcome.ANSWERED:
            row.answered += 1
            if log.time_to_answer_s is not None:
                row.answer_seconds.append(log.time_to_answer_s)
        elif log.outcome is Outcome.ABANDONED:
            row.abandoned += 1
    return [rows[k] for k in sorted(rows)]


def render_table(rows: Sequence[OutcomeRow]) -> str:
    """A fixed-width table (rates as percentages)."""
    heads = ("lob", "queue", "volume", "answered", "answer %", "abandoned", "abandon %", "cb offered",
             "cb accepted", "cb reached", "mean TTA", "p90 TTA", "records %")  # fmt: skip
    lines = [
        f"{heads[0]:<16} {heads[1]:<24} " + " ".join(f"{h:>11}" for h in heads[2:]),
    ]
    for row in rows:
        v = row.values()

        def pct(name: str, values: dict[str, str] = v) -> str:
            return f"{float(values[name]):.1%}" if values[name] else "-"

        def secs(name: str, values: dict[str, str] = v) -> str:
            return f"{values[name]} s" if values[name] else "-"

        cells = [v["volume"], v["answered"], pct("answer_rate"), v["abandoned"], pct("abandonment_rate"),
                 v["callbacks_offered"], v["callbacks_accepted"], v["callbacks_reached"],
                 secs("mean_time_to_answer_s"), secs("p90_time_to_answer_s"), pct("from_records")]  # fmt: skip
        lines.append(f"{row.line_of_business:<16} {row.queue:<24} " + " ".join(f"{c:>11}" for c in cells))
    return "\n".join(lines)


def render_csv(rows: Sequence[OutcomeRow]) -> str:
    """CSV with a header row (``COLUMNS``)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.values())
    return out.getvalue()


def logs_from_records(documents: Iterable[object]) -> list[Any]:
    """Call logs from contact records, merged exactly as the consumer merges them (newest copy wins)."""
    from routing.outcomes.call_log import summarize_all
    from routing.outcomes.service import OutcomeService
    from routing.outcomes.store import InMemoryCallLogStore

    store = InMemoryCallLogStore()
    service = OutcomeService(store)
    for document in documents:
        service.handle_record(document)
    return summarize_all({r.contact_id: r.slots for r in store.scan()})


def read_records(path: Path) -> list[object]:
    """Contact records from a JSON array or JSON lines file."""
    text = path.read_text(encoding="utf-8").strip()
    if text.startswith("["):
        loaded = json.loads(text)
        return list(loaded) if isinstance(loaded, list) else []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def logs_from_table(table: str, region: str | None, *, start: datetime, end: datetime) -> list[Any]:
    """Call logs of the contacts that ended in ``start``..``end``, read hour by hour through the hour index (and
    the parents of callback legs, for their line of business)."""
    from routing.outcomes.call_log import summarize_all
    from routing.outcomes.store import DynamoCallLogStore

    store = DynamoCallLogStore(table, region=region)
    records = {}
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        records.update({r.contact_id: r for r in store.ended_in(hour.strftime("%Y-%m-%dT%H"))})
        hour += timedelta(hours=1)
    return summarize_all({k: r.slots for k, r in records.items()})


def _moment(text: str, *, end: bool) -> datetime:
    """A date (whole day; ``--to`` includes it) or an ISO date-time, in UTC."""
    if len(text) == 10:
        day = date.fromisoformat(text)
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return moment + timedelta(days=1) if end else moment
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def cmd_report_outcomes(args: argparse.Namespace) -> int:
    """Print the outcome report of ``--from``..``--to``."""
    start, end = _moment(args.date_from, end=False), _moment(args.date_to, end=True)
    if args.records:
        logs = logs_from_records(read_records(Path(args.records)))
    elif args.call_log_table:
        logs = logs_from_table(args.call_log_table, args.region, start=start, end=end)
    else:
        from trunkline.demo import simulate_with_outcomes

        _rows, _banner, run = simulate_with_outcomes(args.contacts, args.seed)
        logs = run.logs
    rows = outcome_rows(logs, start=start, end=end)
    print(render_csv(rows) if args.csv else render_table(rows), end="\n" if not args.csv else "")
    return 0


def register(commands: Any) -> None:
    """``report outcomes`` in the CLI's registry (``trunkline.cli.app.COMMAND_MODULES``); ``--region`` is global."""
    report = commands.group("report", help="reports from the call log")
    p = report.add("outcomes", help="outcomes per line of business and queue (records first)", func=cmd_report_outcomes)
    p.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD or ISO date-time (UTC)")
    p.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD (included) or ISO date-time (UTC)")
    p.add_argument("--csv", action="store_true", help="CSV instead of a table")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--call-log-table", help="the call-log table (AWS credentials; region: --region)")
    source.add_argument("--records", help="a file of contact records (JSON lines or a JSON array)")
    source.add_argument("--demo", action="store_true", help="the demo's simulated contacts (the default)")
    p.add_argument("--contacts", type=int, default=300, help="with --demo")
    p.add_argument("--seed", type=int, default=11, help="with --demo")
