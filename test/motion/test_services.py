"""A service's tasks: started towards desiredCount, reported alike by every API, stopped when surplus."""

from __future__ import annotations

from conftest import World


def test_starts_tasks_pending_then_running_and_completes_its_deployment(world: World) -> None:
    td = world.task_definition("web")
    created = world.create_service("web", td, 2)
    assert created["runningCount"] == 0
    # ECS's defaults, which moto's CreateService would not report.
    assert created["deploymentConfiguration"] == {"maximumPercent": 200, "minimumHealthyPercent": 100, "deploymentCircuitBreaker": {"enable": False, "rollback": False}}
    assert [d["rolloutState"] for d in created["deployments"]] == ["IN_PROGRESS"]

    world.tick()
    s = world.service("web")
    assert (s["runningCount"], s["pendingCount"]) == (0, 2)
    assert s["deployments"][0]["pendingCount"] == 2
    assert {t["lastStatus"] for t in world.tasks("web")} == {"PROVISIONING"}

    world.until("running", lambda: world.service("web")["runningCount"] == 2)
    s = world.service("web")
    deployment = s["deployments"][0]
    assert (s["pendingCount"], deployment["status"], deployment["rolloutState"]) == (0, "PRIMARY", "COMPLETED")
    assert deployment["rolloutStateReason"] == f"ECS deployment {deployment['id']} completed."
    messages = [e["message"] for e in s["events"]]
    assert messages[0] == "(service web) has reached a steady state."
    assert messages[1] == f"(service web) (deployment {deployment['id']}) deployment completed."
    assert messages[2].startswith("(service web) has started 2 tasks: (task ")

    tasks = world.tasks("web")
    assert len(tasks) == 2
    for t in tasks:
        assert (t["lastStatus"], t["desiredStatus"], t["taskDefinitionArn"]) == ("RUNNING", "RUNNING", td)
        assert (t["group"], t["startedBy"]) == ("service:web", deployment["id"])
        ip = t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
        assert ip in [d["value"] for d in t["attachments"][0]["details"] if d["name"] == "privateIPv4Address"]
        assert "exitCode" not in t["containers"][0]
    # One task per subnet: ECS spreads a service over them.
    assert len({t["availabilityZone"] for t in tasks}) == 2
    cluster = world.ecs.describe_clusters(clusters=[world.cluster])["clusters"][0]
    assert (cluster["runningTasksCount"], cluster["pendingTasksCount"], cluster["activeServicesCount"]) == (2, 0, 1)


def test_describe_tasks_does_not_move_tasks_on(world: World) -> None:
    world.create_service("web", world.task_definition("web"), 1)
    world.until("running", lambda: world.service("web")["runningCount"] == 1)
    for _ in range(5):
        assert [t["lastStatus"] for t in world.tasks("web")] == ["RUNNING"]


def test_a_desired_count_changed_by_someone_else_stops_the_surplus(world: World) -> None:
    world.create_service("web", world.task_definition("web"), 3)
    world.until("running", lambda: world.service("web")["runningCount"] == 3)
    deployment = world.service("web")["deployments"][0]["id"]
    # As Application Auto Scaling would: a plain UpdateService of desiredCount.
    world.ecs.update_service(cluster=world.cluster, service="web", desiredCount=1)
    s = world.service("web")
    assert (s["desiredCount"], s["runningCount"], len(s["deployments"])) == (1, 3, 1)
    world.tick()
    assert world.service("web")["runningCount"] == 1
    world.until("stopped", lambda: len(world.tasks("web", "STOPPED")) == 2 and all(t["lastStatus"] == "STOPPED" for t in world.tasks("web", "STOPPED")))
    for t in world.tasks("web", "STOPPED"):
        assert (t["stopCode"], t["stoppedReason"]) == ("ServiceSchedulerInitiated", f"Scaling activity initiated by (deployment {deployment})")
    s = world.service("web")
    assert s["events"][0]["message"] == "(service web) has reached a steady state."
    assert any(e["message"].startswith("(service web) has stopped 2 running tasks: ") for e in s["events"])
    assert s["deployments"][0]["rolloutState"] == "COMPLETED"


def test_a_stopped_task_is_replaced(world: World) -> None:
    world.create_service("web", world.task_definition("web"), 1)
    world.until("running", lambda: world.service("web")["runningCount"] == 1)
    first = world.tasks("web")[0]["taskArn"]
    stopped = world.ecs.stop_task(cluster=world.cluster, task=first, reason="testing")["task"]
    assert (stopped["desiredStatus"], stopped["stopCode"], stopped["stoppedReason"]) == ("STOPPED", "UserInitiated", "testing")
    world.until("replaced", lambda: [t["taskArn"] for t in world.tasks("web") if t["lastStatus"] == "RUNNING"] not in ([], [first]))
    assert world.tasks("web", "STOPPED")[0]["taskArn"] == first


def test_list_tasks_filters_by_service_and_desired_status(world: World) -> None:
    td = world.task_definition("web")
    world.create_service("a", td, 1)
    world.create_service("b", td, 2)
    world.tick()
    assert len(world.tasks("a")) == 1 and len(world.tasks("b")) == 2 and len(world.tasks()) == 3
    assert world.tasks("a", "STOPPED") == []


def test_a_deleted_service_drains_then_is_inactive(world: World) -> None:
    world.create_service("web", world.task_definition("web"), 2)
    world.until("running", lambda: world.service("web")["runningCount"] == 2)
    world.ecs.update_service(cluster=world.cluster, service="web", desiredCount=0)
    assert world.ecs.delete_service(cluster=world.cluster, service="web")["service"]["status"] == "DRAINING"
    assert world.ecs.describe_clusters(clusters=[world.cluster])["clusters"][0]["activeServicesCount"] == 0
    world.until("inactive", lambda: world.service("web")["status"] == "INACTIVE")
    assert world.tasks("web") == []


def test_a_new_revision_rolls_and_completes_with_ecs_events(world: World) -> None:
    world.create_service("web", world.task_definition("web"), 2)
    world.until("completed", lambda: world.service("web")["deployments"][0]["rolloutState"] == "COMPLETED")
    old = world.service("web")["deployments"][0]["id"]
    td2 = world.task_definition("web", "httpd:2.5")
    # moto keeps `family:revision` as given; ECS answers with the ARN.
    world.ecs.update_service(cluster=world.cluster, service="web", taskDefinition="web:2")
    s = world.service("web")
    assert s["taskDefinition"] == td2
    assert [(d["status"], d["rolloutState"]) for d in s["deployments"]] == [("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED")]
    assert s["deployments"][1]["id"] == old
    new = s["deployments"][0]["id"]
    assert s["deployments"][0]["rolloutStateReason"] == f"ECS deployment {new} in progress."
    world.until("completed", lambda: world.service("web")["deployments"][0]["rolloutState"] == "COMPLETED")
    s = world.service("web")
    assert [d["id"] for d in s["deployments"]] == [new]
    assert {t["taskDefinitionArn"] for t in world.tasks("web")} == {td2}
    assert s["events"][1]["message"] == f"(service web) (deployment {new}) deployment completed."


def test_force_new_deployment_and_network_changes_deploy_desired_count_does_not(world: World) -> None:
    world.create_service("web", world.task_definition("web"), 1)
    world.until("completed", lambda: world.service("web")["deployments"][0]["rolloutState"] == "COMPLETED")
    world.ecs.update_service(cluster=world.cluster, service="web", desiredCount=2)
    assert len(world.service("web")["deployments"]) == 1
    world.ecs.update_service(cluster=world.cluster, service="web", forceNewDeployment=True)
    assert len(world.service("web")["deployments"]) == 2
    world.until("completed", lambda: len(world.service("web")["deployments"]) == 1)
    world.ecs.update_service(cluster=world.cluster, service="web", networkConfiguration={"awsvpcConfiguration": {"subnets": world.subnets[:1], "securityGroups": [world.security_group]}})
    assert len(world.service("web")["deployments"]) == 2


def test_a_daemon_service_runs_one_task_on_each_container_instance(world: World) -> None:
    # The DAEMON scheduler: no desiredCount given; one task per ACTIVE instance, following them.
    first, second = world.container_instance(), world.container_instance()
    td = world.task_definition("agent", awsvpc=False, memory=128)
    created = world.ecs.create_service(cluster=world.cluster, serviceName="agent", taskDefinition=td, launchType="EC2", schedulingStrategy="DAEMON")["service"]
    assert created["deploymentConfiguration"]["maximumPercent"] == 100 and created["deploymentConfiguration"]["minimumHealthyPercent"] == 0
    world.until("one task per instance", lambda: world.service("agent")["runningCount"] == 2 and world.service("agent")["deployments"][0]["rolloutState"] == "COMPLETED")
    assert world.service("agent")["desiredCount"] == 2
    assert sorted(t["containerInstanceArn"] for t in world.tasks("agent")) == sorted([first, second])

    # A third instance joins: a task starts on it; one is deregistered: its task stops.
    third = world.container_instance()
    world.until("a task on the new instance", lambda: world.service("agent")["runningCount"] == 3)
    assert sorted(t["containerInstanceArn"] for t in world.tasks("agent")) == sorted([first, second, third])
    world.ecs.deregister_container_instance(cluster=world.cluster, containerInstance=first, force=True)
    world.until("the task of the instance gone stopped", lambda: len(world.tasks("agent")) == 2)
    assert world.service("agent")["desiredCount"] == 2
    assert sorted(t["containerInstanceArn"] for t in world.tasks("agent")) == sorted([second, third])

    # A new revision replaces each instance's task in place, never two on one instance.
    td2 = world.task_definition("agent", image="httpd:2.5", awsvpc=False, memory=128)
    world.ecs.update_service(cluster=world.cluster, service="agent", taskDefinition=td2)

    def at_most_one_per_instance() -> None:
        live = [t["containerInstanceArn"] for t in world.tasks("agent")]
        assert len(live) == len(set(live)), live

    world.until(
        "rolled",
        lambda: len(world.service("agent")["deployments"]) == 1 and world.service("agent")["deployments"][0]["rolloutState"] == "COMPLETED" and world.service("agent")["runningCount"] == 2,
        each=at_most_one_per_instance,
    )
    assert {t["taskDefinitionArn"] for t in world.tasks("agent")} == {td2}
    assert sorted(t["containerInstanceArn"] for t in world.tasks("agent")) == sorted([second, third])

    # Deleted as it is (no scale-down first, unlike a REPLICA service); its tasks stop.
    world.ecs.delete_service(cluster=world.cluster, service="agent")
    world.until("its tasks stopped", lambda: world.tasks("agent") == [])


def test_a_service_spreads_its_tasks_over_the_instances(world: World) -> None:
    # Two tasks on two instances with room for both on either: one on each (ECS's default spreads).
    world.container_instance()
    world.container_instance()
    td = world.task_definition("app", awsvpc=False, memory=128)
    world.create_service("app", td, 2, launch_type="EC2")
    world.until("running", lambda: world.service("app")["runningCount"] == 2)
    assert len({t["containerInstanceArn"] for t in world.tasks("app")}) == 2
