"""Where the layer meets moto: wrappers around moto's ECS backend methods and ELBv2 target group
model, installed once. Each wrapper lets moto do its own work (validation, model objects, ARNs)
and then hands the result to the scheduler; compat.py checks that what is wrapped still exists."""

from __future__ import annotations

import copy
import inspect
from typing import Any, Callable

from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException
from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup
from moto.moto_api import state_manager

from . import attachments, records, scheduler, tasks
from .engine import Engine
from .model import Revision

# What ECS reports for a service created without a deploymentConfiguration.
DEFAULT_DEPLOYMENT_CONFIGURATION = {"maximumPercent": 200, "minimumHealthyPercent": 100, "deploymentCircuitBreaker": {"enable": False, "rollback": False}}
DAEMON_DEPLOYMENT_CONFIGURATION = {"maximumPercent": 100, "minimumHealthyPercent": 0, "deploymentCircuitBreaker": {"enable": False, "rollback": False}}

# What CreateService was given that moto's backend call does not take (under the lock).
_creating: dict[str, Any] = {}

# CreateService fields moto's handler drops; the layer keeps them on the service, whose deployments
# report the first three (as ECS does: DescribeServices has no top-level copy of them).
LAUNCH_FIELDS = {
    "serviceConnectConfiguration": "service_connect_configuration",
    "volumeConfigurations": "volume_configurations",
    "vpcLatticeConfigurations": "vpc_lattice_configurations",
}


def _with_default_namespace(backend: Any, cluster_str: str, connect: Any) -> Any:
    """ECS puts a Service Connect configuration without a namespace in the cluster's default one,
    and refuses it when the cluster has none."""
    if not isinstance(connect, dict) or not connect.get("enabled") or connect.get("namespace"):
        return connect
    default = (getattr(backend._get_cluster(cluster_str), "service_connect_defaults", None) or {}).get("namespace")
    if not default:
        raise InvalidParameterException("Service Connect namespace is required: the cluster has no serviceConnectDefaults")
    return {**connect, "namespace": default}


# Operations moto does not answer at all, answered here from the layer's service deployments.
SERVICE_DEPLOYMENT_OPERATIONS = ("list_service_deployments", "describe_service_deployments", "stop_service_deployment", "continue_service_deployment")

# moto moves a task one step towards STOPPED on every DescribeTasks ("manual" progression, once
# per describe); here the layer alone moves tasks, so that progression never fires.
TASK_MODEL = "ecs::task"
NEVER = {"progression": "manual", "times": 2**62}

_installed: Engine | None = None

# RunTask's client tokens, as ECS keeps them (per account, region and cluster): a repeat of a
# request answers with the tasks the first one started, never new ones (moto ignores the token).
_run_task_tokens: dict[tuple[str, str, str, str], list[str]] = {}


def _run_without_instances(backend: Any, cluster: Any, task_definition: Any, count: int, *, overrides: Any, started_by: str, tags: Any, launch_type: str, network: Any, group: str | None, platform_version: str | None, provider: str | None) -> list[Any]:
    """RunTask on an EC2 cluster without container instances, which stands for a capacity provider
    that always finds room (as for services); moto itself raises for it."""
    launched = []
    for _ in range(count):
        task = Task(
            cluster,
            task_definition,
            None,
            backend._calculate_task_resource_requirements(task_definition),
            backend=backend,
            group=group or f"family:{task_definition.family}",
            launch_type=launch_type,
            overrides=overrides or {},
            started_by=started_by or "",
            tags=tags or [],
            networking_configuration=network,
            platform_version=platform_version,
            capacity_provider_name=provider,
        )
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        launched.append(task)
    return launched


def simulated(service: Any) -> bool:
    """The services of the ECS deployment controller (REPLICA and DAEMON schedulers); others keep
    moto's static answer."""
    controller = (service.deployment_controller or {}).get("type", "ECS")
    return controller == "ECS" and service.scheduling_strategy in ("REPLICA", "DAEMON")


def _wrap(cls: type, name: str, make: Callable[[Callable[..., Any], inspect.Signature], Callable[..., Any]]) -> None:
    original = getattr(cls, name)
    wrapper = make(original, inspect.signature(original))
    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(cls, name, wrapper)


def install(engine: Engine) -> None:
    global _installed
    if _installed is not None:
        if _installed is not engine:
            raise RuntimeError("ecs_motion is already installed with another engine")
        return
    _installed = engine
    state_manager.set_transition(TASK_MODEL, NEVER)
    lock = engine.lock

    def create_service(original: Callable[..., Any], sig: inspect.Signature) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                service = original(self, *args, **kwargs)
                strategy, launch_type_given = _creating.pop("capacity_provider_strategy", None), _creating.pop("launch_type_given", True)
                if not strategy and not launch_type_given:
                    # Neither given: ECS takes the cluster's default strategy and reports it.
                    strategy = self.clusters[service.cluster_name].default_capacity_provider_strategy
                if strategy:
                    service.capacity_provider_strategy = [{"capacityProvider": p["capacityProvider"], "weight": int(p.get("weight") or 0), "base": int(p.get("base") or 0)} for p in strategy]
                if simulated(service):
                    engine.adopt_service(service)
                    scheduler.recount(service)
                scheduler.count_services(self, service.cluster_name)
                return service

        return wrapper

    def create_service_response(original: Callable[..., Any], sig: inspect.Signature) -> Callable[..., Any]:
        # moto's CreateService handler drops deploymentConfiguration, which the scheduler reads
        # (percentages, circuit breaker) and DescribeServices reports.
        # It drops capacityProviderStrategy too, which the scheduler places by and DescribeServices
        # reports: handed to create_service above, before the service's first deployment is made.
        def wrapper(self: Any) -> Any:
            with lock:
                cluster_str = self._get_param("cluster", "default")
                # Refused before anything is created, as ECS refuses it.
                connect = _with_default_namespace(self.ecs_backend, cluster_str, self._get_param("serviceConnectConfiguration"))
                _creating.update(capacity_provider_strategy=self._get_param("capacityProviderStrategy"), launch_type_given=self._get_param("launchType") is not None)
                try:
                    result = original(self)
                finally:
                    _creating.clear()
                service = self.ecs_backend._get_service(cluster_str, self._get_param("serviceName"))
                # ECS's default for a new service (API reference, CreateService).
                service.availability_zone_rebalancing = self._get_param("availabilityZoneRebalancing") or "ENABLED"
                for param, attribute in LAUNCH_FIELDS.items():
                    setattr(service, attribute, connect if param == "serviceConnectConfiguration" else self._get_param(param))
                if getattr(service, "_ecs_motion", None) is not None:
                    given = self._get_param("deploymentConfiguration") or {}
                    defaults = DAEMON_DEPLOYMENT_CONFIGURATION if service.scheduling_strategy == "DAEMON" else DEFAULT_DEPLOYMENT_CONFIGURATION
                    service.deployment_configuration = {**defaults, **given}
                    # The first deployment was made inside moto's create, before these were kept.
                    for deployment in service.deployments:
                        deployment.carry_launch_configuration(Revision.of(service))
                return result

        return wrapper

    def update_service(original: Callable[..., Any], sig: inspect.Signature) -> Callable[..., Any]:
        def wrapper(self: Any, service_properties: dict[str, Any]) -> Any:
            with lock:
                props = dict(service_properties)
                force = bool(props.pop("force_new_deployment", False))
                if "service_connect_configuration" in props:
                    props["service_connect_configuration"] = _with_default_namespace(self, props.get("cluster", "default"), props["service_connect_configuration"])
                service = self._get_service(props.get("cluster", "default"), props["service"].split("/")[-1])
                if getattr(service, "_ecs_motion", None) is None:
                    return original(self, {**props, "force_new_deployment": force})
                before = Revision.of(service)
                result = original(self, props)
                scheduler.updated(result, before, force, engine.settings.pace(self.account_id))
                engine.wake(result)
                return result

        return wrapper

    def delete_service(original: Callable[..., Any], sig: inspect.Signature) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                bound = sig.bind(self, *args, **kwargs)
                daemon = self._get_service(bound.arguments["cluster_name"], bound.arguments["service_name"])
                if getattr(daemon, "_ecs_motion", None) is not None and daemon.scheduling_strategy == "DAEMON":
                    # A DAEMON service is deleted as it is: its desiredCount is the scheduler's.
                    bound.arguments["force"] = True
                service = original(*bound.args, **bound.kwargs)
                m = getattr(service, "_ecs_motion", None)
                if m is not None:
                    # ECS keeps a deleted service DRAINING until its tasks have stopped.
                    if m.tasks:
                        service.status = "DRAINING"
                    scheduler.recount(service)
                    engine.wake(service)
                scheduler.count_services(self, service.cluster_name)
                return service

        return wrapper

    def launches_tasks(original: Callable[..., Any], sig: inspect.Signature) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                launched = original(self, *args, **kwargs)
                for task in launched:
                    task_definition = self.describe_task_definition(task.task_definition_arn)
                    behaviour = engine.settings.behaviour(self.account_id, task_definition, "task")
                    instance = None
                    if task.container_instance_arn:
                        instance = self.container_instances.get(task.cluster_name, {}).get(task.container_instance_arn.split("/")[-1])
                    tasks.prepare(task, task_definition, behaviour, engine.settings.pace(self.account_id), container_instance=instance, resources=task.resource_requirements if instance is not None else None)
                    engine.adopt_task(task)
                    scheduler.recount_cluster(self, task.cluster_name)
                return launched

        return wrapper

    def run_task(original: Callable[..., Any], sig: inspect.Signature) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                bound = sig.bind(self, *args, **kwargs)
                bound.apply_defaults()
                a = bound.arguments
                cluster = self._get_cluster(a["cluster_str"])
                launch_type = a.get("launch_type")
                strategy = a.get("capacity_provider_strategy") or (None if launch_type else cluster.default_capacity_provider_strategy)
                provider = strategy[0]["capacityProvider"] if strategy else None
                fargate = launch_type == "FARGATE" or provider in tasks.FARGATE_PROVIDERS
                if fargate or self.container_instances.get(cluster.name) or (launch_type and launch_type not in ("EC2", "EXTERNAL")) or (launch_type and strategy):
                    return original(self, *args, **kwargs)
                return _run_without_instances(
                    self,
                    cluster,
                    self.describe_task_definition(a["task_definition_str"]),
                    a["count"],
                    overrides=a.get("overrides"),
                    started_by=a.get("started_by") or "",
                    tags=a.get("tags"),
                    launch_type=launch_type or "",
                    network=a.get("networking_configuration"),
                    group=a.get("group"),
                    platform_version=a.get("platform_version"),
                    provider=provider,
                )

        return wrapper

    def run_task_response(original: Callable[..., Any], sig: inspect.Signature) -> Callable[..., Any]:
        def wrapper(self: Any) -> Any:
            with lock:
                token = self._get_param("clientToken")
                if not token:
                    return original(self)
                backend = self.ecs_backend
                cluster = backend._get_cluster(self._get_param("cluster", "default")).name
                key = (backend.account_id, backend.region_name, cluster, token)
                if key in _run_task_tokens:
                    known = backend.tasks.get(cluster, {})
                    return ActionResult({"tasks": [known[arn] for arn in _run_task_tokens[key] if arn in known], "failures": []})
                before = set(backend.tasks.get(cluster, {}))
                result = original(self)
                _run_task_tokens[key] = [arn for arn in backend.tasks.get(cluster, {}) if arn not in before]
                return result

        return wrapper

    def stop_task(original: Callable[..., Any], sig: inspect.Signature) -> Callable[..., Any]:
        def wrapper(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
            with lock:
                cluster = self._get_cluster(cluster_str)
                task_id = task_str.split("/")[-1]
                task = next((t for arn, t in self.tasks.get(cluster.name, {}).items() if arn.endswith(task_id)), None)
                if task is None or getattr(task, "_ecs_motion", None) is None:
                    return original(self, cluster_str, task_str, reason)
                m = task._ecs_motion
                tasks.request_stop(task, engine.settings.pace(self.account_id), "UserInitiated", reason or "Task stopped by user")
                if m.service is not None:
                    engine.wake(m.service)
                    scheduler.recount(m.service)
                else:
                    scheduler.recount_cluster(self, cluster.name)
                return task

        return wrapper

    def list_tasks(original: Callable[..., Any], sig: inspect.Signature) -> Callable[..., Any]:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            with lock:
                bound = sig.bind(self, *args, **kwargs)
                bound.apply_defaults()
                named = dict(bound.arguments)
                service_name = named.pop("service_name")
                desired = named.pop("desiredStatus")
                named.pop("self")
                listed = original(self, **named, service_name=None, desiredStatus=None)
                # ECS lists the tasks whose desired status is RUNNING unless asked otherwise, and
                # filters by service (moto does neither).
                listed = [t for t in listed if t.desired_status == (desired or "RUNNING")]
                if service_name:
                    listed = [t for t in listed if t.group == f"service:{service_name.split('/')[-1]}"]
                return listed

        return wrapper

    def container_instances_change(original: Callable[..., Any], sig: inspect.Signature) -> Callable[..., Any]:
        def wrapper(self: Any, cluster_str: str, *args: Any, **kwargs: Any) -> Any:
            with lock:
                result = original(self, cluster_str, *args, **kwargs)
                engine.wake_cluster(self, cluster_str.split("/")[-1])
                return result

        return wrapper

    def health_for(original: Callable[..., Any], sig: inspect.Signature) -> Callable[..., Any]:
        def wrapper(self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
            record = self.targets.get(target["Id"])
            state = record.get(attachments.MARK) if record is not None else None
            if state in attachments.HEALTH:
                reason, description = attachments.HEALTH[state]
                return FakeHealthStatus(record["Id"], record["Port"], self.health_check_port, state, reason, description)
            return original(self, target, ec2_backend)

        return wrapper

    def list_service_deployments(self: Any) -> Any:
        with lock:
            service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("service").split("/")[-1])
            m = getattr(service, "_ecs_motion", None)
            wanted = self._get_param("status") or []
            found = [r for r in (m.records if m is not None else []) if not wanted or r["status"] in wanted]
            first = int(self._get_param("nextToken") or 0)
            size = int(self._get_param("maxResults") or 20)
            page = found[first : first + size]
            out: dict[str, Any] = {"serviceDeployments": [records.brief(r) for r in page]}
            if first + size < len(found):
                out["nextToken"] = str(first + size)
            return ActionResult(out)

    def describe_service_deployments(self: Any) -> Any:
        with lock:
            found, failures = [], []
            for arn in self._get_param("serviceDeploymentArns") or []:
                hit = records.find(self.ecs_backend, arn)
                if hit is None:
                    failures.append({"arn": arn, "reason": "MISSING"})
                else:
                    found.append(hit[2])
            return ActionResult({"serviceDeployments": found, "failures": failures})

    def in_progress(self: Any) -> tuple[Any, Any]:
        arn = self._get_param("serviceDeploymentArn")
        hit = records.find(self.ecs_backend, arn)
        if hit is None:
            raise InvalidParameterException(f"Service deployment {arn} not found.")
        service, deployment, record = hit
        if deployment is None or record["status"] not in ("PENDING", "IN_PROGRESS"):
            raise InvalidParameterException(f"Service deployment {arn} is {record['status']}, not in progress.")
        return service, deployment

    def stop_service_deployment(self: Any) -> Any:
        with lock:
            service, deployment = in_progress(self)
            scheduler.stop_deployment(service, deployment, self._get_param("stopType") or "ROLLBACK", engine.settings.pace(self.current_account))
            engine.wake(service)
            return ActionResult({"serviceDeploymentArn": self._get_param("serviceDeploymentArn")})

    def continue_service_deployment(self: Any) -> Any:
        with lock:
            service, deployment = in_progress(self)
            hook = self._get_param("hookId")
            release = deployment._release
            if release is None or not release.resolve_hook(hook, self._get_param("action") or "CONTINUE"):
                raise InvalidParameterException(f"No lifecycle hook {hook} awaits action in this service deployment.")
            records.sync(service)
            engine.wake(service)
            return ActionResult({"serviceDeploymentArn": self._get_param("serviceDeploymentArn")})

    for name, handler in zip(SERVICE_DEPLOYMENT_OPERATIONS, (list_service_deployments, describe_service_deployments, stop_service_deployment, continue_service_deployment)):
        setattr(EC2ContainerServiceResponse, name, handler)

    _wrap(EC2ContainerServiceBackend, "create_service", create_service)
    _wrap(EC2ContainerServiceResponse, "create_service", create_service_response)
    _wrap(EC2ContainerServiceBackend, "update_service", update_service)
    _wrap(EC2ContainerServiceBackend, "delete_service", delete_service)
    _wrap(EC2ContainerServiceBackend, "run_task", run_task)
    _wrap(EC2ContainerServiceResponse, "run_task", run_task_response)
    _wrap(EC2ContainerServiceBackend, "run_task", launches_tasks)
    _wrap(EC2ContainerServiceBackend, "start_task", launches_tasks)
    _wrap(EC2ContainerServiceBackend, "stop_task", stop_task)
    _wrap(EC2ContainerServiceBackend, "list_tasks", list_tasks)
    _wrap(EC2ContainerServiceBackend, "register_container_instance", container_instances_change)
    _wrap(EC2ContainerServiceBackend, "deregister_container_instance", container_instances_change)
    _wrap(FakeTargetGroup, "health_for", health_for)
    _allow_task_level_memory()


_MEMORY_KEYS = ("memory", "memoryReservation", "Memory", "MemoryReservation")


def _allow_task_level_memory() -> None:
    """ECS needs no container-level memory when the task sets memory (always so on Fargate); moto's
    resource accounting adds None for such a container and fails RunTask with a 500. Here such a
    container counts for nothing, as it takes from the task's memory, not from an instance's."""
    original = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def requirements(task_definition: Any) -> Any:
        containers = task_definition.container_definitions
        if all(any(k in c for k in _MEMORY_KEYS) for c in containers):
            return original(task_definition)
        counted = copy.copy(task_definition)
        counted.container_definitions = [c if any(k in c for k in _MEMORY_KEYS) else {**c, "memory": 0} for c in containers]
        return original(counted)

    requirements.__wrapped__ = original  # type: ignore[attr-defined]
    EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(requirements)  # type: ignore[method-assign]
