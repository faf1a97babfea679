"""Service deployments, as ListServiceDeployments and DescribeServiceDeployments show them.

ECS keeps one service deployment per deployment it starts (rolling or not), with the revisions it
deploys from and to, its status (PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, ROLLBACK_IN_PROGRESS,
ROLLBACK_SUCCESSFUL, ...), the lifecycle stage of a blue/green, canary or linear release, the
traffic each revision is meant to get, the lifecycle hooks' details, the alarms watched and the
rollback. Here each is a dict in the API's own field names (moto serialises it as it is), kept on
the layer's Deployment (`_record`) and the service's ServiceMotion (`records`), and brought up to
date after every tick (`sync`). A rollback belongs to the service deployment that failed, as in ECS:
the deployment that brings the old revision back gets no record of its own.
"""

from __future__ import annotations

from typing import Any

from moto.moto_api._internal import mock_random

from .model import Deployment, ServiceMotion, now

# Service deployments that are over (DescribeServiceDeployments keeps answering for them).
FINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")


def _service_part(service: Any) -> str:
    return f"{service.region_name}:{service._account_id}"


def revision_arn(service: Any, deployment: Deployment) -> str:
    """The service revision a deployment deploys (one per deployment here)."""
    return f"arn:aws:ecs:{_service_part(service)}:service-revision/{service.cluster_name}/{service.name}/{deployment.id.split('/')[-1]}"


def open_record(service: Any, deployment: Deployment, sources: list[Deployment]) -> dict[str, Any]:
    """The service deployment for a deployment ECS just started."""
    m: ServiceMotion = service._ecs_motion
    at = now()
    config = dict(getattr(service, "deployment_configuration", None) or {})
    alarms = config.get("alarms") or {}
    breaker = config.get("deploymentCircuitBreaker") or {}
    token = "".join(mock_random.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(20))
    record: dict[str, Any] = {
        "serviceDeploymentArn": f"arn:aws:ecs:{_service_part(service)}:service-deployment/{service.cluster_name}/{service.name}/{token}",
        "serviceArn": service.arn,
        "clusterArn": f"arn:aws:ecs:{_service_part(service)}:cluster/{service.cluster_name}",
        "createdAt": at,
        "startedAt": at,
        "updatedAt": at,
        "status": "IN_PROGRESS",
        "targetServiceRevision": _revision_summary(service, deployment, 0.0 if sources else 100.0),
        "sourceServiceRevisions": [_revision_summary(service, d, 100.0) for d in sources],
        "deploymentConfiguration": config,
        "alarms": {
            "status": "MONITORING" if alarms.get("enable") else "DISABLED",
            "alarmNames": list(alarms.get("alarmNames") or []),
            "triggeredAlarmNames": [],
        },
        "deploymentCircuitBreaker": {"status": "MONITORING" if breaker.get("enable") else "DISABLED", "failureCount": 0, "threshold": 0},
    }
    deployment._record = record
    m.records.insert(0, record)
    return record


def _revision_summary(service: Any, deployment: Deployment, production: float) -> dict[str, Any]:
    return {
        "arn": revision_arn(service, deployment),
        "requestedTaskCount": deployment.desired_count,
        "runningTaskCount": deployment.running_count,
        "pendingTaskCount": deployment.pending_count,
        "requestedProductionTrafficWeight": production,
        "requestedTestTrafficWeight": production,
    }


def set_status(record: dict[str, Any] | None, status: str, reason: str | None = None) -> None:
    if record is None or record["status"] == status:
        return
    at = now()
    record["status"] = status
    record["updatedAt"] = at
    if reason is not None:
        record["statusReason"] = reason
    if status in ("SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"):
        record["finishedAt"] = at
    if status == "STOPPED":
        record["stoppedAt"] = at


def sync(service: Any) -> None:
    """Counts, traffic and the rolling deployments' statuses, from the deployments as they stand."""
    for d in service.deployments:
        record = d._record
        if record is None:
            continue
        target = record["targetServiceRevision"]
        target.update(requestedTaskCount=d.desired_count, runningTaskCount=d.running_count, pendingTaskCount=d.pending_count)
        if d._release is not None:
            d._release.describe(record)
        elif record["status"] == "IN_PROGRESS" and d.rollout_state == "COMPLETED":
            target.update(requestedProductionTrafficWeight=100.0, requestedTestTrafficWeight=100.0)
            for source in record["sourceServiceRevisions"]:
                source.update(requestedProductionTrafficWeight=0.0, requestedTestTrafficWeight=0.0, runningTaskCount=0, pendingTaskCount=0)
            set_status(record, "SUCCESSFUL", f"ECS deployment {d.id} completed.")
    for d in service.deployments:
        rolled_back = getattr(d, "_rolled_back_by", None)
        if rolled_back is not None and rolled_back.rollout_state == "COMPLETED":
            set_status(d._record, "ROLLBACK_SUCCESSFUL")


def superseded(record: dict[str, Any] | None) -> None:
    """A deployment still under way when UpdateService starts another: ECS stops it."""
    if record is not None and record["status"] in ("PENDING", "IN_PROGRESS"):
        set_status(record, "STOPPED", "Service deployment stopped: a newer service deployment was started.")


def brief(record: dict[str, Any]) -> dict[str, Any]:
    """ListServiceDeployments' shape."""
    keys = ("serviceDeploymentArn", "serviceArn", "clusterArn", "startedAt", "createdAt", "finishedAt", "status", "statusReason")
    out = {k: record[k] for k in keys if k in record}
    out["targetServiceRevisionArn"] = record["targetServiceRevision"]["arn"]
    return out


def find(backend: Any, arn: str) -> tuple[Any, Deployment | None, dict[str, Any]] | None:
    """(service, deployment or None once it left the list, record) for a service deployment ARN."""
    for service in backend.services.values():
        m = getattr(service, "_ecs_motion", None)
        if m is None:
            continue
        for record in m.records:
            if record["serviceDeploymentArn"] == arn:
                deployment = next((d for d in service.deployments if d._record is record), None)
                return service, deployment, record
    return None
