"""The exported Connect test cases (``connect_tests/``, written by ``trunkline flows export-tests``) as
``AWS::Connect::TestCase`` resources of the region that owns the flows (setting ``connect_test_cases``).

Placeholders are filled here: ``%InstanceArn%`` and ``%DefaultQueueId%`` (plain settings) inside strings, then the
whole-value tokens (function ARNs, ``%FlowArn:<flow>%``) with ``substitute_tokens`` as the flows are. Each case is
PUBLISHED (only published cases run, and publishing makes Connect validate the content at deploy time).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_connect as connect
from constructs import Construct

from stacks.constructs.connect import FLOW_ARN, FlowTokenError, substitute_tokens

MAX_NAME = 127
MAX_TEXT = 256_000


def _entry_point(entry: Mapping[str, Any]) -> connect.CfnTestCase.EntryPointProperty:
    voice, chat = entry.get("VoiceCallEntryPointParameters"), entry.get("ChatEntryPointParameters")
    return connect.CfnTestCase.EntryPointProperty(
        type=entry["Type"],
        voice_call_entry_point_parameters=connect.CfnTestCase.VoiceCallEntryPointParametersProperty(
            flow_id=voice.get("FlowId"),
            source_phone_number=voice.get("SourcePhoneNumber"),
            destination_phone_number=voice.get("DestinationPhoneNumber"),
        )
        if voice
        else None,
        chat_entry_point_parameters=connect.CfnTestCase.ChatEntryPointParametersProperty(flow_id=chat.get("FlowId"))
        if chat
        else None,
    )


class ConnectTestCases(Construct):
    """One published ``CfnTestCase`` per ``*.json`` of ``directory`` (``skipped.json`` aside), named
    ``<name_prefix>-<case>``; ``flows`` are the deployed flows the cases enter."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_arn: str,
        directory: Path,
        flows: Mapping[str, connect.CfnContactFlow],
        tokens: Mapping[str, Any],
        literals: Mapping[str, str],
        name_prefix: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.cases: dict[str, connect.CfnTestCase] = {}
        available = {**tokens, **{f"{FLOW_ARN}:{stem}": flow.attr_contact_flow_arn for stem, flow in flows.items()}}
        files = sorted(p for p in directory.glob("*.json") if p.name != "skipped.json")
        if not files:
            raise FlowTokenError(f"connect_test_cases is on but {directory} holds no test case (flows export-tests)")
        for path in files:
            text = path.read_text(encoding="utf-8")
            if len(text) > MAX_TEXT:
                raise FlowTokenError(f"{path.name}: {len(text)} characters, a test case's Content holds {MAX_TEXT}")
            for name, value in literals.items():
                text = text.replace(f"%{name}%", value)
            document = substitute_tokens(json.loads(text), available, flow=path.name, used=set())
            name = f"{name_prefix}-{document['Name']}"
            if len(name) > MAX_NAME:
                raise FlowTokenError(f"{path.name}: test case name {name!r} is longer than {MAX_NAME} characters")
            init = document.get("InitializationData")
            self.cases[path.stem] = connect.CfnTestCase(
                self,
                path.stem,
                instance_arn=instance_arn,
                name=name,
                description=str(document.get("Description", ""))[:500],
                entry_point=_entry_point(document["EntryPoint"]),
                initialization_data=json.dumps(init, separators=(",", ":")) if init else None,
                content=Stack.of(self).to_json_string(document["Content"]),
                status="PUBLISHED",
            )
