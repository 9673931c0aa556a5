"""Amazon Connect integration: invoke permission + instance association per function, and the contact flows.

Flows are flow-language JSON with whole-value ``%Token%`` placeholders. They are parsed, every string value equal
to a known token is replaced by its (possibly unresolved CDK) value, and the result is serialized with
``Stack.to_json_string`` — never by editing the text. An unknown token, a token inside a longer string, or a
provided mapping that no flow uses fails synth.

Besides the tokens the stack provides, ``%FlowArn:<name>%`` is the ARN of the flow in ``<name>.json`` of the same
directory (e.g. a ``TransferToFlow``); flows are created referenced-first, and a reference cycle fails synth
(CloudFormation could not create either flow).

Every ``InvokeLambdaFunction`` waits ``invoke_timeout_seconds`` (the deployment's ``route_timeout_seconds``,
1-8 s): the flow and the function share one budget, set in one place, whatever the file says.
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

from stacks.settings import MAX_FLOW_INVOKE_SECONDS

_NAME = r"[A-Za-z][A-Za-z0-9]*(?::[A-Za-z0-9_-]+)?"
TOKEN = re.compile(rf"^%({_NAME})%$")
EMBEDDED_TOKEN = re.compile(rf"%{_NAME}%")
FLOW_ARN = "FlowArn"
MAX_CONTENT_CHARS = 256_000  # CfnContactFlow Content limit
INVOKE_SECONDS = range(1, MAX_FLOW_INVOKE_SECONDS + 1)  # InvokeLambdaFunction InvocationTimeLimitSeconds
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
    "CAMPAIGN",
}


class FlowTokenError(ValueError):
    """A flow names a token nobody provides, a provided token is used by no flow, or flows reference each other
    in a cycle."""


def allow_connect(
    scope: Construct, construct_id: str, *, alias: lambda_.IFunction, instance_arn: str, account: str
) -> connect.CfnIntegrationAssociation:
    """Make ``alias`` callable from the instance's flows: a resource policy for ``connect.amazonaws.com`` scoped to
    the instance ARN and its account, and the function's association with the instance.

    Call it once per function a flow calls, always with the ``live`` alias (flows call the alias, so a new version
    reaches calls only through the alias' gradual deploy).
    """
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


def token_names(document: Any, *, flow: str) -> set[str]:
    """Names of the whole-value tokens in a parsed flow; a token inside a longer string raises."""
    if isinstance(document, dict):
        return {n for v in document.values() for n in token_names(v, flow=flow)}
    if isinstance(document, list):
        return {n for v in document for n in token_names(v, flow=flow)}
    if isinstance(document, str):
        match = TOKEN.match(document)
        if match:
            return {match.group(1)}
        if EMBEDDED_TOKEN.search(document):
            raise FlowTokenError(f"{flow}: a token must be a whole value, found one inside {document!r}")
    return set()


def substitute_tokens(document: Any, tokens: Mapping[str, Any], *, flow: str, used: set[str]) -> Any:
    """A copy of ``document`` with every whole-string ``%Name%`` replaced; ``FlowTokenError`` for an unknown one."""
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
        if EMBEDDED_TOKEN.search(document):
            raise FlowTokenError(f"{flow}: a token must be a whole value, found one inside {document!r}")
    return document


def with_invoke_timeout(document: dict[str, Any], seconds: int, *, flow: str) -> dict[str, Any]:
    """A copy of a flow whose every InvokeLambdaFunction waits ``seconds`` (1-8, else ``FlowTokenError``)."""
    if seconds not in INVOKE_SECONDS:
        raise FlowTokenError(f"{flow}: a flow waits 1-8 s for a Lambda function, not {seconds}")
    actions = []
    for action in document.get("Actions") or []:
        if isinstance(action, dict) and action.get("Type") == "InvokeLambdaFunction":
            params = {**(action.get("Parameters") or {}), "InvocationTimeLimitSeconds": str(seconds)}
            actions.append({**action, "Parameters": params})
        else:
            actions.append(action)
    return {**document, "Actions": actions}


def _creation_order(references: Mapping[str, set[str]]) -> list[str]:
    """Flows ordered so that every flow comes after the flows whose ARNs it uses; a cycle raises."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = [*path[path.index(name) :], name]
            raise FlowTokenError(f"flows reference each other's ARNs in a cycle: {' -> '.join(cycle)}")
        state[name] = "visiting"
        for target in sorted(references[name]):
            visit(target, [*path, name])
        state[name] = "done"
        order.append(name)

    for name in sorted(references):
        visit(name, [])
    return order


class ContactFlows(Construct):
    """Deploys every ``*.json`` flow of a directory to the instance, tokens filled.

    ``tokens`` maps a token name (without the ``%``) to its value; add a token by adding it here (and to
    ``docs/deployment.md``). The flow type comes from ``Metadata.trunkline.flowType`` (default ``CONTACT_FLOW``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        instance_arn: str,
        flow_dir: Path,
        tokens: Mapping[str, Any],
        name_prefix: str,
        invoke_timeout_seconds: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.tokens: Mapping[str, Any] = dict(tokens)
        self.flows: dict[str, connect.CfnContactFlow] = {}
        clashing = sorted(t for t in tokens if t.startswith(f"{FLOW_ARN}:"))
        if clashing:
            raise FlowTokenError(f"{clashing}: %{FLOW_ARN}:<name>% tokens are derived from the flow files")
        documents: dict[str, dict[str, Any]] = {}
        references: dict[str, set[str]] = {}
        for path in sorted(flow_dir.glob("*.json")):
            text = path.read_text(encoding="utf-8")
            if len(text) > MAX_CONTENT_CHARS:
                raise FlowTokenError(f"{path.name}: {len(text)} characters, a flow's Content holds {MAX_CONTENT_CHARS}")
            documents[path.stem] = json.loads(text)
            names = token_names(documents[path.stem], flow=path.name)
            references[path.stem] = {n.split(":", 1)[1] for n in names if n.startswith(f"{FLOW_ARN}:")}
            unknown = sorted(references[path.stem] - {p.stem for p in flow_dir.glob("*.json")})
            if unknown:
                raise FlowTokenError(f"{path.name}: %{FLOW_ARN}:{unknown[0]}% names no flow in {flow_dir}")

        used: set[str] = set()
        for stem in _creation_order(references):
            document = documents[stem]
            metadata = document.get("Metadata") or {}
            flow_type = (metadata.get("trunkline") or {}).get("flowType", "CONTACT_FLOW")
            if flow_type not in FLOW_TYPES:
                raise FlowTokenError(f"{stem}.json: unknown flow type {flow_type!r}")
            available = {
                **self.tokens,
                **{f"{FLOW_ARN}:{name}": flow.attr_contact_flow_arn for name, flow in self.flows.items()},
            }
            if invoke_timeout_seconds is not None:
                document = with_invoke_timeout(document, invoke_timeout_seconds, flow=f"{stem}.json")
            content = substitute_tokens(document, available, flow=f"{stem}.json", used=used)
            self.flows[stem] = connect.CfnContactFlow(
                self,
                stem,
                instance_arn=instance_arn,
                name=f"{name_prefix}-{stem}",
                type=flow_type,
                state="ACTIVE",
                description=str(metadata.get("description") or f"Trunkline {stem} flow")[:500],
                content=Stack.of(self).to_json_string(content),
            )
        unused = sorted(set(self.tokens) - used)
        if documents and unused:
            raise FlowTokenError(f"tokens provided but used by no flow in {flow_dir}: {unused}")
