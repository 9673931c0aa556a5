"""cdk-nag AwsSolutions acknowledgements that apply stack-wide, each with its reason (cdk-nag 3 API).

Findings specific to one construct are acknowledged next to it (e.g. the custom resource Provider framework in
``stacks.constructs.config_publish``). Today no stack-wide acknowledgement is needed; keep it that way.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct

ACKNOWLEDGEMENTS: dict[str, str] = {}


def acknowledge_findings(scope: IConstruct) -> None:
    """Acknowledge the findings above on ``scope`` (a stack)."""
    if ACKNOWLEDGEMENTS:
        cdk.Validations.of(scope).acknowledge(
            *(cdk.Acknowledgment(id=rule, reason=reason) for rule, reason in ACKNOWLEDGEMENTS.items())
        )
