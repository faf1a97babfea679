"""Service Connect, EBS volumes configured at launch and VPC Lattice: moto's CreateService drops
them; the layer keeps them and reports them where ECS does, on each deployment (DescribeServices
has no top-level copy), so that a drift check reads the truth. A change of any deploys anew.
availabilityZoneRebalancing is a top-level field, ENABLED by default for a new service."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import World

ROLE = "arn:aws:iam::123456789012:role/ecsInfrastructureRole"


def namespace(world: World, name: str = "apps.local") -> str:
    op = world.sd.create_http_namespace(Name=name)["OperationId"]
    ns_id = world.sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    return world.sd.get_namespace(Id=ns_id)["Namespace"]["Arn"]


def connect(ns: str | None, port: int = 8080) -> dict:
    c = {"enabled": True, "services": [{"portName": "http", "clientAliases": [{"port": port, "dnsName": "api"}]}]}
    return {**c, "namespace": ns} if ns else c


def test_service_connect_is_reported_on_the_deployment_and_a_change_deploys_anew(world: World) -> None:
    ns = namespace(world)
    td = world.task_definition("api")
    world.create_service("api", td, 1, serviceConnectConfiguration=connect(ns))
    s = world.service("api")
    assert "serviceConnectConfiguration" not in s
    [first] = s["deployments"]
    assert first["serviceConnectConfiguration"] == connect(ns)
    world.until("completed", lambda: world.service("api")["deployments"][0]["rolloutState"] == "COMPLETED")

    world.ecs.update_service(cluster=world.cluster, service="api", serviceConnectConfiguration=connect(ns, 9090))
    s = world.service("api")
    primary, previous = s["deployments"]
    assert (primary["status"], previous["status"], previous["id"]) == ("PRIMARY", "ACTIVE", first["id"])
    assert primary["serviceConnectConfiguration"]["services"][0]["clientAliases"] == [{"port": 9090, "dnsName": "api"}]
    assert previous["serviceConnectConfiguration"] == connect(ns)
    world.until("rolled", lambda: len(world.service("api")["deployments"]) == 1)
    assert world.service("api")["deployments"][0]["id"] == primary["id"]

    # An UpdateService that changes none of them (desiredCount) does not deploy.
    world.ecs.update_service(cluster=world.cluster, service="api", desiredCount=2)
    assert [d["id"] for d in world.service("api")["deployments"]] == [primary["id"]]


def test_a_service_without_namespace_gets_the_clusters_default_and_none_is_refused(world: World) -> None:
    td = world.task_definition("api")
    with pytest.raises(ClientError, match="namespace"):
        world.create_service("api", td, 1, serviceConnectConfiguration=connect(None))
    ns = namespace(world)
    world.ecs.update_cluster(cluster=world.cluster, serviceConnectDefaults={"namespace": ns})
    assert world.ecs.describe_clusters(clusters=[world.cluster])["clusters"][0]["serviceConnectDefaults"] == {"namespace": ns}
    world.create_service("api", td, 1, serviceConnectConfiguration=connect(None))
    assert world.service("api")["deployments"][0]["serviceConnectConfiguration"]["namespace"] == ns


def test_ebs_volume_and_vpc_lattice_configurations_are_per_deployment_and_a_change_deploys_anew(world: World) -> None:
    td = world.task_definition("db")
    volume = {"name": "data", "managedEBSVolume": {"roleArn": ROLE, "sizeInGiB": 20, "volumeType": "gp3", "tagSpecifications": [{"resourceType": "volume", "tags": [{"key": "team", "value": "a"}]}]}}
    lattice = {"roleArn": ROLE, "targetGroupArn": "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-1", "portName": "http"}
    world.create_service("db", td, 1, volumeConfigurations=[volume], vpcLatticeConfigurations=[lattice])
    s = world.service("db")
    assert "volumeConfigurations" not in s and "vpcLatticeConfigurations" not in s
    assert s["deployments"][0]["volumeConfigurations"] == [volume]
    assert s["deployments"][0]["vpcLatticeConfigurations"] == [lattice]
    world.until("completed", lambda: world.service("db")["deployments"][0]["rolloutState"] == "COMPLETED")

    bigger = {**volume, "managedEBSVolume": {**volume["managedEBSVolume"], "sizeInGiB": 40}}
    world.ecs.update_service(cluster=world.cluster, service="db", volumeConfigurations=[bigger])
    primary, previous = world.service("db")["deployments"]
    assert primary["volumeConfigurations"] == [bigger] and previous["volumeConfigurations"] == [volume]
    # What UpdateService leaves out stays as it was.
    assert primary["vpcLatticeConfigurations"] == [lattice]


def test_availability_zone_rebalancing_defaults_to_enabled_and_changes_without_deploying(world: World) -> None:
    td = world.task_definition("web")
    world.create_service("web", td, 1)
    s = world.service("web")
    assert s["availabilityZoneRebalancing"] == "ENABLED"
    assert "serviceConnectConfiguration" not in s["deployments"][0]
    world.create_service("web2", td, 1, availabilityZoneRebalancing="DISABLED")
    assert world.service("web2")["availabilityZoneRebalancing"] == "DISABLED"
    before = [d["id"] for d in s["deployments"]]
    world.ecs.update_service(cluster=world.cluster, service="web", availabilityZoneRebalancing="DISABLED")
    s = world.service("web")
    assert s["availabilityZoneRebalancing"] == "DISABLED"
    assert [d["id"] for d in s["deployments"]] == before
