import { randomInt } from "node:crypto";
import { createAwsClients, type AwsClients } from "../../src/aws/clients.js";
import type { StackInfo } from "./stack.js";

/**
 * A fresh 12-digit account id per test: the proxy turns a 12-digit access key into moto's
 * `x-moto-account-id`, so parallel tests never see each other's AWS resources or call counts.
 */
export function uniqueAccountId(): string {
  return `9${String(randomInt(0, 1e11)).padStart(11, "0")}`;
}

export function testAwsClients(stack: StackInfo, accountId: string, maxAttempts?: number): AwsClients {
  return createAwsClients({
    region: stack.region,
    endpoint: stack.awsEndpoint,
    credentials: { accessKeyId: accountId, secretAccessKey: "test" },
    ...(maxAttempts ? { maxAttempts } : {}),
  });
}

/**
 * The id of an account's default VPC in moto, which CreateTargetGroup validates VpcId against.
 * There is no EC2 SDK client in the project, so this asks EC2's query API directly, bypassing
 * the counting proxy: it is test set-up, not the operator's traffic.
 */
export async function defaultVpc(stack: StackInfo, accountId: string): Promise<string> {
  const vpcId = /<vpcId>([^<]+)<\/vpcId>/.exec(await ec2Query(stack, accountId, "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=is-default&Filter.1.Value.1=true"))?.[1];
  if (vpcId === undefined) throw new Error(`no default VPC in moto account ${accountId}`);
  return vpcId;
}

/** The subnets of a VPC in moto (one per availability zone in the default VPC), which CreateLoadBalancer needs; asked as defaultVpc is. */
export async function vpcSubnets(stack: StackInfo, accountId: string, vpcId: string): Promise<string[]> {
  const text = await ec2Query(stack, accountId, `Action=DescribeSubnets&Version=2016-11-15&Filter.1.Name=vpc-id&Filter.1.Value.1=${encodeURIComponent(vpcId)}`);
  const subnets = [...text.matchAll(/<subnetId>([^<]+)<\/subnetId>/g)].flatMap((m) => (m[1] === undefined ? [] : [m[1]]));
  if (subnets.length === 0) throw new Error(`no subnets in ${vpcId} in moto account ${accountId}`);
  return subnets;
}

async function ec2Query(stack: StackInfo, accountId: string, body: string): Promise<string> {
  const res = await fetch(stack.motoUrl, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-moto-account-id": accountId,
      authorization: `AWS4-HMAC-SHA256 Credential=${accountId}/20250101/${stack.region}/ec2/aws4_request, SignedHeaders=host, Signature=x`,
    },
    body,
  });
  return res.text();
}

/** The id of the default security group of a VPC in moto (ECS validates awsvpc security groups). */
export async function defaultSecurityGroup(stack: StackInfo, accountId: string, vpcId: string): Promise<string> {
  const xml = await ec2Query(stack, accountId, `Action=DescribeSecurityGroups&Version=2016-11-15&Filter.1.Name=vpc-id&Filter.1.Value.1=${vpcId}&Filter.2.Name=group-name&Filter.2.Value.1=default`);
  const groupId = /<groupId>([^<]+)<\/groupId>/.exec(xml)?.[1];
  if (groupId === undefined) throw new Error(`no default security group in ${vpcId}`);
  return groupId;
}

/**
 * Starts an EC2 instance in moto (to register as an ECS container instance), asked as defaultVpc
 * is: test set-up, not the operator's traffic. moto accepts any AMI id it knows; this one is in
 * its default list.
 */
export async function runEc2Instance(stack: StackInfo, accountId: string): Promise<string> {
  const xml = await ec2Query(stack, accountId, "Action=RunInstances&Version=2016-11-15&ImageId=ami-12c6146b&MinCount=1&MaxCount=1&InstanceType=m5.xlarge");
  const instanceId = /<instanceId>([^<]+)<\/instanceId>/.exec(xml)?.[1];
  if (instanceId === undefined) throw new Error(`RunInstances in moto account ${accountId} failed: ${xml.slice(0, 300)}`);
  return instanceId;
}

/**
 * A CloudWatch alarm in moto, and its state set by hand (SetAlarmState), for deployment alarms.
 * The project has no CloudWatch client: CloudWatch's query API is asked directly, bypassing the
 * counting proxy, as test set-up (the operator never calls CloudWatch; ECS reads the alarms).
 */
export async function cloudWatchAlarm(stack: StackInfo, accountId: string, name: string, state?: "OK" | "ALARM"): Promise<void> {
  const body = new URLSearchParams(
    state === undefined
      ? { Action: "PutMetricAlarm", AlarmName: name, MetricName: "HTTPCode_Target_5XX_Count", Namespace: "AWS/ApplicationELB", Statistic: "Sum", Period: "60", EvaluationPeriods: "1", Threshold: "1", ComparisonOperator: "GreaterThanThreshold" }
      : { Action: "SetAlarmState", AlarmName: name, StateValue: state, StateReason: "set by the test" },
  );
  body.set("Version", "2010-08-01");
  const res = await fetch(stack.motoUrl, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-moto-account-id": accountId,
      authorization: `AWS4-HMAC-SHA256 Credential=${accountId}/20250101/${stack.region}/monitoring/aws4_request, SignedHeaders=host, Signature=x`,
    },
    body: body.toString(),
  });
  if (!res.ok) throw new Error(`CloudWatch ${body.get("Action") ?? ""} failed in moto account ${accountId}: ${await res.text()}`);
}

/** One query-protocol call to a service of moto, signed for that service, bypassing the counting proxy (test set-up). */
async function motoQuery(stack: StackInfo, accountId: string, service: string, body: string): Promise<string> {
  const res = await fetch(stack.motoUrl, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-moto-account-id": accountId,
      authorization: `AWS4-HMAC-SHA256 Credential=${accountId}/20250101/${stack.region}/${service}/aws4_request, SignedHeaders=host, Signature=x`,
    },
    body,
  });
  return res.text();
}

/**
 * An EC2 Auto Scaling group in moto with `size` running instances across two availability zones,
 * made through Auto Scaling's query API as test set-up (the project has no Auto Scaling client:
 * the operator never calls it). Returns the group's ARN, what a capacity provider names, and its
 * instances, which the test registers as container instances as their ECS agent would.
 */
export async function autoScalingGroup(stack: StackInfo, accountId: string, name: string, size: number): Promise<{ arn: string; instanceIds: string[] }> {
  const q = (body: string) => motoQuery(stack, accountId, "autoscaling", `${body}&Version=2011-01-01`);
  await q(`Action=CreateLaunchConfiguration&LaunchConfigurationName=${name}&ImageId=ami-12c6146b&InstanceType=m5.xlarge`);
  const zones = [`${stack.region}a`, `${stack.region}b`].map((z, i) => `AvailabilityZones.member.${String(i + 1)}=${z}`).join("&");
  await q(`Action=CreateAutoScalingGroup&AutoScalingGroupName=${name}&LaunchConfigurationName=${name}&MinSize=${String(size)}&MaxSize=${String(size)}&DesiredCapacity=${String(size)}&${zones}`);
  const xml = await q(`Action=DescribeAutoScalingGroups&AutoScalingGroupNames.member.1=${name}`);
  const arn = /<AutoScalingGroupARN>([^<]+)<\/AutoScalingGroupARN>/.exec(xml)?.[1];
  const instanceIds = [...xml.matchAll(/<InstanceId>([^<]+)<\/InstanceId>/g)].flatMap((m) => (m[1] === undefined ? [] : [m[1]]));
  if (arn === undefined || instanceIds.length !== size) throw new Error(`CreateAutoScalingGroup in moto account ${accountId} failed: ${xml.slice(0, 300)}`);
  return { arn, instanceIds };
}
