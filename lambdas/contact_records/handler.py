"""The ``contact-records`` Lambda: a batch of Amazon Connect contact records from the instance's Kinesis data stream.

Thin by design (logic in ``routing.outcomes.service.OutcomeService.handle_record``). Powertools' ``BatchProcessor``
reports the records that failed (``batchItemFailures``), so Lambda retries from the first failed one and bisects
the batch instead of re-running what already landed. Only store errors fail a record; a record that is not JSON or
has no ``ContactId`` is logged (the reason, never the payload: records carry phone numbers) and dropped.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from routing.common.observability import MetricUnit, logger, metrics
from routing.outcomes.records import RecordRejectedError, decode_kinesis_data
from routing.outcomes.service import OutcomeService

processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
_service: OutcomeService | None = None


def build_service() -> OutcomeService:
    """The call-log table and the callback table (a callback's record releases its lock), once per cold start."""
    from outcomes.handler import build_service as build_outcomes_service

    return build_outcomes_service()  # the same store and callbacks as the events path: one call log


def set_service(service: OutcomeService | None) -> None:
    """Inject a service (tests, the demo); None rebuilds defaults on the next call."""
    global _service  # noqa: PLW0603
    _service = service


def record_handler(record: KinesisStreamRecord) -> str:
    """One Kinesis record: decode, apply. Raises on store errors only (the record is then reported as failed)."""
    global _service  # noqa: PLW0603
    if _service is None:
        _service = build_service()
    try:
        document = decode_kinesis_data(record.kinesis.data_as_bytes())
    except (RecordRejectedError, ValueError) as exc:  # ValueError: the data is not base64
        logger.warning(
            "contact record rejected",
            extra={"reason": str(exc), "sequence_number": record.kinesis.sequence_number},
        )
        metrics.add_metric(name="ContactRecordsRejected", unit=MetricUnit.Count, value=1)
        return "rejected"
    return _service.handle_record(document).value


@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Kinesis event source mapping invokes this with a batch (ReportBatchItemFailures is on)."""
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
