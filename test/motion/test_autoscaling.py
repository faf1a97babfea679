"""Application Auto Scaling where moto stops short: tags on scalable targets, deregistration that
takes policies and scheduled actions with it, and scalings with their activities."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import ACCOUNT, REGION, World

import ecs_motion
from ecs_motion import autoscaling

DIMENSION = "ecs:service:DesiredCount"


def aas() -> object:
    return boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION).client("application-autoscaling")


def register(client: object, resource_id: str, **extra: object) -> str:
    return client.register_scalable_target(ServiceNamespace="ecs", ResourceId=resource_id, ScalableDimension=DIMENSION, MinCapacity=1, MaxCapacity=4, **extra)["ScalableTargetARN"]  # type: ignore[attr-defined]


def test_tags_a_target_on_registration_only_and_with_the_tag_calls(world: World) -> None:
    world.create_service("web", world.task_definition("web"), 1)
    client = aas()
    arn = register(client, "service/main/web", Tags={"owner": "a"})
    assert client.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"owner": "a"}  # type: ignore[attr-defined]
    # Registering again updates the limits, not the tags (TagResource does that).
    assert register(client, "service/main/web", Tags={"owner": "b"}) == arn
    assert client.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"owner": "a"}  # type: ignore[attr-defined]
    client.tag_resource(ResourceARN=arn, Tags={"team": "x", "owner": "c"})  # type: ignore[attr-defined]
    client.untag_resource(ResourceARN=arn, TagKeys=["owner"])  # type: ignore[attr-defined]
    assert client.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"team": "x"}  # type: ignore[attr-defined]
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        client.list_tags_for_resource(ResourceARN=arn.rsplit("/", 1)[0] + "/nosuchtarget")  # type: ignore[attr-defined]


def test_deregistering_a_target_deletes_its_policies_and_scheduled_actions_only(world: World) -> None:
    td = world.task_definition("web")
    world.create_service("web", td, 1)
    world.create_service("api", td, 1)
    client = aas()
    for resource_id in ("service/main/web", "service/main/api"):
        register(client, resource_id)
        client.put_scaling_policy(  # type: ignore[attr-defined]
            PolicyName="cpu",
            ServiceNamespace="ecs",
            ResourceId=resource_id,
            ScalableDimension=DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={"TargetValue": 50, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}},
        )
        client.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="night", ResourceId=resource_id, ScalableDimension=DIMENSION, Schedule="cron(0 22 * * ? *)", ScalableTargetAction={"MaxCapacity": 1})  # type: ignore[attr-defined]
    client.deregister_scalable_target(ServiceNamespace="ecs", ResourceId="service/main/web", ScalableDimension=DIMENSION)  # type: ignore[attr-defined]
    policies = client.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]  # type: ignore[attr-defined]
    actions = client.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"]  # type: ignore[attr-defined]
    assert [p["ResourceId"] for p in policies] == ["service/main/api"]
    assert [a["ResourceId"] for a in actions] == ["service/main/api"]


def test_a_scaling_moves_the_count_within_the_limits_tasks_follow_and_an_activity_says_so(world: World) -> None:
    world.create_service("web", world.task_definition("web"), 1)
    client = aas()
    register(client, "service/main/web")
    world.until("one running", lambda: world.service("web")["runningCount"] == 1)

    # Asked for 9, held to maxCapacity 4.
    assert autoscaling.scale(ACCOUNT, REGION, "service/main/web", 9)["desiredCount"] == 4
    assert world.service("web")["desiredCount"] == 4
    world.until("four running", lambda: world.service("web")["runningCount"] == 4)
    autoscaling.scale(ACCOUNT, REGION, "service/main/web", 2, cause="scheduled action night")

    activities = client.describe_scaling_activities(ServiceNamespace="ecs", ResourceId="service/main/web")["ScalingActivities"]  # type: ignore[attr-defined]
    assert [(a["Description"], a["StatusCode"]) for a in activities] == [("Setting desired count to 2.", "Successful"), ("Setting desired count to 4.", "Successful")]
    assert activities[0]["Cause"] == "scheduled action night"
    assert client.describe_scaling_activities(ServiceNamespace="ecs", ResourceId="service/main/api")["ScalingActivities"] == []  # type: ignore[attr-defined]
    assert len(client.describe_scaling_activities(ServiceNamespace="ecs", ResourceId="service/main/web", MaxResults=1)["ScalingActivities"]) == 1  # type: ignore[attr-defined]
    with pytest.raises(KeyError, match="no scalable target"):
        autoscaling.scale(ACCOUNT, REGION, "service/main/none", 1)


def test_the_moto_internals_it_relies_on_are_there() -> None:
    assert autoscaling.problems() == []
    assert ecs_motion.autoscaling is autoscaling
