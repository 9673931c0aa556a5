"""Custom resource: publish the config baked into this bundle on Create/Update; Delete keeps all config.

Runs under the CDK Provider framework, which sends the CloudFormation response: returning reports SUCCESS,
raising reports FAILED (and CloudFormation rolls the deployment back).
"""

from __future__ import annotations

import json
from typing import Any

from routing.common.handlers import CLOUDFORMATION_REQUEST_ID, lambda_entry
from routing.common.observability import logger


class StalePackageError(RuntimeError):
    """The document baked into this package is not the one the stack deploys: publishing it would be wrong."""


@lambda_entry(CLOUDFORMATION_REQUEST_ID)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001
    """CloudFormation custom resource event (via the CDK Provider framework, which handles the response)."""
    request = event.get("RequestType")
    physical_id = event.get("PhysicalResourceId") or "trunkline-config"
    if request == "Delete":
        # Config versions are data: removing the stack (or this resource) must never remove them.
        logger.info("stack delete: config versions are kept")
        return {"PhysicalResourceId": physical_id}

    from routing.common.settings import Settings
    from routing.config.loader import content_hash
    from routing.config.publishing import publish_from_deploy
    from routing.config.store import DynamoConfigStore

    settings = Settings.from_env()
    payload = json.loads(settings.baked_config_path.read_text(encoding="utf-8"))
    document = payload["document"]
    props = event.get("ResourceProperties") or {}
    expected = str(props.get("ContentHash") or "")
    actual = content_hash(document)
    if expected != actual or payload.get("content_hash") != actual:
        raise StalePackageError(
            f"the baked config has hash {actual[:12]} (payload says {str(payload.get('content_hash'))[:12]}), "
            f"the stack deploys {expected[:12]}: refusing to publish a config other than the deployed one"
        )
    store = DynamoConfigStore(settings.config_table_name, region=settings.aws_region or None)
    result = publish_from_deploy(
        store,
        document,
        deployment=str(props.get("Deployment") or actual[:12]),
        retention_days=int(props.get("RetentionDays") or 90),
    )
    logger.info(
        "config published by deploy",
        extra={
            "status": result.publish.status,
            "version": result.publish.version_id,
            "content_hash": result.publish.content_hash,
            "kept_operations_changes": result.kept_operations_changes,
            "conflicts": result.conflicts,
            "overridden_live_changes": result.overridden,
        },
    )
    if result.overridden:
        # Loud on purpose: a live change outside the ownership table was reverted (it is in the audit trail too).
        logger.warning(
            "deploy OVERRIDES live changes not in git", extra={"overridden_live_changes": result.overridden[:50]}
        )
    return {
        "PhysicalResourceId": physical_id,
        "Data": {
            "VersionId": result.publish.version_id,
            "Status": result.publish.status,
            "ContentHash": result.publish.content_hash,
            "OverriddenLiveChanges": str(len(result.overridden)),
        },
    }
