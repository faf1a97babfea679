"""What ECS does for a service's task in ELBv2 and Cloud Map, done on moto's backends in-process
(never through the HTTP API, so the AWS proxy never counts it as anybody's call).

A registered target is `initial` until the task's health checks pass, then `healthy`; a task that
stops makes its targets `draining` for the deregistration delay, then they are gone. moto keeps
every registered target `healthy`, so the state lives on moto's target record under MARK and
FakeTargetGroup.health_for is wrapped to report it (hooks.py).
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.models import elbv2_backends
from moto.servicediscovery.models import servicediscovery_backends

from .model import TaskMotion

MARK = "_ecs_motion_state"

HEALTH = {
    "initial": ("Elb.RegistrationInProgress", "Target registration is in progress"),
    "draining": ("Target.DeregistrationInProgress", "Target deregistration is in progress"),
}


def _container_port(task_definition: Any, container_name: str | None, container_port: int | None) -> tuple[int | None, int | None]:
    """(containerPort, hostPort) of the mapping the load balancer names."""
    for c in task_definition.container_definitions:
        if container_name is not None and c.get("name") != container_name:
            continue
        for m in c.get("portMappings") or []:
            if container_port is None or int(m.get("containerPort", 0)) == int(container_port):
                return int(m.get("containerPort", 0)), (int(m["hostPort"]) if m.get("hostPort") not in (None, "") else None)
    return container_port, None


def register(task: Any, task_definition: Any, load_balancers: list[dict[str, Any]], registries: list[dict[str, Any]], region: str) -> list[str]:
    """Registers a task that just reached RUNNING; returns the target groups it went into."""
    m: TaskMotion = task._ecs_motion
    account = task._account_id
    registered = []
    elbv2 = elbv2_backends[account][region]
    for lb in load_balancers:
        tg = elbv2.target_groups.get(lb.get("targetGroupArn") or "")
        if tg is None:
            continue
        container_port, host_port = _container_port(task_definition, lb.get("containerName"), lb.get("containerPort"))
        if m.ip is not None:
            target_id, port = m.ip, container_port
        else:
            # Bridge/host networking: the instance and the host port; a cluster without container
            # instances has none, so a stand-in instance id made from the task id is used.
            instance = m.container_instance.ec2_instance_id if m.container_instance is not None else f"i-{task.id.replace('-', '')[:17]}"
            target_id, port = instance, host_port or m.dynamic_port
        tg.register([{"Id": target_id, "Port": port}])
        tg.targets[target_id][MARK] = "initial"
        m.targets.append((tg, target_id))
        registered.append(tg.arn)
    if registries:
        discovery = servicediscovery_backends[account][region]
        for r in registries:
            service_id = (r.get("registryArn") or "").split("/")[-1]
            if service_id not in discovery.services:
                continue
            attributes = {
                "AVAILABILITY_ZONE": task.availability_zone,
                "AWS_INIT_HEALTH_STATUS": "HEALTHY",
                "ECS_CLUSTER_NAME": task.cluster_name,
                "ECS_SERVICE_NAME": m.service.name,
                "ECS_TASK_DEFINITION_FAMILY": task_definition.family,
                "REGION": region,
            }
            if m.ip is not None:
                attributes["AWS_INSTANCE_IPV4"] = m.ip
            port = r.get("port") or r.get("containerPort")
            if port is not None:
                attributes["AWS_INSTANCE_PORT"] = str(port)
            discovery.register_instance(service_id, task.id, task.task_arn, attributes)
            m.instances.append((service_id, task.id))
    return registered


def mark_healthy(task: Any) -> None:
    for tg, target_id in task._ecs_motion.targets:
        record = tg.targets.get(target_id)
        if record is not None:
            record.pop(MARK, None)


def begin_draining(task: Any, region: str) -> bool:
    """The task stops serving: Cloud Map forgets it at once, its targets drain. True if it has targets."""
    m: TaskMotion = task._ecs_motion
    if m.instances:
        discovery = servicediscovery_backends[task._account_id][region]
        for service_id, instance_id in m.instances:
            if service_id in discovery.services and any(i.instance_id == instance_id for i in discovery.services[service_id].instances):
                discovery.deregister_instance(service_id, instance_id)
        m.instances = []
    for tg, target_id in m.targets:
        record = tg.targets.get(target_id)
        if record is not None:
            record[MARK] = "draining"
    return bool(m.targets)


def finish_draining(task: Any) -> list[str]:
    """Deregistration delay over: the targets leave their groups. Returns those groups."""
    m: TaskMotion = task._ecs_motion
    done = []
    for tg, target_id in m.targets:
        if target_id in tg.targets:
            tg.deregister([{"Id": target_id}])
            done.append(tg.arn)
    m.targets = []
    return done
