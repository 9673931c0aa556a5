"""Custom resource: publish the config baked into this bundle on Create/Update; Delete keeps all config."""

from __future__ import annotations

import json
from typing import Any

from routing.observability import logger


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:  # noqa: ARG001
    """CloudFormation custom resource event (via the CDK Provider framework, which handles the response)."""
    from routing.data.config_store import DynamoConfigStore
    from routing.publishing import publish_from_deploy
    from routing.settings import Settings

    request = event.get("RequestType")
    physical_id = event.get("PhysicalResourceId") or "trunkline-config"
    if request == "Delete":
        logger.info("stack delete: config versions are kept")
        return {"PhysicalResourceId": physical_id}
    settings = Settings.from_env()
    payload = json.loads(settings.baked_config_path.read_text(encoding="utf-8"))
    props = event.get("ResourceProperties") or {}
    store = DynamoConfigStore(settings.config_table_name, region=settings.aws_region or None)
    result = publish_from_deploy(
        store,
        payload["document"],
        deployment=str(props.get("Deployment") or payload.get("content_hash", "")[:12]),
        retention_days=int(props.get("RetentionDays") or 90),
    )
    logger.info(
        "config published by deploy",
        extra={
            "status": result.publish.status,
            "version": result.publish.version_id,
            "kept_operations_changes": result.kept_operations_changes,
            "conflicts": result.conflicts,
        },
    )
    return {
        "PhysicalResourceId": physical_id,
        "Data": {"VersionId": result.publish.version_id, "Status": result.publish.status},
    }
