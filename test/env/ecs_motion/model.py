"""The layer's state, kept on moto's own model objects (a Service's `_ecs_motion`, a Task's
`_ecs_motion`). Attributes named like the API's fields (Deployment's) are what moto serialises;
underscore-prefixed ones are the layer's own and never reach a response."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from moto.moto_api._internal import mock_random

from .settings import Behaviour

EVENTS_KEPT = 100  # DescribeServices returns at most the 100 most recent events
STOPPED_TASKS_KEPT = 100  # per service; ECS keeps stopped tasks visible for about an hour


def now() -> datetime:
    return datetime.now(timezone.utc)


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class Revision:
    """What a deployment deploys: the fields of UpdateService whose change makes ECS deploy anew."""

    task_definition: str
    launch_type: str | None
    platform_version: str | None
    capacity_provider_strategy: str  # canonical JSON, so that revisions compare by value
    network_configuration: str
    load_balancers: str
    service_registries: str
    # Reported per deployment only (DescribeServices has no top-level copy): Service Connect, EBS
    # volumes configured at launch, VPC Lattice; a change of any of them deploys anew.
    service_connect_configuration: str = "null"
    volume_configurations: str = "null"
    vpc_lattice_configurations: str = "null"

    @staticmethod
    def of(service: Any) -> "Revision":
        return Revision(
            task_definition=service.task_definition,
            launch_type=service.launch_type,
            platform_version=service.platform_version,
            capacity_provider_strategy=canonical(getattr(service, "capacity_provider_strategy", None) or []),
            network_configuration=canonical(service.network_configuration or {}),
            load_balancers=canonical(service.load_balancers or []),
            service_registries=canonical(service.service_registries or []),
            service_connect_configuration=canonical(getattr(service, "service_connect_configuration", None)),
            volume_configurations=canonical(getattr(service, "volume_configurations", None)),
            vpc_lattice_configurations=canonical(getattr(service, "vpc_lattice_configurations", None)),
        )

    def value(self, name: str) -> Any:
        return json.loads(getattr(self, name))


def new_deployment_id() -> str:
    # ECS's ids are `ecs-svc/` and 19 digits; mock_random follows moto's seed (/moto-api/seed).
    return f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}"


class Deployment:
    """One deployment of a service (the rolling `ECS` controller). It carries its own revision, so
    the tasks it started keep their configuration (target groups, registries) whatever the
    service's current one; later strategies (blue/green, canary, linear) hang their own state here."""

    def __init__(self, revision: Revision, desired_count: int, strategy: str = "ROLLING", rollback_of: str | None = None) -> None:
        at = now()
        self.id = new_deployment_id()
        self.status = "PRIMARY"
        self.task_definition = revision.task_definition
        self.desired_count = desired_count
        self.pending_count = 0
        self.running_count = 0
        # Tasks that failed since one of this deployment's tasks last became healthy (ECS: "the
        # number of consecutively failed tasks"), which is also what the circuit breaker reads.
        self.failed_tasks = 0
        self.created_at = at
        self.updated_at = at
        self.launch_type = revision.launch_type
        self.platform_version = revision.platform_version
        cps = revision.value("capacity_provider_strategy")
        self.capacity_provider_strategy = cps or None
        self.network_configuration = revision.value("network_configuration") or None
        self.carry_launch_configuration(revision)
        self.rollout_state = "IN_PROGRESS"
        self.rollout_state_reason = (
            f"ECS deployment circuit breaker: rolling back to deploymentId {rollback_of}."
            if rollback_of
            else f"ECS deployment {self.id} in progress."
        )
        self._revision = revision
        self._strategy = strategy
        # The target groups its tasks are registered in: the revision's, except for the new
        # revision of a blue/green, canary or linear release, whose tasks go into the alternate
        # target groups (strategies.py).
        self._task_load_balancers: list[dict[str, Any]] = revision.value("load_balancers")
        # The release of a blue/green, canary or linear deployment (strategies.Release), and the
        # service deployment that ListServiceDeployments/DescribeServiceDeployments show (dict).
        self._release: Any = None
        self._record: dict[str, Any] | None = None
        # The deployment that brought the last completed revision back after this one failed.
        self._rolled_back_by: Deployment | None = None
        # "unable to consistently start tasks" was reported since a task of it was last healthy.
        self._impaired_reported = False

    def carry_launch_configuration(self, revision: Revision) -> None:
        """The fields ECS reports on the deployment (moto on none): what this deployment deploys."""
        self._revision = revision
        self.service_connect_configuration = revision.value("service_connect_configuration")
        self.volume_configurations = revision.value("volume_configurations")
        self.vpc_lattice_configurations = revision.value("vpc_lattice_configurations")

    def set(self, **changes: Any) -> None:
        changed = False
        for key, value in changes.items():
            if getattr(self, key) != value:
                setattr(self, key, value)
                changed = True
        if changed:
            self.updated_at = now()

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "taskDefinition": self.task_definition,
            "rolloutState": self.rollout_state,
            "desiredCount": self.desired_count,
            "runningCount": self.running_count,
            "pendingCount": self.pending_count,
            "failedTasks": self.failed_tasks,
        }


def add_event(service: Any, message: str) -> None:
    """Newest first, as DescribeServices lists them."""
    service.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": now(), "message": message})
    del service.events[EVENTS_KEPT:]


class TaskMotion:
    """Where one task is in its lifecycle, and what it is attached to."""

    def __init__(self, behaviour: Behaviour, service: Any = None, deployment: Deployment | None = None) -> None:
        self.behaviour = behaviour
        self.service = service
        self.deployment = deployment
        self.ticks_left = 0  # in the current lastStatus
        self.health_ticks_left = 0  # RUNNING, until its targets are healthy
        self.run_ticks_left: int | None = None  # RUNNING, until its containers exit (outcome `exit`)
        self.healthy = False
        self.load_balancers: list[dict[str, Any]] = list(deployment._task_load_balancers) if deployment else []
        self.registries: list[dict[str, Any]] = deployment._revision.value("service_registries") if deployment else []
        self.dynamic_port = 32768  # bridge networking's host port when the mapping leaves it to ECS
        self.container_instance: Any = None
        self.resources: dict[str, Any] | None = None
        self.eni_id: str | None = None
        self.ip: str | None = None
        self.targets: list[tuple[Any, str]] = []  # (moto target group, target id)
        self.drained_from: list[str] = []  # target group ARNs its targets left
        self.instances: list[tuple[str, str]] = []  # (Cloud Map service id, instance id)
        self.stopped_tick: int | None = None


class ServiceMotion:
    """A service's scheduler state beside moto's Service: its tasks and what it last reported."""

    def __init__(self, serial: int) -> None:
        self.serial = serial
        self.tick = 0
        self.launched = 0
        self.tasks: list[Any] = []  # moto Tasks not yet STOPPED, in launch order
        self.stopped: list[Any] = []  # STOPPED ones still listed, oldest first
        self.last_completed: Deployment | None = None
        self.steady = False
        self.placement_reported = False
        self.history: list[dict[str, Any]] = []
        # The service's deployments as the service-deployment APIs list them, newest first.
        self.records: list[dict[str, Any]] = []
