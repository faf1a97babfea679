"""Rolling deployments within minimumHealthyPercent/maximumPercent, the circuit breaker, determinism."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from conftest import World


def roll(world: World, desired: int, minimum: int, maximum: int, *, capacity: bool = False) -> list[dict[str, Any]]:
    """Desired tasks of revision 1, steady; then revision 2 rolled over them. Returns every tick's state."""
    if capacity:
        # One container instance (4096 CPU units, 7482 MiB) and tasks of 748 MiB: room for 10.
        world.container_instance()
        td1 = world.task_definition("app", awsvpc=False, memory=748)
        td2 = world.task_definition("app", "httpd:2.5", awsvpc=False, memory=748)
        world.create_service("app", td1, desired, launch_type="EC2", config={"minimumHealthyPercent": minimum, "maximumPercent": maximum})
    else:
        td1 = world.task_definition("app")
        td2 = world.task_definition("app", "httpd:2.5")
        world.create_service("app", td1, desired, config={"minimumHealthyPercent": minimum, "maximumPercent": maximum})
    world.until("steady", lambda: world.service("app")["deployments"][0]["rolloutState"] == "COMPLETED")
    start = len(world.history("app"))
    world.ecs.update_service(cluster=world.cluster, service="app", taskDefinition=td2)
    world.until("rolled", lambda: world.service("app")["deployments"][0]["rolloutState"] == "COMPLETED")
    assert {t["taskDefinitionArn"] for t in world.tasks("app")} == {td2}
    assert len(world.tasks("app")) == desired
    return world.history("app")[start:]


@pytest.mark.parametrize(
    ("minimum", "maximum", "capacity", "lowest", "highest"),
    [
        # The seed's three rolling examples, desired 6: all new tasks first, then the old ones go.
        (100, 200, False, 6, 12),
        # Half may go at once: three old tasks stop while six new ones start.
        (50, 200, False, 3, 9),
        # The cluster has room for 10 tasks only: four new tasks fit beside the six old ones at first,
        # two more once three old ones have stopped and freed their place.
        (50, 200, True, 3, 9),
    ],
)
def test_rolling_update_stays_within_its_bounds(world: World, minimum: int, maximum: int, capacity: bool, lowest: int, highest: int) -> None:
    states = roll(world, 6, minimum, maximum, capacity=capacity)
    floor_healthy, ceiling = math.ceil(6 * minimum / 100), math.floor(6 * maximum / 100)
    for s in states:
        assert s["running"] + s["pending"] <= ceiling, s
        assert s["healthy"] >= floor_healthy, s
        assert s["running"] >= floor_healthy, s
        if capacity:
            assert s["placed"] <= 10, s
    # The bounds are reached, not merely respected.
    assert min(s["healthy"] for s in states) == lowest
    assert max(s["running"] + s["pending"] for s in states) == highest
    if capacity:
        assert max(s["placed"] for s in states) == 10
        assert any(e["message"].startswith("(service app) was unable to place a task") for e in world.service("app")["events"])


def failing_rollout(world: World, breaker: dict[str, bool] | None, desired: int = 2) -> tuple[str, str, int]:
    """Returns both revisions and where in the history the rollout starts."""
    td1 = world.task_definition("app")
    config: dict[str, Any] = {"minimumHealthyPercent": 100, "maximumPercent": 200}
    if breaker is not None:
        config["deploymentCircuitBreaker"] = breaker
    world.create_service("app", td1, desired, config=config)
    world.until("steady", lambda: world.service("app")["deployments"][0]["rolloutState"] == "COMPLETED")
    start = len(world.history("app"))
    td2 = world.task_definition("app", "httpd:exit-1")
    world.ecs.update_service(cluster=world.cluster, service="app", taskDefinition=td2)
    return td1, td2, start


def test_circuit_breaker_fails_the_deployment_and_rolls_back(world: World) -> None:
    td1, td2, start = failing_rollout(world, {"enable": True, "rollback": True})
    completed = world.service("app")["deployments"][1]["id"]
    failed = world.service("app")["deployments"][0]["id"]
    world.until("failed", lambda: any(d["rolloutState"] == "FAILED" for d in world.service("app")["deployments"]))
    s = world.service("app")
    primary, bad = s["deployments"][0], next(d for d in s["deployments"] if d["id"] == failed)
    assert (bad["status"], bad["rolloutState"], bad["rolloutStateReason"]) == ("ACTIVE", "FAILED", "ECS deployment circuit breaker: tasks failed to start.")
    assert bad["failedTasks"] >= 3
    assert (primary["status"], primary["rolloutState"], primary["taskDefinition"]) == ("PRIMARY", "IN_PROGRESS", td1)
    assert primary["rolloutStateReason"] == f"ECS deployment circuit breaker: rolling back to deploymentId {completed}."
    assert s["taskDefinition"] == td1
    messages = [e["message"] for e in s["events"]]
    assert f"(service app) (deployment {failed}) deployment failed: tasks failed to start." in messages
    # The old tasks served throughout.
    assert all(h["healthy"] >= 2 for h in world.history("app")[start:])
    failures = world.tasks("app", "STOPPED")
    assert failures and all(t["taskDefinitionArn"] == td2 for t in failures)
    assert {(t["stopCode"], t["stoppedReason"], t["containers"][0]["exitCode"]) for t in failures} == {("EssentialContainerExited", "Essential container in task exited", 1)}

    world.until("rolled back", lambda: world.service("app")["deployments"][0]["rolloutState"] == "COMPLETED")
    s = world.service("app")
    assert [d["taskDefinition"] for d in s["deployments"]] == [td1]
    assert {t["taskDefinitionArn"] for t in world.tasks("app")} == {td1}


def test_circuit_breaker_without_rollback_stops_launching(world: World) -> None:
    td1, td2, _ = failing_rollout(world, {"enable": True, "rollback": False})
    world.until("failed", lambda: world.service("app")["deployments"][0]["rolloutState"] == "FAILED")
    failed = world.service("app")["deployments"][0]["failedTasks"]
    world.tick(20)
    s = world.service("app")
    assert [(d["status"], d["taskDefinition"], d["rolloutState"]) for d in s["deployments"]] == [("PRIMARY", td2, "FAILED"), ("ACTIVE", td1, "COMPLETED")]
    assert s["deployments"][0]["failedTasks"] == failed
    assert (s["runningCount"], s["pendingCount"]) == (2, 0)


def test_without_circuit_breaker_ecs_keeps_retrying(world: World) -> None:
    failing_rollout(world, None)
    world.tick(30)
    s = world.service("app")
    assert s["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    grown = s["deployments"][0]["failedTasks"]
    assert grown > 3
    world.tick(10)
    assert world.service("app")["deployments"][0]["failedTasks"] > grown
    messages = [e["message"] for e in world.service("app")["events"]]
    assert sum(m.startswith("(service app) is unable to consistently start tasks successfully.") for m in messages) == 1
    assert world.service("app")["runningCount"] == 2


def test_a_rule_makes_a_revision_fail_by_image(world: World) -> None:
    world.engine.settings.add_rule("123456789012", {"image": "*:2.5", "outcome": "fail", "exitCode": 137, "reason": "CannotPullContainerError: pull image manifest has been retried 5 time(s)"})
    td1 = world.task_definition("app")
    world.create_service("app", td1, 1, config={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    world.until("steady", lambda: world.service("app")["deployments"][0]["rolloutState"] == "COMPLETED")
    world.ecs.update_service(cluster=world.cluster, service="app", taskDefinition=world.task_definition("app", "httpd:2.5"))
    world.until("failed", lambda: any(d["rolloutState"] == "FAILED" for d in world.service("app")["deployments"]))
    stopped = world.tasks("app", "STOPPED")[0]
    assert stopped["stoppedReason"].startswith("CannotPullContainerError")
    assert stopped["containers"][0]["exitCode"] == 137


def normalised(history: list[dict[str, Any]]) -> str:
    text = repr(history)
    ids = {i: f"d{n}" for n, i in enumerate(dict.fromkeys(re.findall(r"ecs-svc/\d+", text)))}
    arns = re.sub(r"ecs-svc/\d+", lambda m: ids[m.group(0)], text)
    return arns


def test_the_same_inputs_give_the_same_sequence(world: World) -> None:
    runs = []
    for n in range(2):
        name = f"app{n}"
        td1 = world.task_definition(name)
        world.create_service(name, td1, 4, config={"minimumHealthyPercent": 50, "maximumPercent": 150, "deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        world.tick(6)
        world.ecs.update_service(cluster=world.cluster, service=name, taskDefinition=world.task_definition(name, "httpd:exit-2"))
        world.tick(30)
        world.ecs.update_service(cluster=world.cluster, service=name, taskDefinition=world.task_definition(name, "httpd:2.6"), desiredCount=3)
        world.tick(30)
        runs.append(normalised(world.history(name)).replace(name, "app"))
    assert runs[0] == runs[1]
    assert "FAILED" in runs[0] and "COMPLETED" in runs[0]


def test_a_changed_capacity_provider_strategy_deploys_only_when_forced(world: World) -> None:
    # As ECS: UpdateService changes the strategy without moving a task; forceNewDeployment moves them.
    world.container_instance()
    td = world.task_definition("app", awsvpc=False, memory=256)
    world.ecs.put_cluster_capacity_providers(cluster=world.cluster, capacityProviders=[], defaultCapacityProviderStrategy=[])
    world.ecs.create_service(cluster=world.cluster, serviceName="app", taskDefinition=td, desiredCount=2, capacityProviderStrategy=[{"capacityProvider": "asg", "weight": 1}])
    world.until("steady", lambda: world.service("app")["deployments"][0]["rolloutState"] == "COMPLETED")
    first = world.service("app")["deployments"][0]["id"]
    # Reported as ECS reports it (moto's CreateService drops it), with the defaults filled.
    assert world.service("app")["capacityProviderStrategy"] == [{"capacityProvider": "asg", "weight": 1, "base": 0}]
    assert world.service("app")["deployments"][0]["capacityProviderStrategy"] == [{"capacityProvider": "asg", "weight": 1, "base": 0}]

    world.ecs.update_service(cluster=world.cluster, service="app", capacityProviderStrategy=[{"capacityProvider": "asg", "weight": 2, "base": 1}])
    world.tick(5)
    assert [d["id"] for d in world.service("app")["deployments"]] == [first]

    world.ecs.update_service(cluster=world.cluster, service="app", capacityProviderStrategy=[{"capacityProvider": "asg", "weight": 2, "base": 1}], forceNewDeployment=True)
    deployments = world.service("app")["deployments"]
    assert deployments[0]["id"] != first and deployments[0]["capacityProviderStrategy"] == [{"capacityProvider": "asg", "weight": 2, "base": 1}]
    world.until("rolled", lambda: len(world.service("app")["deployments"]) == 1 and world.service("app")["deployments"][0]["rolloutState"] == "COMPLETED")
    assert len(world.tasks("app")) == 2
