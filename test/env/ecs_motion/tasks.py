"""A task's life on moto's own Task model, one tick at a time:

    PROVISIONING -> PENDING -> RUNNING -> DEACTIVATING -> STOPPING [-> DEPROVISIONING] -> STOPPED
                            \\-> STOPPING (outcome `fail`: the containers exit while it starts)

The layer sets lastStatus itself: moto's state manager would otherwise move a task one step
towards STOPPED on every DescribeTasks (hooks.py turns that off for `ecs::task`).
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models import ec2_backends
from moto.ecs.models import Container, Task

from . import attachments
from .model import Deployment, TaskMotion, now
from .settings import Behaviour, Pace

STARTING = ("PROVISIONING", "PENDING", "ACTIVATING")
LIVE = STARTING + ("RUNNING",)
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


def is_live(task: Any) -> bool:
    """Counts against maximumPercent: started or starting, and not told to stop."""
    return task.desired_status == "RUNNING" and task.last_status in LIVE


def is_healthy(task: Any) -> bool:
    return is_live(task) and task.last_status == "RUNNING" and task._ecs_motion.healthy


def launch(
    backend: Any,
    cluster: Any,
    task_definition: Any,
    behaviour: Behaviour,
    pace: Pace,
    *,
    service: Any,
    deployment: Deployment,
    index: int,
    container_instance: Any = None,
    resources: dict[str, Any] | None = None,
) -> Any:
    """A new task of a service, started by `deployment`. Raises moto's InvalidParameterException
    when ECS would refuse to launch it (e.g. awsvpc without a network configuration)."""
    rev = deployment._revision
    network = rev.value("network_configuration") or None
    if task_definition.network_mode == "awsvpc" and network and network.get("awsvpcConfiguration", {}).get("subnets"):
        # ECS spreads tasks over the service's subnets; moto puts a task's ENI in the first one.
        vpc = dict(network["awsvpcConfiguration"])
        subnets = list(vpc["subnets"])
        shift = index % len(subnets)
        vpc["subnets"] = subnets[shift:] + subnets[:shift]
        network = {"awsvpcConfiguration": vpc}
    cps = rev.value("capacity_provider_strategy")
    task = Task(
        cluster,
        task_definition,
        container_instance.container_instance_arn if container_instance is not None else None,
        resources,
        backend=backend,
        group=f"service:{service.name}",
        launch_type=rev.launch_type or "",
        started_by=deployment.id,
        tags=[],
        networking_configuration=network if task_definition.network_mode == "awsvpc" else None,
        platform_version=rev.platform_version,
        capacity_provider_name=cps[0]["capacityProvider"] if cps else None,
    )
    backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
    prepare(task, task_definition, behaviour, pace, service=service, deployment=deployment, container_instance=container_instance, resources=resources, index=index)
    return task


def prepare(
    task: Any,
    task_definition: Any,
    behaviour: Behaviour,
    pace: Pace,
    *,
    service: Any = None,
    deployment: Deployment | None = None,
    container_instance: Any = None,
    resources: dict[str, Any] | None = None,
    index: int = 0,
) -> None:
    """Takes over a task moto just created (ours, or RunTask's/StartTask's) at PROVISIONING."""
    m = TaskMotion(behaviour, service, deployment)
    m.container_instance = container_instance
    m.resources = resources
    m.dynamic_port = 32768 + index
    task._ecs_motion = m
    at = now()
    task.created_at = at
    task.cpu = task_definition.cpu
    task.memory = task_definition.memory
    task.connectivity = "CONNECTED"
    task.connectivity_at = at
    task.health_status = "UNKNOWN"
    task.version = 1
    region = task.region_name
    eni = next((a for a in task.attachments if a.get("type") == "ElasticNetworkInterface"), None)
    subnet_id = None
    if eni is not None:
        details = {d["name"]: d["value"] for d in eni["details"]}
        m.eni_id, m.ip, subnet_id = details.get("networkInterfaceId"), details.get("privateIPv4Address"), details.get("subnetId")
        eni["status"] = "PRECREATED"
    if subnet_id is not None:
        task.availability_zone = ec2_backends[task._account_id][region].get_subnet(subnet_id).availability_zone
    elif container_instance is not None:
        task.availability_zone = container_instance.attributes.get("ecs.availability-zone")
    else:
        task.availability_zone = f"{region}a"
    if task.launch_type == "FARGATE" or task.capacity_provider_name in FARGATE_PROVIDERS:
        task.platform_version = task.platform_version if task.platform_version not in (None, "LATEST") else "1.4.0"
        task.platform_family = "Linux"
    task.containers = [_container(task, task_definition, definition, m) for definition in task_definition.container_definitions]
    _enter(task, "PROVISIONING", pace.provisioning_ticks)


def _container(task: Any, task_definition: Any, definition: dict[str, Any], m: TaskMotion) -> Any:
    # moto models a task's first container only; ECS reports each of them.
    c = Container(task_definition)
    c.container_arn = f"arn:aws:ecs:{task.region_name}:{task._account_id}:container/{task.cluster_name}/{task.id}/{c.container_arn.split('/')[-1]}"
    c.task_arn = task.task_arn
    c.name = definition.get("name")
    c.image = definition.get("image")
    c.cpu = str(definition.get("cpu", 0))
    c.memory = None if definition.get("memory") is None else str(definition.get("memory"))
    c.environment = definition.get("environment")
    c.command = definition.get("command")
    c.last_status = "PENDING"
    c.exitCode = None  # moto says 0 from the start; ECS has no exit code before the container stops
    c.health_status = "UNKNOWN"
    if m.ip is not None:
        c.network_interfaces = [{"attachmentId": task.attachments[0]["id"], "privateIpv4Address": m.ip}]
    return c


def _enter(task: Any, status: str, ticks: int) -> None:
    task.last_status = status
    task._ecs_motion.ticks_left = ticks


def advance(task: Any, pace: Pace) -> list[str]:
    """One tick of one task. Returns what happened to it, in order: `running`, `healthy`,
    `failed` (never reached RUNNING), `exited` (its containers exited while it ran), `drained`,
    `stopped`."""
    m: TaskMotion = task._ecs_motion
    happened: list[str] = []
    if task.last_status == "STOPPED":
        return happened
    if task.last_status == "RUNNING" and task.desired_status == "RUNNING":
        if not m.healthy and m.health_ticks_left > 0:
            m.health_ticks_left -= 1
            if m.health_ticks_left == 0:
                _healthy(task, happened)
        if m.run_ticks_left is not None:
            m.run_ticks_left -= 1
            if m.run_ticks_left <= 0:
                _exit(task, m.behaviour.exit_codes, m.behaviour.reason)
                request_stop(task, pace, "EssentialContainerExited", m.behaviour.reason or "Essential container in task exited")
                happened.append("exited")
        return happened
    if m.ticks_left > 0:
        m.ticks_left -= 1
    _settle(task, pace, happened)
    return happened


def _settle(task: Any, pace: Pace, happened: list[str]) -> None:
    """Takes every transition that is due now (phases of zero ticks pass in the same tick)."""
    m: TaskMotion = task._ecs_motion
    while m.ticks_left == 0:
        status = task.last_status
        if status == "PROVISIONING":
            task.pull_started_at = now()
            _enter(task, "PENDING", pace.pending_ticks)
        elif status == "PENDING":
            task.pull_stopped_at = now()
            if m.behaviour.outcome == "fail":
                _exit(task, m.behaviour.exit_codes, None)
                task.desired_status = "STOPPED"
                task.stop_code = "EssentialContainerExited"
                task.stopped_reason = m.behaviour.reason or "Essential container in task exited"
                task.stopping_at = now()
                _enter(task, "STOPPING", pace.stopping_ticks)
                happened.append("failed")
            else:
                _run(task, pace, happened)
                return
        elif status == "DEACTIVATING":
            if m.targets:
                m.drained_from = attachments.finish_draining(task)
                happened.append("drained")
            _enter(task, "STOPPING", pace.stopping_ticks)
        elif status == "STOPPING":
            if m.eni_id is not None:
                _enter(task, "DEPROVISIONING", 1)
            else:
                _stopped(task, happened)
        elif status == "DEPROVISIONING":
            _stopped(task, happened)
        else:
            return
        if task.last_status == "STOPPED":
            return


def _run(task: Any, pace: Pace, happened: list[str]) -> None:
    m: TaskMotion = task._ecs_motion
    task.last_status = "RUNNING"
    task.started_at = now()
    for c in task.containers:
        c.last_status = "RUNNING"
    if task.attachments:
        task.attachments[0]["status"] = "ATTACHED"
    if m.load_balancers or m.registries:
        task_definition = task._backend.describe_task_definition(task.task_definition_arn)
        attachments.register(task, task_definition, m.load_balancers, m.registries, task.region_name)
    happened.append("running")
    if m.behaviour.outcome == "exit":
        m.run_ticks_left = m.behaviour.run_ticks or 0
    m.health_ticks_left = pace.healthy_ticks if m.targets else 0
    if m.health_ticks_left == 0:
        _healthy(task, happened)
    if m.run_ticks_left == 0:
        _exit(task, m.behaviour.exit_codes, m.behaviour.reason)
        request_stop(task, pace, "EssentialContainerExited", m.behaviour.reason or "Essential container in task exited")
        happened.append("exited")


def _healthy(task: Any, happened: list[str]) -> None:
    m: TaskMotion = task._ecs_motion
    m.healthy = True
    attachments.mark_healthy(task)
    if any(d.get("healthCheck") for d in task._backend.describe_task_definition(task.task_definition_arn).container_definitions):
        task.health_status = "HEALTHY"
    happened.append("healthy")


def _exit(task: Any, codes: dict[str, int], reason: str | None) -> None:
    for c in task.containers:
        c.exitCode = codes.get(c.name, 0)
        c.last_status = "STOPPED"
        if reason:
            c.reason = reason


def request_stop(task: Any, pace: Pace, stop_code: str, reason: str) -> bool:
    """Asks a task to stop (the scheduler, StopTask, or its own exit). False if it already was."""
    if task.desired_status == "STOPPED" or task.last_status == "STOPPED":
        return False
    m: TaskMotion = task._ecs_motion
    task.desired_status = "STOPPED"
    task.stop_code = stop_code
    task.stopped_reason = reason
    task.stopping_at = now()
    m.run_ticks_left = None
    if task.last_status in STARTING:
        _enter(task, "STOPPING", pace.stopping_ticks)
    else:
        draining = attachments.begin_draining(task, task.region_name)
        _enter(task, "DEACTIVATING", pace.draining_ticks if draining else 0)
    _settle(task, pace, [])
    return True


def _stopped(task: Any, happened: list[str]) -> None:
    m: TaskMotion = task._ecs_motion
    at = now()
    task.last_status = "STOPPED"
    task.execution_stopped_at = at
    task.stopped_at = at
    for c in task.containers:
        c.last_status = "STOPPED"
    if m.container_instance is not None and m.resources is not None:
        task._backend.update_container_instance_resources(m.container_instance, m.resources, removing=True)
        m.container_instance, m.resources = None, None
    if m.eni_id is not None:
        ec2 = ec2_backends[task._account_id][task.region_name]
        if m.eni_id in ec2.enis:
            ec2.delete_network_interface(m.eni_id)
        for a in task.attachments:
            a["status"] = "DELETED"
        m.eni_id = None
    happened.append("stopped")
