"""Amazon Connect integration: invoke permission + instance association per function, and the contact flows.

Flows are flow-language JSON with whole-value ``%Token%`` placeholders. They are parsed, every string value equal
to a known token is replaced by its (possibly unresolved CDK) value, and the result is serialized with
``Stack.to_json_string`` — never by editing the text. An unknown token, or a mapping no flow uses, fails synth.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_connect as connect
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

TOKEN = re.compile(r"^%([A-Za-z][A-Za-z0-9]*)%$")
FLOW_TYPES = {
    "CONTACT_FLOW",
    "CUSTOMER_QUEUE",
    "CUSTOMER_HOLD",
    "CUSTOMER_WHISPER",
    "AGENT_HOLD",
    "AGENT_WHISPER",
    "OUTBOUND_WHISPER",
    "AGENT_TRANSFER",
    "QUEUE_TRANSFER",
}


class FlowTokenError(ValueError):
    """A flow names a token nobody provides, or a provided token is used by no flow."""


def allow_connect(
    scope: Construct, construct_id: str, *, alias: lambda_.IFunction, instance_arn: str, account: str
) -> connect.CfnIntegrationAssociation:
    """Let the instance invoke ``alias`` (resource policy scoped to the instance ARN and account) and associate
    the function with the instance so flows may call it."""
    alias.add_permission(
        f"{construct_id}Invoke",
        principal=iam.ServicePrincipal("connect.amazonaws.com"),
        action="lambda:InvokeFunction",
        source_arn=instance_arn,
        source_account=account,
    )
    return connect.CfnIntegrationAssociation(
        scope,
        construct_id,
        instance_id=instance_arn,
        integration_type="LAMBDA_FUNCTION",
        integration_arn=alias.function_arn,
    )


def substitute_tokens(document: Any, tokens: Mapping[str, Any], *, flow: str, used: set[str]) -> Any:
    """Replace whole-string ``%Name%`` values; raise ``FlowTokenError`` for an unknown one."""
    if isinstance(document, dict):
        return {k: substitute_tokens(v, tokens, flow=flow, used=used) for k, v in document.items()}
    if isinstance(document, list):
        return [substitute_tokens(v, tokens, flow=flow, used=used) for v in document]
    if isinstance(document, str):
        match = TOKEN.match(document)
        if match:
            name = match.group(1)
            if name not in tokens:
                raise FlowTokenError(f"{flow}: unknown token %{name}% (known: {sorted(tokens)})")
            used.add(name)
            return tokens[name]
        if "%" in document and re.search(r"%[A-Za-z][A-Za-z0-9]*%", document):
            raise FlowTokenError(f"{flow}: a token must be a whole value, found one inside {document!r}")
    return document


class ContactFlows(Construct):
    """Deploys every ``*.json`` flow of a directory to the instance, tokens filled."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_arn: str,
        flow_dir: Path,
        tokens: Mapping[str, Any],
        name_prefix: str,
    ) -> None:
        super().__init__(scope, construct_id)
        used: set[str] = set()
        self.flows: dict[str, connect.CfnContactFlow] = {}
        files = sorted(flow_dir.glob("*.json"))
        for path in files:
            document = json.loads(path.read_text(encoding="utf-8"))
            meta = (document.get("Metadata") or {}).get("trunkline") or {}
            flow_type = meta.get("flowType", "CONTACT_FLOW")
            if flow_type not in FLOW_TYPES:
                raise FlowTokenError(f"{path.name}: unknown flow type {flow_type!r}")
            content = substitute_tokens(document, tokens, flow=path.name, used=used)
            self.flows[path.stem] = connect.CfnContactFlow(
                self,
                path.stem,
                instance_arn=instance_arn,
                name=f"{name_prefix}-{path.stem}",
                type=flow_type,
                state="ACTIVE",
                description=str(document.get("Metadata", {}).get("description") or f"Trunkline {path.stem} flow")[:500],
                content=Stack.of(self).to_json_string(content),
            )
        unused = set(tokens) - used
        if files and unused:
            raise FlowTokenError(f"tokens provided but used by no flow in {flow_dir}: {sorted(unused)}")
