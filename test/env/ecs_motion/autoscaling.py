"""Application Auto Scaling where moto stops short of AWS (docs/local-aws.md):

- tags on scalable targets: RegisterScalableTarget's Tags (on creation), TagResource,
  UntagResource, ListTagsForResource (ResourceNotFoundException for an unknown ARN);
- DeregisterScalableTarget takes the target's scaling policies and scheduled actions with it;
- scaling activities: DescribeScalingActivities answers from the activities recorded here;
- a scaling as Application Auto Scaling makes one (`scale`, the /autoscale control route): the
  desired count held within the target's limits, set through ECS as any caller's UpdateService
  (so tasks follow), and a Successful activity recorded.

moto still validates and keeps every model; this only adds to them."""

from __future__ import annotations

import inspect
import json
import time
import uuid
from typing import Any, Callable

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend, FakeScalableTarget, applicationautoscaling_backends
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.exceptions import JsonRESTError
from moto.ecs.models import ecs_backends

from .engine import Engine

ECS_DIMENSION = "ecs:service:DesiredCount"

_installed = False


class ResourceNotFound(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"Scalable target with ARN {arn} not found")


def _tags(target: FakeScalableTarget) -> dict[str, str]:
    tags: dict[str, str] = target.__dict__.setdefault("_ecs_motion_tags", {})
    return tags


def _activities(backend: ApplicationAutoscalingBackend) -> list[dict[str, Any]]:
    activities: list[dict[str, Any]] = backend.__dict__.setdefault("_ecs_motion_activities", [])
    return activities


def _target_by_arn(backend: ApplicationAutoscalingBackend, arn: str) -> FakeScalableTarget:
    for by_resource in backend.targets.values():
        for target in by_resource.values():
            if target.arn == arn:
                return target
    raise ResourceNotFound(arn)


def problems() -> list[str]:
    """The moto internals this module relies on, checked with the rest (compat.py)."""
    found = []
    deregister = getattr(ApplicationAutoscalingBackend.deregister_scalable_target, "__wrapped__", ApplicationAutoscalingBackend.deregister_scalable_target)
    register = getattr(ApplicationAutoScalingResponse.register_scalable_target, "__wrapped__", ApplicationAutoScalingResponse.register_scalable_target)
    if list(inspect.signature(deregister).parameters) != ["self", "namespace", "r_id", "dimension"]:
        found.append("ApplicationAutoscalingBackend.deregister_scalable_target(self, namespace, r_id, dimension)")
    source = inspect.getsource(ApplicationAutoscalingBackend.__init__)
    if not all(f"self.{a}" in source for a in ("targets", "policies", "scheduled_actions")):
        found.append("ApplicationAutoscalingBackend keeps targets, policies and scheduled_actions")
    if not all(a in inspect.getsource(FakeScalableTarget.__init__) for a in ("self.arn", "self.min_capacity", "self.max_capacity")):
        found.append("FakeScalableTarget(arn, min_capacity, max_capacity)")
    if "_get_param" not in inspect.getsource(register):
        found.append("ApplicationAutoScalingResponse.register_scalable_target reading its params with _get_param")
    for name in ("tag_resource", "untag_resource", "list_tags_for_resource", "describe_scaling_activities"):
        if name in ApplicationAutoScalingResponse.__dict__ and not getattr(ApplicationAutoScalingResponse.__dict__[name], "_ecs_motion", False):
            found.append(f"ApplicationAutoScalingResponse.{name} (moto now has its own: drop ours)")
    return found


def scale(account: str, region: str, resource_id: str, desired: int, cause: str | None = None) -> dict[str, Any]:
    """What Application Auto Scaling does when a policy or a scheduled action fires."""
    backend = applicationautoscaling_backends[account][region]
    target = backend.targets.get(ECS_DIMENSION, {}).get(resource_id)
    if target is None:
        raise KeyError(f"no scalable target {resource_id} ({ECS_DIMENSION}) in account {account}")
    count = max(target.min_capacity or 0, min(target.max_capacity or 0, int(desired)))
    _, cluster, service = resource_id.split("/")
    ecs_backends[account][region].update_service({"cluster": cluster, "service": service, "desired_count": count})
    now = time.time()
    activity = {
        "ActivityId": str(uuid.uuid4()),
        "ServiceNamespace": "ecs",
        "ResourceId": resource_id,
        "ScalableDimension": ECS_DIMENSION,
        "Description": f"Setting desired count to {count}.",
        "Cause": cause or f"monitor alarm TargetTracking-{resource_id}-AlarmHigh in state ALARM triggered policy cpu",
        "StartTime": now,
        "EndTime": now,
        "StatusCode": "Successful",
        "StatusMessage": f"Successfully set desired count to {count}. Change successfully fulfilled by ecs.",
    }
    _activities(backend).append(activity)
    return {"desiredCount": count, "activityId": activity["ActivityId"]}


def _response(fn: Callable[[Any], str]) -> Callable[[Any], str]:
    fn._ecs_motion = True  # type: ignore[attr-defined]
    return fn


@_response
def tag_resource(self: Any) -> str:
    params = json.loads(self.body)
    _tags(_target_by_arn(self.applicationautoscaling_backend, params["ResourceARN"])).update(params.get("Tags") or {})
    return "{}"


@_response
def untag_resource(self: Any) -> str:
    params = json.loads(self.body)
    tags = _tags(_target_by_arn(self.applicationautoscaling_backend, params["ResourceARN"]))
    for key in params.get("TagKeys") or []:
        tags.pop(key, None)
    return "{}"


@_response
def list_tags_for_resource(self: Any) -> str:
    params = json.loads(self.body)
    return json.dumps({"Tags": dict(_tags(_target_by_arn(self.applicationautoscaling_backend, params["ResourceARN"])))})


@_response
def describe_scaling_activities(self: Any) -> str:
    params = json.loads(self.body)
    found = [
        a
        for a in _activities(self.applicationautoscaling_backend)
        if a["ServiceNamespace"] == params.get("ServiceNamespace")
        and params.get("ResourceId") in (None, a["ResourceId"])
        and params.get("ScalableDimension") in (None, a["ScalableDimension"])
    ]
    found.sort(key=lambda a: a["StartTime"], reverse=True)
    start = int(params.get("NextToken") or 0)
    size = int(params.get("MaxResults") or 50)
    page = found[start : start + size]
    return json.dumps({"ScalingActivities": page, **({"NextToken": str(start + size)} if start + size < len(found) else {})})


def install(engine: Engine) -> None:
    global _installed
    if _installed:
        return
    _installed = True
    lock = engine.lock

    original_register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self: Any) -> str:
        with lock:
            backend = self.applicationautoscaling_backend
            resource_id, dimension = self._get_param("ResourceId"), self._get_param("ScalableDimension")
            existed = resource_id in backend.targets.get(dimension, {})
            result: str = original_register(self)
            tags = self._get_param("Tags")
            if tags and not existed:
                _tags(backend.targets[dimension][resource_id]).update(tags)
            return result

    original_deregister = ApplicationAutoscalingBackend.deregister_scalable_target

    def deregister_scalable_target(self: ApplicationAutoscalingBackend, namespace: str, r_id: str, dimension: str) -> None:
        with lock:
            original_deregister(self, namespace, r_id, dimension)
            # AWS deletes the target's policies and scheduled actions with it; moto keeps them.
            for key in [k for k, p in self.policies.items() if (p.service_namespace, p.resource_id, p.scalable_dimension) == (namespace, r_id, dimension)]:
                self.policies[key].delete_alarms(self.account_id, self.region_name)
                del self.policies[key]
            self.scheduled_actions = [a for a in self.scheduled_actions if (a.service_namespace, a.resource_id, a.scalable_dimension) != (namespace, r_id, dimension)]

    register_scalable_target.__wrapped__ = original_register  # type: ignore[attr-defined]
    deregister_scalable_target.__wrapped__ = original_deregister  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target  # type: ignore[method-assign]
    ApplicationAutoScalingResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = untag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.describe_scaling_activities = describe_scaling_activities  # type: ignore[attr-defined]
