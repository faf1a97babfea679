"""Target groups and Cloud Map follow the tasks; RunTask tasks run and exit; the layer's own checks."""

from __future__ import annotations

import moto
import pytest
from conftest import ACCOUNT, World

import ecs_motion
from ecs_motion import compat
from ecs_motion.settings import Pace, parse_pace, parse_rule


def target_states(world: World, tg: str) -> dict[str, str]:
    return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in world.elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}


def test_tasks_register_in_their_target_group_and_drain_from_it(world: World) -> None:
    tg = world.elbv2.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=world.vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    lb = [{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}]
    world.create_service("web", world.task_definition("web"), 2, loadBalancers=lb)
    world.until("registered", lambda: len(target_states(world, tg)) == 2)
    ips = {t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in world.tasks("web")}
    assert target_states(world, tg) == {ip: "initial" for ip in ips}
    health = world.elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]
    assert (health["Target"]["Port"], health["TargetHealth"]["Reason"]) == (80, "Elb.RegistrationInProgress")
    # A task is not counted healthy (nor the deployment completed) before its target is.
    assert world.service("web")["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    world.until("healthy", lambda: set(target_states(world, tg).values()) == {"healthy"})
    assert world.service("web")["deployments"][0]["rolloutState"] == "COMPLETED"
    messages = [e["message"] for e in world.service("web")["events"]]
    assert f"(service web) registered 2 targets in (target-group {tg})" in messages

    world.ecs.update_service(cluster=world.cluster, service="web", taskDefinition=world.task_definition("web", "httpd:2.5"))
    seen: set[str] = set()
    world.until("rolled", lambda: world.service("web")["deployments"][0]["rolloutState"] == "COMPLETED", each=lambda: seen.update(target_states(world, tg).values()))
    assert seen == {"initial", "healthy", "draining"}
    new_ips = {t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in world.tasks("web")}
    assert target_states(world, tg) == {ip: "healthy" for ip in new_ips}
    assert not new_ips & ips
    gone = world.elbv2.describe_target_health(TargetGroupArn=tg, Targets=[{"Id": next(iter(ips))}])["TargetHealthDescriptions"][0]
    assert gone["TargetHealth"]["State"] == "unused"
    messages = [e["message"] for e in world.service("web")["events"]]
    assert "(service web) has begun draining connections on 2 tasks." in messages
    assert f"(service web) deregistered 2 targets in (target-group {tg})" in messages
    # The ENIs of stopped tasks are gone, as ECS deletes them.
    enis = {e["PrivateIpAddress"] for e in world.ec2.describe_network_interfaces()["NetworkInterfaces"] if e.get("Description") == "moto ECS"}
    assert enis == new_ips


def test_tasks_register_in_cloud_map_and_leave_it_when_they_stop(world: World) -> None:
    op = world.sd.create_private_dns_namespace(Name="app.local", Vpc=world.vpc)["OperationId"]
    namespace = world.sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    registry = world.sd.create_service(Name="backend", NamespaceId=namespace, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]
    world.create_service("backend", world.task_definition("backend"), 2, serviceRegistries=[{"registryArn": registry["Arn"]}])
    world.until("running", lambda: world.service("backend")["runningCount"] == 2)
    instances = world.sd.list_instances(ServiceId=registry["Id"])["Instances"]
    tasks = {t["taskArn"].split("/")[-1]: t for t in world.tasks("backend")}
    assert {i["Id"] for i in instances} == set(tasks)
    for i in instances:
        ip = tasks[i["Id"]]["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
        assert i["Attributes"]["AWS_INSTANCE_IPV4"] == ip
        assert i["Attributes"]["ECS_SERVICE_NAME"] == "backend"
    world.ecs.update_service(cluster=world.cluster, service="backend", desiredCount=1)
    world.tick()
    assert len(world.sd.list_instances(ServiceId=registry["Id"])["Instances"]) == 1


def test_run_task_tasks_run_then_exit_with_the_rules_exit_codes(world: World) -> None:
    two = [{"name": "main", "image": "job:1", "memory": 128}, {"name": "sidecar", "image": "log:1", "memory": 64, "essential": False}]
    td = world.task_definition("job", containers=two)
    network = {"awsvpcConfiguration": {"subnets": world.subnets, "securityGroups": [world.security_group]}}
    default = world.ecs.run_task(cluster=world.cluster, taskDefinition=td, launchType="FARGATE", networkConfiguration=network)["tasks"][0]
    assert default["lastStatus"] == "PROVISIONING"
    assert [c["name"] for c in default["containers"]] == ["main", "sidecar"]
    world.engine.settings.add_rule(ACCOUNT, {"family": "job", "launchedBy": "task", "outcome": "exit", "exitCodes": {"main": 3}, "exitCode": 0, "runTicks": 2})
    ruled = world.ecs.run_task(cluster=world.cluster, taskDefinition=td, launchType="FARGATE", networkConfiguration=network)["tasks"][0]
    world.until("running", lambda: world.ecs.describe_tasks(cluster=world.cluster, tasks=[ruled["taskArn"]])["tasks"][0]["lastStatus"] == "RUNNING")
    world.until("stopped", lambda: {t["lastStatus"] for t in world.ecs.describe_tasks(cluster=world.cluster, tasks=[ruled["taskArn"], default["taskArn"]])["tasks"]} == {"STOPPED"}, limit=40)
    done = {t["taskArn"]: t for t in world.ecs.describe_tasks(cluster=world.cluster, tasks=[ruled["taskArn"], default["taskArn"]])["tasks"]}
    assert {c["name"]: c["exitCode"] for c in done[ruled["taskArn"]]["containers"]} == {"main": 3, "sidecar": 0}
    assert {c["name"]: c["exitCode"] for c in done[default["taskArn"]]["containers"]} == {"main": 0, "sidecar": 0}
    assert done[ruled["taskArn"]]["stopCode"] == "EssentialContainerExited"
    assert world.tasks() == []


def test_pace_and_rules_are_validated() -> None:
    assert parse_pace(Pace(), {"tickMs": 0, "pendingTicks": 3}) == Pace(tick_ms=0, pending_ticks=3)
    for bad in ({"tickms": 1}, {"pendingTicks": -1}, {"pendingTicks": 1.5}, []):
        with pytest.raises(ValueError):
            parse_pace(Pace(), bad)
    assert parse_rule({"image": "a:*", "outcome": "fail"}, "1").to_json() == {"id": "1", "outcome": "fail", "image": "a:*"}
    for bad in ({"outcome": "explode"}, {"outcome": "fail", "colour": 1}, {"outcome": "exit", "exitCodes": {"a": "1"}}, {"outcome": "run", "launchedBy": "cron"}):
        with pytest.raises(ValueError):
            parse_rule(bad, "1")


def test_moto_internals_the_layer_relies_on_are_there() -> None:
    assert compat.problems() == []
    assert moto.__version__ == compat.VERIFIED_WITH, "moto was upgraded: re-verify test/env/ecs_motion against it, then update compat.VERIFIED_WITH"
    assert ecs_motion.install() is ecs_motion.ENGINE


def test_run_task_on_an_ec2_cluster_without_instances_runs_as_on_a_capacity_provider_with_room(world: World) -> None:
    td = world.task_definition("batch", awsvpc=False, containers=[{"name": "main", "image": "batch:1", "memory": 128}])
    started = world.ecs.run_task(cluster=world.cluster, taskDefinition=td, launchType="EC2", startedBy="job-1", count=2)["tasks"]
    assert [t["lastStatus"] for t in started] == ["PROVISIONING", "PROVISIONING"]
    assert {t["launchType"] for t in started} == {"EC2"}
    world.until("stopped", lambda: {t["lastStatus"] for t in world.ecs.describe_tasks(cluster=world.cluster, tasks=[t["taskArn"] for t in started])["tasks"]} == {"STOPPED"}, limit=40)
    # ListTasks finds them by startedBy, among the stopped ones once they stopped.
    assert world.ecs.list_tasks(cluster=world.cluster, startedBy="job-1")["taskArns"] == []
    assert sorted(world.ecs.list_tasks(cluster=world.cluster, startedBy="job-1", desiredStatus="STOPPED")["taskArns"]) == sorted(t["taskArn"] for t in started)
    assert world.ecs.list_tasks(cluster=world.cluster, startedBy="job-2", desiredStatus="STOPPED")["taskArns"] == []


def test_run_task_with_a_client_token_already_used_answers_with_the_first_tasks(world: World) -> None:
    td = world.task_definition("once", awsvpc=False, containers=[{"name": "main", "image": "once:1", "memory": 128}])
    first = world.ecs.run_task(cluster=world.cluster, taskDefinition=td, launchType="EC2", clientToken="token-a")["tasks"]
    again = world.ecs.run_task(cluster=world.cluster, taskDefinition=td, launchType="EC2", clientToken="token-a")["tasks"]
    other = world.ecs.run_task(cluster=world.cluster, taskDefinition=td, launchType="EC2", clientToken="token-b")["tasks"]
    assert [t["taskArn"] for t in again] == [t["taskArn"] for t in first]
    assert other[0]["taskArn"] != first[0]["taskArn"]
    assert len(world.ecs.list_tasks(cluster=world.cluster)["taskArns"]) == 2


def test_run_task_takes_a_fargate_task_whose_containers_set_no_memory_of_their_own(world: World) -> None:
    # ECS needs only the task's memory on Fargate; moto's accounting alone failed such a RunTask.
    td = world.ecs.register_task_definition(
        family="migrate", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        containerDefinitions=[{"name": "migrate", "image": "busybox:1.36", "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    network = {"awsvpcConfiguration": {"subnets": world.subnets, "securityGroups": [world.security_group]}}
    started = world.ecs.run_task(cluster=world.cluster, taskDefinition=td, launchType="FARGATE", networkConfiguration=network)["tasks"]
    assert [t["lastStatus"] for t in started] == ["PROVISIONING"]
