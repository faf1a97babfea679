"""The parts of moto's internals the layer relies on, checked when it is installed: a moto upgrade
that renames or reshapes one of them stops the server at start-up with the list of what changed,
rather than letting the simulation drift silently. (The moto pin lives in test/env/moto.ts.)"""

from __future__ import annotations

import inspect
from typing import Any

VERIFIED_WITH = "5.2.5"


def _params(fn: Any) -> list[str]:
    return list(inspect.signature(fn).parameters)


def problems() -> list[str]:
    from moto.ecs.models import Container, EC2ContainerServiceBackend, Service, Task
    from moto.ecs.responses import EC2ContainerServiceResponse
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.elbv2.models import ELBv2Backend, FakeAction, FakeHealthStatus, FakeRule, FakeTargetGroup
    from moto.moto_api import state_manager
    from moto.moto_api._internal.managed_state_model import ManagedState
    from moto.servicediscovery.models import ServiceDiscoveryBackend

    found: list[str] = []

    def expect(what: str, ok: bool) -> None:
        if not ok:
            found.append(what)

    backend = EC2ContainerServiceBackend
    for name, head in {
        "create_service": ["self", "cluster_str", "service_name", "desired_count"],
        "update_service": ["self", "service_properties"],
        "delete_service": ["self", "cluster_name", "service_name", "force"],
        "run_task": ["self", "cluster_str", "task_definition_str", "count", "overrides", "started_by", "tags", "launch_type", "networking_configuration", "group", "platform_version", "capacity_provider_strategy"],
        "_calculate_task_resource_requirements": ["task_definition"],
        "start_task": ["self", "cluster_str", "task_definition_str", "container_instances"],
        "stop_task": ["self", "cluster_str", "task_str", "reason"],
        "list_tasks": ["self", "cluster_str", "container_instance", "family", "started_by", "service_name", "desiredStatus"],
        "register_container_instance": ["self", "cluster_str", "ec2_instance_id"],
        "deregister_container_instance": ["self", "cluster_str", "container_instance_str", "force"],
        "describe_task_definition": ["self", "task_definition_str"],
        "_get_service": ["self", "cluster_str", "service_str"],
        "_get_cluster": ["self", "name"],
        "_can_be_placed": ["container_instance", "task_resource_requirements"],
        "update_container_instance_resources": ["self", "container_instance", "task_resources", "removing"],
    }.items():
        fn = getattr(backend, name, None)
        while hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        expect(f"EC2ContainerServiceBackend.{name}({', '.join(head)}, ...)", fn is not None and _params(fn)[: len(head)] == head)
    from .hooks import SERVICE_DEPLOYMENT_OPERATIONS

    for name in SERVICE_DEPLOYMENT_OPERATIONS:
        # The layer answers these; a moto that answers them itself needs the layer reconsidered.
        expect(f"EC2ContainerServiceResponse without {name} of its own", getattr(getattr(EC2ContainerServiceResponse, name, None), "__module__", "ecs_motion").split(".")[0] != "moto")
    for name in ("create_service", "run_task"):
        handler = getattr(EC2ContainerServiceResponse, name)
        handler = getattr(handler, "__wrapped__", handler)
        expect(f"EC2ContainerServiceResponse.{name}(self) reading its params with _get_param", _params(handler) == ["self"] and "_get_param" in inspect.getsource(handler))
    expect(
        "Task(cluster, task_definition, container_instance_arn, resource_requirements, backend, group, launch_type, overrides, started_by, tags, networking_configuration, platform_version, capacity_provider_name)",
        _params(Task.__init__)
        == ["self", "cluster", "task_definition", "container_instance_arn", "resource_requirements", "backend", "group", "launch_type", "overrides", "started_by", "tags", "networking_configuration", "platform_version", "capacity_provider_name"],
    )
    expect("Task is a ManagedState (lastStatus through state_manager)", issubclass(Task, ManagedState))
    expect("the ecs::task model in Task.__init__", '"ecs::task"' in inspect.getsource(Task.__init__))
    expect("Task.last_status property with a setter", isinstance(inspect.getattr_static(Task, "last_status"), property) and Task.last_status.fset is not None)
    expect("Container(task_def)", _params(Container.__init__) == ["self", "task_def"])
    expect("Service keeps deployments, events, running_count, pending_count", all(f"self.{a}" in inspect.getsource(Service.__init__) for a in ("deployments", "events", "running_count", "pending_count")))
    expect("state_manager.set_transition(model_name, transition)", _params(state_manager.set_transition) == ["model_name", "transition"])
    expect("ManagedState 'manual' progression counted by _tick", "_tick" in inspect.getsource(ManagedState))
    health_for = getattr(FakeTargetGroup.health_for, "__wrapped__", FakeTargetGroup.health_for)
    expect("FakeTargetGroup.health_for(self, target, ec2_backend)", _params(health_for) == ["self", "target", "ec2_backend"])
    expect("FakeTargetGroup.register(self, targets) / deregister(self, targets)", _params(FakeTargetGroup.register) == ["self", "targets"] and _params(FakeTargetGroup.deregister) == ["self", "targets"])
    expect("FakeTargetGroup keeps targets in self.targets", "self.targets" in inspect.getsource(FakeTargetGroup.__init__))
    expect("FakeHealthStatus(instance_id, port, health_port, status, reason, description)", _params(FakeHealthStatus.__init__) == ["self", "instance_id", "port", "health_port", "status", "reason", "description"])
    expect("ServiceDiscoveryBackend.register_instance(self, service_id, instance_id, creator_request_id, attributes)", _params(ServiceDiscoveryBackend.register_instance) == ["self", "service_id", "instance_id", "creator_request_id", "attributes"])
    expect("ServiceDiscoveryBackend.deregister_instance(self, service_id, instance_id)", _params(ServiceDiscoveryBackend.deregister_instance) == ["self", "service_id", "instance_id"])
    expect("ELBv2Backend.describe_rules(self, listener_arn, rule_arns)", _params(ELBv2Backend.describe_rules)[:3] == ["self", "listener_arn", "rule_arns"])
    expect("FakeRule keeps its actions in self.actions", "self.actions" in inspect.getsource(FakeRule.__init__))
    expect("FakeAction(data) with .data and .type", _params(FakeAction.__init__) == ["self", "data"])
    expect("CloudWatch alarms with state_value", "self.alarms" in inspect.getsource(CloudWatchBackend.__init__) and "set_alarm_state" in dir(CloudWatchBackend))
    return found


def check() -> None:
    from . import autoscaling

    found = problems() + autoscaling.problems()
    if found:
        import moto

        raise RuntimeError(
            f"ecs_motion was written against moto {VERIFIED_WITH}; moto {moto.__version__} differs in: " + "; ".join(found)
        )
