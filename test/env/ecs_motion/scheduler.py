"""ECS's service scheduler for the rolling update (`ECS`) deployment controller, one tick at a time.

Each tick, for one service: its tasks move on (tasks.advance); the circuit breaker judges the
PRIMARY deployment; tasks are stopped (old deployments' tasks while at least minimumHealthyPercent
of desiredCount stays healthy, surplus tasks when desiredCount dropped) and started (the PRIMARY's,
while RUNNING + PENDING stays within maximumPercent and the cluster has room); the deployments'
states and the counts follow. Wording of events and reasons is ECS's.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from moto.ecs.exceptions import InvalidParameterException

from . import records, strategies, tasks
from .model import STOPPED_TASKS_KEPT, Deployment, Revision, ServiceMotion, add_event
from .settings import Pace, Settings

TROUBLESHOOTING = "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."


def deployment_settings(service: Any) -> tuple[int, int, dict[str, Any]]:
    """minimumHealthyPercent, maximumPercent and the circuit breaker, with ECS's defaults."""
    config = getattr(service, "deployment_configuration", None) or {}
    minimum = config.get("minimumHealthyPercent")
    maximum = config.get("maximumPercent")
    return (100 if minimum is None else int(minimum), 200 if maximum is None else int(maximum), config.get("deploymentCircuitBreaker") or {})


def failure_threshold(desired: int) -> int:
    """The circuit breaker's: half the desired count, at least 3 and at most 200."""
    return min(200, max(3, math.ceil(0.5 * desired)))


def adopt(service: Any, serial: int) -> None:
    """A service CreateService just made: one PRIMARY deployment, no task yet."""
    service._ecs_motion = ServiceMotion(serial)
    service.task_definition = full_task_definition_arn(service)
    service.running_count = 0
    service.pending_count = 0
    service.deployments = [Deployment(Revision.of(service), service.desired_count)]
    records.open_record(service, service.deployments[0], [])


def full_task_definition_arn(service: Any) -> str | None:
    # moto keeps what UpdateService was given (`family:3`); ECS reports the revision's ARN.
    if service.task_definition is None:
        return None
    return service._backend.describe_task_definition(service.task_definition).arn


def updated(service: Any, before: Revision, force_new_deployment: bool, pace: Pace) -> None:
    """After UpdateService: a changed revision (or forceNewDeployment) makes a new PRIMARY; with a
    blue/green, canary or linear strategy it is released from the live revision (strategies.py).
    A changed capacity provider strategy alone does not ("This parameter doesn't trigger a new
    service deployment"): the next deployment, forced or not, takes it."""
    m: ServiceMotion = service._ecs_motion
    service.task_definition = full_task_definition_arn(service)
    after = Revision.of(service)
    if dataclasses.replace(after, capacity_provider_strategy=before.capacity_provider_strategy) != before or force_new_deployment:
        live = m.last_completed if m.last_completed in service.deployments else None
        for d in service.deployments:
            if d.status == "PRIMARY":
                d.set(status="ACTIVE")
                records.superseded(d._record)
                if d._release is not None and d._release.active:
                    # A newer deployment supersedes a release under way: its tasks go (rolling does it).
                    d._release.outcome = "STOPPED"
        deployment = Deployment(after, service.desired_count)
        service.deployments.insert(0, deployment)
        strategies.begin(service, deployment, live, pace)
        records.open_record(service, deployment, [live] if live is not None else [d for d in service.deployments[1:]])
    service.deployments[0].set(desired_count=service.desired_count)
    service._ecs_motion.steady = False
    recount(service)
    records.sync(service)


def primary_of(service: Any) -> Deployment:
    return next(d for d in service.deployments if d.status == "PRIMARY")


def step(service: Any, pace: Pace, settings: Settings) -> bool:
    """One tick of one service; True while it has work left (tasks in motion, a rollout)."""
    m: ServiceMotion = service._ecs_motion
    m.tick += 1
    news = Changes()
    for task in list(m.tasks):
        for what in tasks.advance(task, pace):
            news.note(task, what)
        if task.last_status == "STOPPED":
            retire(service, task)
    backend = service._backend
    if service.status != "ACTIVE" or backend.services.get(f"{service.cluster_name}:{service.name}") is not service:
        # Deleted (or replaced by a new service of the same name): its tasks stop; then it is gone.
        primary = next((d for d in service.deployments if d.status == "PRIMARY"), None)
        reason = f"Scaling activity initiated by (deployment {primary.id})" if primary else "Service deleted"
        for task in [t for t in m.tasks if tasks.is_live(t)]:
            stop(task, pace, news, reason)
        news.report(service)
        if not m.tasks and service.status == "DRAINING":
            service.status = "INACTIVE"
            count_services(backend, service.cluster_name)
        recount(service)
        return bool(m.tasks)

    daemon = service.scheduling_strategy == "DAEMON"
    if daemon:
        # The DAEMON scheduler's desiredCount is the cluster's ACTIVE container instances.
        service.desired_count = len(active_instances(service))
    primary = primary_of(service)
    desired = service.desired_count or 0
    minimum, maximum, breaker = deployment_settings(service)
    for task, what in news.events:
        d = task._ecs_motion.deployment
        if what == "failed" and d is not None:
            d.set(failed_tasks=d.failed_tasks + 1)
        elif what == "healthy" and d is not None:
            d.set(failed_tasks=0)
            d._impaired_reported = False

    # The circuit breaker is the rolling update's (API reference: DeploymentCircuitBreaker).
    if primary.rollout_state == "IN_PROGRESS" and primary._release is None and primary.failed_tasks >= failure_threshold(desired):
        if breaker.get("enable"):
            primary = trip(service, primary, desired, breaker)
        elif not primary._impaired_reported:
            primary._impaired_reported = True
            add_event(service, f"(service {service.name}) is unable to consistently start tasks successfully. {TROUBLESHOOTING}")

    releasing = strategies.advance(service, primary, desired, lambda d: start(service, d, pace, settings, news), lambda t, why: stop(t, pace, news, why))
    primary = primary_of(service)
    if daemon:
        daemon_rolling(service, primary, pace, settings, news)
    elif not releasing:
        rolling(service, primary, desired, (minimum, maximum), pace, settings, news)

    news.report(service)
    settle_deployments(service, primary, desired)
    recount(service)
    records.sync(service)
    record(service)
    return busy(service)


def rolling(service: Any, primary: Deployment, desired: int, percents: tuple[int, int], pace: Pace, settings: Settings, news: "Changes") -> None:
    """The rolling update: which tasks stop and which start this tick."""
    m: ServiceMotion = service._ecs_motion
    minimum, maximum = percents
    reason = f"Scaling activity initiated by (deployment {primary.id})"
    # Old deployments' tasks that have not started serve nobody: they go at once.
    for task in [t for t in m.tasks if tasks.is_live(t) and t._ecs_motion.deployment is not primary and t.last_status in tasks.STARTING]:
        stop(task, pace, news, reason)
    # Surplus of the PRIMARY (desiredCount dropped): the ones still starting first, then the newest.
    mine = [t for t in m.tasks if tasks.is_live(t) and t._ecs_motion.deployment is primary]
    surplus = len(mine) - desired
    if surplus > 0:
        for task in sorted(mine, key=lambda t: (t.last_status == "RUNNING", -m.tasks.index(t)))[:surplus]:
            stop(task, pace, news, reason)
    # Old deployments' running tasks, as long as minimumHealthyPercent of desiredCount stays healthy.
    if primary.rollout_state != "FAILED":
        floor_healthy = math.ceil(desired * minimum / 100)
        healthy = sum(1 for t in m.tasks if tasks.is_healthy(t))
        old = [t for t in m.tasks if tasks.is_live(t) and t._ecs_motion.deployment is not primary]
        for task in sorted(old, key=lambda t: tasks.is_healthy(t)):
            if not tasks.is_healthy(task):
                stop(task, pace, news, reason)
            elif healthy - 1 >= floor_healthy:
                stop(task, pace, news, reason)
                healthy -= 1

    # New tasks for the PRIMARY, within maximumPercent of desiredCount.
    if primary.rollout_state != "FAILED":
        live = sum(1 for t in m.tasks if tasks.is_live(t))
        primary_live = sum(1 for t in m.tasks if tasks.is_live(t) and t._ecs_motion.deployment is primary)
        ceiling = math.floor(desired * maximum / 100)
        for _ in range(max(0, min(desired - primary_live, ceiling - live))):
            if not start(service, primary, pace, settings, news):
                break


def active_instances(service: Any) -> list[Any]:
    return [ci for ci in service._backend.container_instances.get(service.cluster_name, {}).values() if ci.status == "ACTIVE"]


def daemon_rolling(service: Any, primary: Deployment, pace: Pace, settings: Settings, news: "Changes") -> None:
    """The DAEMON scheduler: one task of the PRIMARY on each ACTIVE container instance. A task on
    an instance that left (draining, deregistered) stops. A new revision replaces the task of each
    instance in place, as ECS's defaults for daemons (minimumHealthyPercent 0, maximumPercent 100)
    do: the old task stops, and once it has stopped the new one starts there."""
    m: ServiceMotion = service._ecs_motion
    reason = f"Scaling activity initiated by (deployment {primary.id})"
    instances = active_instances(service)
    for task in [t for t in m.tasks if tasks.is_live(t) and not any(t._ecs_motion.container_instance is ci for ci in instances)]:
        stop(task, pace, news, reason)
    if primary.rollout_state == "FAILED":
        return
    for ci in instances:
        here = [t for t in m.tasks if t._ecs_motion.container_instance is ci and t.last_status != "STOPPED"]
        for task in [t for t in here if tasks.is_live(t) and t._ecs_motion.deployment is not primary]:
            stop(task, pace, news, reason)
        if not here:
            start(service, primary, pace, settings, news, on=ci)


class Changes:
    """What happened to a service's tasks this tick, reported as ECS's service events."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, str]] = []
        self.started: list[Any] = []
        self.stopped: list[Any] = []
        self.draining: list[Any] = []
        self.registered: dict[str, int] = {}
        self.deregistered: dict[str, int] = {}

    def note(self, task: Any, what: str) -> None:
        self.events.append((task, what))
        if what == "running":
            for tg, _ in task._ecs_motion.targets:
                self.registered[tg.arn] = self.registered.get(tg.arn, 0) + 1
        elif what == "drained":
            for tg_arn in task._ecs_motion.drained_from:
                self.deregistered[tg_arn] = self.deregistered.get(tg_arn, 0) + 1

    def report(self, service: Any) -> None:
        name = service.name
        if self.started:
            add_event(service, f"(service {name}) has started {len(self.started)} tasks: {' '.join(f'(task {t.id})' for t in self.started)}.")
        for arn, n in self.registered.items():
            add_event(service, f"(service {name}) registered {n} targets in (target-group {arn})")
        if self.draining:
            add_event(service, f"(service {name}) has begun draining connections on {len(self.draining)} tasks.")
        for arn, n in self.deregistered.items():
            add_event(service, f"(service {name}) deregistered {n} targets in (target-group {arn})")
        if self.stopped:
            add_event(service, f"(service {name}) has stopped {len(self.stopped)} running tasks: {' '.join(f'(task {t.id})' for t in self.stopped)}.")
        if self.started or self.stopped or self.draining:
            service._ecs_motion.steady = False


def stop(task: Any, pace: Pace, news: Changes, reason: str) -> None:
    running = task.last_status == "RUNNING"
    had_targets = bool(task._ecs_motion.targets)
    if tasks.request_stop(task, pace, "ServiceSchedulerInitiated", reason):
        news.stopped.append(task)
        if running and had_targets:
            news.draining.append(task)
        if running:
            for c in task.containers:
                c.exitCode = 0


def start(service: Any, deployment: Deployment, pace: Pace, settings: Settings, news: Changes, on: Any = None) -> bool:
    """Places and launches one task of `deployment` (on container instance `on` when given); False
    when the cluster has no room for it."""
    m: ServiceMotion = service._ecs_motion
    backend = service._backend
    cluster = backend.clusters.get(service.cluster_name)
    if cluster is None:
        return False
    task_definition = backend.describe_task_definition(deployment.task_definition)
    placed = place(service, deployment, task_definition, on)
    if placed is None:
        if not m.placement_reported:
            m.placement_reported = True
            closest = next(iter(backend.container_instances.get(cluster.name, {}).values()), None)
            where = f" The closest matching (container-instance {closest.id}) has insufficient memory available." if closest is not None else ""
            add_event(service, f"(service {service.name}) was unable to place a task because no container instance met all of its requirements.{where} {TROUBLESHOOTING}")
        return False
    m.placement_reported = False
    container_instance, resources = placed
    behaviour = settings.behaviour(service._account_id, task_definition, "service")
    m.launched += 1
    try:
        task = tasks.launch(backend, cluster, task_definition, behaviour, pace, service=service, deployment=deployment, index=m.launched - 1, container_instance=container_instance, resources=resources)
    except InvalidParameterException as err:
        if container_instance is not None:
            backend.update_container_instance_resources(container_instance, resources, removing=True)
        deployment.set(failed_tasks=deployment.failed_tasks + 1)
        add_event(service, f"(service {service.name}) failed to launch a task with (error {err.message}).")
        return False
    m.tasks.append(task)
    news.started.append(task)
    return True


def place(service: Any, deployment: Deployment, task_definition: Any, on: Any = None) -> tuple[Any, dict[str, Any] | None] | None:
    """(container instance, reserved resources), (None, None) when no instance is involved, or
    None when no instance has room. Fargate needs none; an EC2 cluster without registered
    container instances stands for one whose capacity provider always finds room. A task goes
    to the instance with the fewest of the service's tasks that has room (ECS's default spreads
    a service's tasks; the service's placementStrategy is not read), or only to `on` if given."""
    cps = deployment.capacity_provider_strategy or []
    if deployment.launch_type == "FARGATE" or any(p.get("capacityProvider") in tasks.FARGATE_PROVIDERS for p in cps):
        return None, None
    backend = service._backend
    instances = active_instances(service)
    if on is not None:
        instances = [ci for ci in instances if ci is on]
        if not instances:
            return None
    if not instances:
        return None, None
    needs = requirements(task_definition)
    m: ServiceMotion = service._ecs_motion
    for ci in sorted(instances, key=lambda ci: sum(1 for t in m.tasks if tasks.is_live(t) and t._ecs_motion.container_instance is ci)):
        if backend._can_be_placed(ci, needs):
            backend.update_container_instance_resources(ci, needs)
            return ci, needs
    return None


def requirements(task_definition: Any) -> dict[str, Any]:
    """What a task takes from a container instance, in the shape moto's placement uses."""
    cpu = memory = 0
    ports: list[int] = []
    for c in task_definition.container_definitions:
        cpu += int(c.get("cpu") or 0)
        memory += int(c.get("memory") or c.get("memoryReservation") or 0)
        ports += [int(p["hostPort"]) for p in c.get("portMappings") or [] if p.get("hostPort") not in (None, "", 0, "0")]
    return {"CPU": cpu, "MEMORY": memory, "PORTS": ports, "PORTS_UDP": []}


def trip(service: Any, primary: Deployment, desired: int, breaker: dict[str, Any]) -> Deployment:
    """The circuit breaker fails the PRIMARY; with rollback the last completed deployment's
    revision comes back as a new PRIMARY. Returns the PRIMARY afterwards."""
    if primary._record is not None:
        primary._record["deploymentCircuitBreaker"].update(status="TRIGGERED", failureCount=primary.failed_tasks, threshold=failure_threshold(desired))
    return fail_rolling(service, primary, desired, "ECS deployment circuit breaker: tasks failed to start.", "tasks failed to start.", bool(breaker.get("rollback")))


def fail_rolling(service: Any, primary: Deployment, desired: int, reason: str, event: str, rollback: bool) -> Deployment:
    """A rolling deployment fails (the circuit breaker, or StopServiceDeployment); with `rollback`
    the last completed deployment's revision comes back as a new PRIMARY."""
    m: ServiceMotion = service._ecs_motion
    primary.set(rollout_state="FAILED", rollout_state_reason=reason)
    add_event(service, f"(service {service.name}) (deployment {primary.id}) deployment failed: {event}")
    target = m.last_completed
    if not rollback or target is None or target is primary:
        records.set_status(primary._record, "STOPPED", reason)
        return primary
    rollback_deployment = Deployment(target._revision, desired, rollback_of=target.id)
    primary._rolled_back_by = rollback_deployment
    records.set_status(primary._record, "ROLLBACK_IN_PROGRESS", reason)
    if primary._record is not None:
        primary._record["rollback"] = {"reason": reason, "startedAt": rollback_deployment.created_at, "serviceRevisionArn": records.revision_arn(service, target)}
    primary.set(status="ACTIVE")
    service.deployments.insert(0, rollback_deployment)
    rev = target._revision
    service.task_definition = rev.task_definition
    service.platform_version = rev.platform_version
    service.network_configuration = rev.value("network_configuration")
    service.load_balancers = rev.value("load_balancers")
    service.service_registries = rev.value("service_registries")
    add_event(service, f"(service {service.name}) rolling back to deployment {target.id}.")
    return rollback_deployment


def stop_deployment(service: Any, deployment: Deployment, stop_type: str, pace: Pace) -> None:
    """StopServiceDeployment on a deployment under way: ROLLBACK brings back the last completed
    revision, ABORT leaves the service as it is."""
    news = Changes()
    release = deployment._release
    if release is not None:
        release.stop_requested(service, lambda t, why: stop(t, pace, news, why), stop_type)
    else:
        fail_rolling(service, deployment, service.desired_count or 0, "Service deployment stopped by StopServiceDeployment", "stopped by StopServiceDeployment.", stop_type == "ROLLBACK")
    news.report(service)
    service._ecs_motion.steady = False
    records.sync(service)


def settle_deployments(service: Any, primary: Deployment, desired: int) -> None:
    m: ServiceMotion = service._ecs_motion
    for d in service.deployments:
        mine = [t for t in m.tasks if t._ecs_motion.deployment is d and t.desired_status == "RUNNING"]
        d.set(
            running_count=sum(1 for t in mine if t.last_status == "RUNNING"),
            pending_count=sum(1 for t in mine if t.last_status in tasks.STARTING),
            desired_count=desired if d is primary else len(mine),
        )
    others_busy = any(t._ecs_motion.deployment is not primary for t in m.tasks)
    live = [t for t in m.tasks if tasks.is_live(t) and t._ecs_motion.deployment is primary]
    settled = len(live) == desired and all(tasks.is_healthy(t) for t in live) and not others_busy
    if primary.rollout_state == "IN_PROGRESS" and settled:
        primary.set(rollout_state="COMPLETED", rollout_state_reason=f"ECS deployment {primary.id} completed.")
        m.last_completed = primary
        add_event(service, f"(service {service.name}) (deployment {primary.id}) deployment completed.")
        strategies.take_over_traffic(service)
    if primary.rollout_state != "IN_PROGRESS":
        # Drained deployments leave the list once the PRIMARY is no longer rolling out; until
        # then a FAILED one stays visible beside its rollback.
        service.deployments = [d for d in service.deployments if d is primary or any(t._ecs_motion.deployment is d for t in m.tasks)]
    if settled and not any(t.desired_status == "STOPPED" for t in m.tasks) and not m.steady:
        m.steady = True
        add_event(service, f"(service {service.name}) has reached a steady state.")


def retire(service: Any, task: Any) -> None:
    m: ServiceMotion = service._ecs_motion
    m.tasks.remove(task)
    m.stopped.append(task)
    while len(m.stopped) > STOPPED_TASKS_KEPT:
        old = m.stopped.pop(0)
        service._backend.tasks.get(old.cluster_name, {}).pop(old.task_arn, None)


def recount(service: Any) -> None:
    m: ServiceMotion = service._ecs_motion
    service.running_count = sum(1 for t in m.tasks if t.last_status == "RUNNING" and t.desired_status == "RUNNING")
    service.pending_count = sum(1 for t in m.tasks if t.last_status in tasks.STARTING and t.desired_status == "RUNNING")
    recount_cluster(service._backend, service.cluster_name)


def recount_cluster(backend: Any, cluster_name: str) -> None:
    cluster = backend.clusters.get(cluster_name)
    if cluster is None:
        return
    all_tasks = backend.tasks.get(cluster_name, {}).values()
    cluster.running_tasks_count = sum(1 for t in all_tasks if t.last_status == "RUNNING")
    cluster.pending_tasks_count = sum(1 for t in all_tasks if t.last_status in tasks.STARTING)


def count_services(backend: Any, cluster_name: str) -> None:
    """DescribeClusters' activeServicesCount, which moto leaves at 0."""
    cluster = backend.clusters.get(cluster_name)
    if cluster is not None:
        cluster.active_services_count = sum(1 for s in backend.services.values() if s.cluster_name == cluster_name and s.status == "ACTIVE")


def snapshot(service: Any) -> dict[str, Any]:
    m: ServiceMotion = service._ecs_motion
    return {
        "tick": m.tick,
        "status": service.status,
        "desired": service.desired_count,
        "running": service.running_count,
        "pending": service.pending_count,
        "healthy": sum(1 for t in m.tasks if tasks.is_healthy(t)),
        "stopping": sum(1 for t in m.tasks if t.desired_status == "STOPPED"),
        "placed": sum(1 for t in m.tasks if t._ecs_motion.container_instance is not None),
        "deployments": [d.snapshot() for d in service.deployments],
    }


HISTORY_KEPT = 5000


def record(service: Any) -> None:
    m: ServiceMotion = service._ecs_motion
    now = snapshot(service)
    last = m.history[-1] if m.history else None
    if last is None or {**last, "tick": 0} != {**now, "tick": 0}:
        m.history.append(now)
        del m.history[:-HISTORY_KEPT]


def busy(service: Any) -> bool:
    m: ServiceMotion = service._ecs_motion
    primary = primary_of(service)
    in_motion = any(not tasks.is_healthy(t) or t._ecs_motion.run_ticks_left is not None for t in m.tasks)
    return in_motion or len(service.deployments) > 1 or primary.rollout_state == "IN_PROGRESS" or len(m.tasks) != (service.desired_count or 0) or not m.steady
