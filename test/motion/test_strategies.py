"""Blue/green, canary and linear deployments: stages, listener rule weights, bake time, alarms,
lifecycle hooks and the service-deployment APIs."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from conftest import REGION, World


class Stack:
    """Two target groups behind one ALB listener: a production rule and a test rule, both
    forwarding to blue at weight 100 and green at 0, and a service released with `strategy`."""

    def __init__(self, world: World, strategy: str, *, desired: int = 2, **config: Any) -> None:
        self.world = world
        self.cw = boto3.client("cloudwatch", region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test")
        elbv2 = world.elbv2
        lb = elbv2.create_load_balancer(Name="web", Subnets=world.subnets, Scheme="internal", Type="application")["LoadBalancers"][0]
        self.blue, self.green = (
            elbv2.create_target_group(Name=n, Protocol="HTTP", Port=80, VpcId=world.vpc, TargetType="ip")["TargetGroups"][0]["TargetGroupArn"] for n in ("blue", "green")
        )
        listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])
        forward = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": self.blue, "Weight": 100}, {"TargetGroupArn": self.green, "Weight": 0}]}}]
        self.production, self.test = (
            elbv2.create_rule(ListenerArn=listener["Listeners"][0]["ListenerArn"], Priority=p, Conditions=c, Actions=forward)["Rules"][0]["RuleArn"]
            for p, c in ((10, [{"Field": "path-pattern", "Values": ["/*"]}]), (5, [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "x-test", "Values": ["1"]}}]))
        )
        self.cw.put_metric_alarm(AlarmName="web-5xx", MetricName="HTTPCode_Target_5XX_Count", Namespace="AWS/ApplicationELB", Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
        self.td1 = world.task_definition("web")
        self.td2 = world.task_definition("web", "httpd:2.5")
        advanced = {"alternateTargetGroupArn": self.green, "productionListenerRule": self.production, "testListenerRule": self.test, "roleArn": "arn:aws:iam::123456789012:role/ecs-elb"}
        deployment_configuration = {"strategy": strategy, "bakeTimeInMinutes": 1, "alarms": {"alarmNames": ["web-5xx"], "enable": True, "rollback": True}, **config}
        world.create_service("web", self.td1, desired, config=deployment_configuration, loadBalancers=[{"targetGroupArn": self.blue, "containerName": "web", "containerPort": 80, "advancedConfiguration": advanced}])
        world.until("first deployment completed", lambda: self.service()["deployments"][0]["rolloutState"] == "COMPLETED")

    def service(self) -> dict[str, Any]:
        return self.world.service("web")

    def weights(self, rule: str) -> dict[str, int]:
        actions = self.world.elbv2.describe_rules(RuleArns=[rule])["Rules"][0]["Actions"]
        return {tg["TargetGroupArn"]: tg["Weight"] for tg in actions[0]["ForwardConfig"]["TargetGroups"]}

    def healthy(self, tg: str) -> int:
        return sum(1 for d in self.world.elbv2.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"] if d["TargetHealth"]["State"] == "healthy")

    def release(self) -> str:
        self.world.ecs.update_service(cluster=self.world.cluster, service="web", taskDefinition=self.td2)
        return self.deployment()["serviceDeploymentArn"]

    def deployment(self, arn: str | None = None) -> dict[str, Any]:
        if arn is None:
            arn = self.world.ecs.list_service_deployments(cluster=self.world.cluster, service="web")["serviceDeployments"][0]["serviceDeploymentArn"]
        return self.world.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]

    def watch(self, arn: str, limit: int = 400) -> list[tuple[str, float, dict[str, int]]]:
        """Ticks until the service deployment is over; returns (stage, production %, weights) at each change."""
        seen: list[tuple[str, float, dict[str, int]]] = []

        def note() -> None:
            d = self.deployment(arn)
            now = (d.get("lifecycleStage", ""), d["targetServiceRevision"]["requestedProductionTrafficWeight"], self.weights(self.production))
            if not seen or seen[-1] != now:
                seen.append(now)

        note()
        self.world.until("the service deployment over", lambda: self.deployment(arn)["status"] not in ("IN_PROGRESS", "ROLLBACK_IN_PROGRESS"), limit=limit, each=note)
        return seen


def test_first_deployment_puts_production_traffic_on_the_primary_target_group(world: World) -> None:
    stack = Stack(world, "BLUE_GREEN")
    assert stack.weights(stack.production) == {stack.blue: 100, stack.green: 0}
    assert stack.healthy(stack.blue) == 2 and stack.healthy(stack.green) == 0
    [listed] = world.ecs.list_service_deployments(cluster=world.cluster, service="web")["serviceDeployments"]
    assert listed["status"] == "SUCCESSFUL"


def test_blue_green_moves_through_its_stages_and_swaps_the_target_groups(world: World) -> None:
    world.engine.settings.set_pace("123456789012", {"tickMs": 0, "minuteTicks": 5})
    stack = Stack(world, "BLUE_GREEN")
    arn = stack.release()
    seen = stack.watch(arn)
    stages = list(dict.fromkeys(s for s, _, _ in seen))
    assert stages == [
        "PRE_SCALE_UP",
        "SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRE_PRODUCTION_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
        "BAKE_TIME",
        "CLEAN_UP",
    ]
    # All at once: production goes from 0 to 100 in one step.
    assert sorted({p for _, p, _ in seen}) == [0.0, 100.0]
    done = stack.deployment(arn)
    assert done["status"] == "SUCCESSFUL"
    assert stack.weights(stack.production) == {stack.blue: 0, stack.green: 100}
    assert stack.weights(stack.test) == {stack.blue: 0, stack.green: 100}
    # Blue drained; the service now calls green its primary target group, blue the alternate.
    world.until("blue drained", lambda: stack.healthy(stack.blue) == 0 and not world.elbv2.describe_target_health(TargetGroupArn=stack.blue)["TargetHealthDescriptions"])
    assert stack.healthy(stack.green) == 2
    [lb] = stack.service()["loadBalancers"]
    assert (lb["targetGroupArn"], lb["advancedConfiguration"]["alternateTargetGroupArn"]) == (stack.green, stack.blue)
    assert [d["taskDefinition"] for d in stack.service()["deployments"]] == [stack.td2]


def test_bake_time_is_minutes_of_minute_ticks(world: World) -> None:
    world.engine.settings.set_pace("123456789012", {"tickMs": 0, "minuteTicks": 7})
    stack = Stack(world, "BLUE_GREEN", bakeTimeInMinutes=3)
    arn = stack.release()
    world.until("baking", lambda: stack.deployment(arn).get("lifecycleStage") == "BAKE_TIME")
    ticks = world.until("baked", lambda: stack.deployment(arn).get("lifecycleStage") != "BAKE_TIME")
    assert 3 * 7 <= ticks <= 3 * 7 + 2


def test_canary_shifts_its_percent_then_the_rest_after_its_bake(world: World) -> None:
    world.engine.settings.set_pace("123456789012", {"tickMs": 0, "minuteTicks": 3})
    stack = Stack(world, "CANARY", canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 2})
    arn = stack.release()
    seen = stack.watch(arn)
    assert [p for p in dict.fromkeys(p for _, p, _ in seen)] == [0.0, 10.0, 100.0]
    assert {stack.blue: 90, stack.green: 10} in [w for _, _, w in seen]
    assert stack.deployment(arn)["status"] == "SUCCESSFUL"


def test_linear_shifts_in_equal_steps(world: World) -> None:
    world.engine.settings.set_pace("123456789012", {"tickMs": 0, "minuteTicks": 2})
    stack = Stack(world, "LINEAR", linearConfiguration={"stepPercent": 25.0, "stepBakeTimeInMinutes": 1})
    arn = stack.release()
    seen = stack.watch(arn)
    assert [p for p in dict.fromkeys(p for _, p, _ in seen)] == [0.0, 25.0, 50.0, 75.0, 100.0]
    assert stack.deployment(arn)["status"] == "SUCCESSFUL"


def test_an_alarm_in_alarm_rolls_a_canary_back(world: World) -> None:
    world.engine.settings.set_pace("123456789012", {"tickMs": 0, "minuteTicks": 5})
    stack = Stack(world, "CANARY", canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5})
    arn = stack.release()
    world.until("canary traffic", lambda: stack.weights(stack.production) == {stack.blue: 90, stack.green: 10})
    stack.cw.set_alarm_state(AlarmName="web-5xx", StateValue="ALARM", StateReason="5xx")
    stack.watch(arn)
    d = stack.deployment(arn)
    assert d["status"] == "ROLLBACK_SUCCESSFUL"
    assert d["alarms"]["triggeredAlarmNames"] == ["web-5xx"]
    assert "web-5xx" in d["rollback"]["reason"]
    assert stack.weights(stack.production) == {stack.blue: 100, stack.green: 0}
    assert stack.weights(stack.test) == {stack.blue: 100, stack.green: 0}
    service = stack.service()
    assert service["taskDefinition"] == stack.td1
    assert any("deployment failed: alarm(s) web-5xx in ALARM state" in e["message"] for e in service["events"])
    world.until("green drained", lambda: not world.elbv2.describe_target_health(TargetGroupArn=stack.green)["TargetHealthDescriptions"])
    assert {t["taskDefinitionArn"] for t in world.tasks("web")} == {stack.td1}
    # The service keeps blue as its primary target group.
    assert service["loadBalancers"][0]["targetGroupArn"] == stack.blue


def test_a_pause_hook_waits_for_continue_service_deployment(world: World) -> None:
    hook = {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "timeoutConfiguration": {"timeoutInMinutes": 100, "action": "ROLLBACK"}}
    stack = Stack(world, "BLUE_GREEN", lifecycleHooks=[hook])
    arn = stack.release()
    world.until("paused", lambda: any(h["status"] == "AWAITING_ACTION" for h in stack.deployment(arn).get("lifecycleHookDetails", [])))
    world.tick(20)
    paused = stack.deployment(arn)
    assert paused["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT"
    assert stack.weights(stack.production) == {stack.blue: 100, stack.green: 0}
    [detail] = paused["lifecycleHookDetails"]
    world.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=detail["hookId"], action="CONTINUE")
    with pytest.raises(world.ecs.exceptions.InvalidParameterException):
        world.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=detail["hookId"], action="CONTINUE")
    stack.watch(arn)
    assert stack.deployment(arn)["status"] == "SUCCESSFUL"


def test_a_pause_hook_answered_with_rollback_rolls_back(world: World) -> None:
    hook = {"targetType": "PAUSE", "lifecycleStages": ["POST_SCALE_UP"]}
    stack = Stack(world, "BLUE_GREEN", lifecycleHooks=[hook])
    arn = stack.release()
    world.until("paused", lambda: any(h["status"] == "AWAITING_ACTION" for h in stack.deployment(arn).get("lifecycleHookDetails", [])))
    [detail] = stack.deployment(arn)["lifecycleHookDetails"]
    world.ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=detail["hookId"], action="ROLLBACK")
    stack.watch(arn)
    assert stack.deployment(arn)["status"] == "ROLLBACK_SUCCESSFUL"
    assert stack.service()["taskDefinition"] == stack.td1


def test_stop_service_deployment_rolls_back(world: World) -> None:
    world.engine.settings.set_pace("123456789012", {"tickMs": 0, "minuteTicks": 50})
    stack = Stack(world, "BLUE_GREEN")
    arn = stack.release()
    world.until("baking", lambda: stack.deployment(arn).get("lifecycleStage") == "BAKE_TIME")
    assert stack.weights(stack.production) == {stack.blue: 0, stack.green: 100}
    world.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    stack.watch(arn)
    assert stack.deployment(arn)["status"] == "ROLLBACK_SUCCESSFUL"
    assert stack.weights(stack.production) == {stack.blue: 100, stack.green: 0}
    with pytest.raises(world.ecs.exceptions.InvalidParameterException):
        world.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")


def test_rolling_deployments_are_listed_too(world: World) -> None:
    td1 = world.task_definition("app")
    td2 = world.task_definition("app", "httpd:2.5")
    world.create_service("app", td1, 2)
    world.until("steady", lambda: world.service("app")["deployments"][0]["rolloutState"] == "COMPLETED")
    world.ecs.update_service(cluster=world.cluster, service="app", taskDefinition=td2)
    listed = world.ecs.list_service_deployments(cluster=world.cluster, service="app")["serviceDeployments"]
    assert [d["status"] for d in listed] == ["IN_PROGRESS", "SUCCESSFUL"]
    world.until("rolled", lambda: world.service("app")["deployments"][0]["rolloutState"] == "COMPLETED")
    d = world.ecs.describe_service_deployments(serviceDeploymentArns=[listed[0]["serviceDeploymentArn"], "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/app/nope"])
    assert d["serviceDeployments"][0]["status"] == "SUCCESSFUL"
    assert "lifecycleStage" not in d["serviceDeployments"][0]
    assert d["failures"] == [{"arn": "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/app/nope", "reason": "MISSING"}]
    assert world.ecs.list_service_deployments(cluster=world.cluster, service="app", status=["SUCCESSFUL"], maxResults=1)["nextToken"] == "1"
