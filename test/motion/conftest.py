"""The ecs_motion layer in-process: moto's decorator mocks boto3, the layer wraps moto's models, and
the clock is stopped (tickMs 0), so each test moves time itself, one tick at a time."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable

import boto3
import pytest
from moto import mock_aws

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "env"))

import ecs_motion  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"


class World:
    def __init__(self, engine: ecs_motion.Engine) -> None:
        self.engine = engine
        session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
        self.ecs = session.client("ecs")
        self.elbv2 = session.client("elbv2")
        self.ec2 = session.client("ec2")
        self.sd = session.client("servicediscovery")
        self.cluster = "main"
        self.ecs.create_cluster(clusterName=self.cluster)
        vpc = self.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        self.vpc = vpc
        self.subnets = [s["SubnetId"] for s in self.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
        self.security_group = self.ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]

    def tick(self, n: int = 1) -> None:
        self.engine.tick(ACCOUNT, n)

    def task_definition(self, family: str, image: str = "httpd:2.4", *, awsvpc: bool = True, memory: int = 512, containers: list[dict[str, Any]] | None = None) -> str:
        defs = containers or [{"name": "web", "image": image, "memory": memory, "essential": True, "portMappings": [{"containerPort": 80}]}]
        kwargs: dict[str, Any] = {"family": family, "containerDefinitions": defs}
        if awsvpc:
            kwargs.update(networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512")
        return self.ecs.register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"]

    def create_service(self, name: str, task_definition: str, desired: int, *, launch_type: str = "FARGATE", config: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"cluster": self.cluster, "serviceName": name, "taskDefinition": task_definition, "desiredCount": desired, "launchType": launch_type, **extra}
        if launch_type == "FARGATE":
            kwargs["networkConfiguration"] = {"awsvpcConfiguration": {"subnets": self.subnets, "securityGroups": [self.security_group]}}
        if config is not None:
            kwargs["deploymentConfiguration"] = config
        return self.ecs.create_service(**kwargs)["service"]

    def service(self, name: str) -> dict[str, Any]:
        return self.ecs.describe_services(cluster=self.cluster, services=[name])["services"][0]

    def tasks(self, name: str | None = None, desired: str = "RUNNING") -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {"cluster": self.cluster, "desiredStatus": desired}
        if name is not None:
            kwargs["serviceName"] = name
        arns = self.ecs.list_tasks(**kwargs)["taskArns"]
        return self.ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"] if arns else []

    def until(self, what: str, done: Callable[[], bool], limit: int = 200, each: Callable[[], None] | None = None) -> int:
        """Ticks until `done`; returns how many ticks it took."""
        for n in range(limit):
            if done():
                return n
            self.tick()
            if each is not None:
                each()
        raise AssertionError(f"not {what} after {limit} ticks")

    def history(self, name: str) -> list[dict[str, Any]]:
        return ecs_motion.control.history(ACCOUNT, REGION, self.cluster, name)

    def container_instance(self) -> str:
        instance = self.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        document = json.dumps({"instanceId": instance})
        return self.ecs.register_container_instance(cluster=self.cluster, instanceIdentityDocument=document)["containerInstance"]["containerInstanceArn"]


@pytest.fixture(scope="session")
def engine() -> ecs_motion.Engine:
    return ecs_motion.install()


@pytest.fixture
def world(engine: ecs_motion.Engine) -> Any:
    with mock_aws():
        engine.settings.reset(ACCOUNT)
        engine.settings.set_pace(ACCOUNT, {"tickMs": 0})
        try:
            yield World(engine)
        finally:
            engine.clear()
            assert engine.errors == [], "\n".join(engine.errors)
