// The bad-input corpus (test/fixtures/bad-input/*.yaml) and the table-driven suite that runs it,
// shared by the short test (test/integration) and the long one (test/reliability). Each file holds
// one bad thing, says so in a comment, and says what must happen in an `# expect:` line:
//   # expect: refused: <fragment of kubectl's error>
//   # expect: condition <Ready|Synced>=False <Reason>: <fragment of the condition's message>
// The last document is the bad one; documents before it are applied first and must be accepted
// (the object as created, for a change of an immutable field). `{namespace}` in a fragment stands
// for the test's namespace. A condition with reason InvalidSpec is terminal: the operator must
// not retry it until the spec changes.
import { CreateClusterCommand, RegisterTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { CreateTargetGroupCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { AwsProxyControl } from "./aws-proxy-control.js";
import { testAwsClients, uniqueAccountId } from "./aws.js";
import { operatorUnderChartRbac } from "./chart-rbac.js";
import { countByKind, kubectlOn, listObjects, PLURALS, prepareAccount, type Kind, type MotoIds } from "./fleet.js";
import { createTestNamespace, getObject, waitFor } from "./kube.js";
import type { OperatorProcess } from "./operator-process.js";
import { repoRoot } from "./paths.js";
import { createsByKind, report } from "./reliability.js";
import type { StackInfo } from "./stack.js";

export type Expectation =
  | { answer: "refused"; fragment: string }
  | { answer: "condition"; type: "Ready" | "Synced"; status: "True" | "False"; reason: string; fragment: string; terminal: boolean };

export interface BadInputCase {
  file: string;
  /** The comment that says what is wrong. */
  what: string;
  expect: Expectation;
  /** YAML documents applied before the bad one. */
  setup: string[];
  bad: string;
  kind: Kind;
  name: string;
  /**
   * Create calls that reach AWS for a terminal case: 1 when AWS itself refuses the input (the
   * default), 0 when the operator refuses it before any AWS write (`# creates: 0`).
   */
  creates: number;
}

export const CORPUS_DIR = join(repoRoot, "test/fixtures/bad-input");

export function loadBadInputCorpus(dir = CORPUS_DIR): BadInputCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), "utf8");
      const comments = text.split("\n").filter((l) => l.startsWith("#")).map((l) => l.replace(/^#\s?/, ""));
      const expectLine = comments.find((l) => l.startsWith("expect: "));
      const createsLine = comments.find((l) => l.startsWith("creates: "));
      if (!expectLine) throw new Error(`${file}: no "# expect:" line`);
      const docs = parseAllDocuments(text).map((d) => d.toString());
      const bad = docs.at(-1);
      if (bad === undefined) throw new Error(`${file}: no document`);
      const parsed = parseAllDocuments(bad)[0]?.toJS() as { kind?: string; metadata?: { name?: string } } | undefined;
      return {
        file,
        what: comments.filter((l) => !l.startsWith("expect: ") && !l.startsWith("creates: ")).join(" "),
        expect: parseExpectation(file, expectLine.slice("expect: ".length)),
        setup: docs.slice(0, -1),
        bad,
        kind: (parsed?.kind ?? "") as Kind,
        name: parsed?.metadata?.name ?? "",
        creates: createsLine === undefined ? 1 : Number(createsLine.slice("creates: ".length)),
      };
    });
}

function parseExpectation(file: string, text: string): Expectation {
  const refused = /^refused: (.+)$/.exec(text);
  if (refused?.[1]) return { answer: "refused", fragment: refused[1] };
  const condition = /^condition (Ready|Synced)=(True|False) (\w+): (.+)$/.exec(text);
  if (condition?.[1] && condition[2] && condition[3] && condition[4]) {
    return { answer: "condition", type: condition[1] as "Ready" | "Synced", status: condition[2] as "True" | "False", reason: condition[3], fragment: condition[4], terminal: condition[3] === "InvalidSpec" };
  }
  throw new Error(`${file}: cannot read "expect: ${text}"`);
}

/** The examples' placeholder ids, swapped for the account's (the bad values are other ids). */
function substitute(text: string, ids: MotoIds | undefined): string {
  if (!ids) return text;
  return text
    .replaceAll("vpc-0123456789abcdef0", ids.vpc)
    .replaceAll("subnet-0123456789abcdef0", ids.subnets[0] ?? "")
    .replaceAll("subnet-0123456789abcdef1", ids.subnets[1] ?? ids.subnets[0] ?? "")
    .replaceAll("sg-0123456789abcdef0", ids.securityGroup)
    .replaceAll("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/my-alb/0123456789abcdef/0123456789abcdef", ids.listenerArn);
}

function applyText(stack: StackInfo, namespace: string, text: string): void {
  kubectlOn(stack, ["apply", "-n", namespace, "-f", "-"], text);
}

/** kubectl's stderr for an apply that must fail. */
function applyFails(stack: StackInfo, namespace: string, text: string): string {
  try {
    applyText(stack, namespace, text);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error("kubectl apply succeeded but was expected to be refused");
}

/** What the corpus needs in AWS beside the objects: the ECS cluster and task definition that
 * some services name literally, and a target group without owner tags whose name is taken. */
async function awsSetup(stack: StackInfo, accountId: string): Promise<MotoIds> {
  const ids = await prepareAccount(stack, accountId, "bad-input-alb");
  const aws = testAwsClients(stack, accountId);
  await aws.ecs.send(new CreateClusterCommand({ clusterName: "bad-input-cluster" }));
  await aws.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: "bad-input-web",
      requiresCompatibilities: ["FARGATE", "EC2"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "web", image: "httpd:2.4", essential: true }],
    }),
  );
  await aws.elbv2.send(new CreateTargetGroupCommand({ Name: "bad-input-taken", Protocol: "HTTP", Port: 80, VpcId: ids.vpc }));
  return ids;
}

function conditionOf(obj: ManagedObject | undefined, type: string): { status: string; reason: string; message: string } | undefined {
  const c = obj?.status?.conditions?.find((x) => x.type === type);
  return c && obj && obj.status?.observedGeneration === obj.metadata.generation ? c : undefined;
}

async function waitForExpectedCondition(stack: StackInfo, namespace: string, c: BadInputCase, timeoutMs: number): Promise<ManagedObject> {
  const want = c.expect;
  if (want.answer !== "condition") throw new Error(`${c.file} is not a condition case`);
  const fragment = want.fragment.replaceAll("{namespace}", namespace);
  let last: ManagedObject | undefined;
  try {
    return await waitFor(
      `${c.kind} ${c.name}: ${want.type}=${want.status} ${want.reason}`,
      async () => {
        last = await getObject<ManagedObject>(stack, PLURALS[c.kind], namespace, c.name);
        const got = conditionOf(last, want.type);
        return got?.status === want.status && got.reason === want.reason && got.message.includes(fragment) ? last : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${String(err)}; conditions: ${JSON.stringify(last?.status?.conditions ?? [])}`);
  }
}

export interface BadInputSuiteOptions {
  /** Periodic re-check of the operators, seconds. */
  resyncSeconds: number;
  /** How many re-check periods a terminally invalid object is watched for further reconciles. */
  recheckPeriods: number;
  /** Also restart the dedicated operator and check it looks at each terminal object once, writing nothing. */
  restart: boolean;
}

/**
 * Promise 7 over the whole corpus, as one `it` per file: refused cases at `kubectl apply`;
 * condition cases with an operator running under the chart's RBAC; terminal (InvalidSpec) cases
 * with a dedicated operator whose reconcile counter shows one reconcile per object and generation,
 * and none in the re-check periods after. The operators must be alive at the end.
 */
export function defineBadInputSuite(stack: StackInfo, opts: BadInputSuiteOptions): void {
  const corpus = loadBadInputCorpus();
  const refused = corpus.filter((c) => c.expect.answer === "refused");
  const conditions = corpus.filter((c) => c.expect.answer === "condition");
  const retried = conditions.filter((c) => c.expect.answer === "condition" && !c.expect.terminal);
  const terminal = conditions.filter((c) => c.expect.answer === "condition" && c.expect.terminal);
  const figures: Record<string, unknown> = { files: corpus.length, refused: refused.length, conditions: retried.length, terminal: terminal.length, byKind: countByKind(corpus) };

  it("holds at least 40 bad manifests, covering every kind", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    expect(Object.keys(countByKind(corpus)).sort()).toEqual(Object.keys(PLURALS).sort());
  });

  describe("refused at kubectl apply", () => {
    let namespace: string;
    beforeAll(async () => {
      namespace = await createTestNamespace(stack, "badinput");
    });

    it.each(refused.map((c) => [c.file, c] as const))("%s", async (_file, c) => {
      for (const doc of c.setup) applyText(stack, namespace, doc);
      const stderr = applyFails(stack, namespace, c.bad);
      if (c.expect.answer === "refused") expect(stderr).toContain(c.expect.fragment);
      // Nothing of the bad manifest was stored: no object, or the one created first, unchanged.
      const stored = await getObject(stack, PLURALS[c.kind], namespace, c.name);
      if (c.setup.length === 0) expect(stored).toBeUndefined();
      else expect(stored?.metadata.generation).toBe(1);
    });
  });

  describe("reported as conditions, retried with backoff or waiting", () => {
    const proxy = new AwsProxyControl(stack.awsEndpoint);
    const accountId = uniqueAccountId();
    let namespace: string;
    let op: OperatorProcess;

    beforeAll(async () => {
      namespace = await createTestNamespace(stack, "badinput-cond");
      const ids = await awsSetup(stack, accountId);
      for (const c of retried) for (const doc of [...c.setup, c.bad]) applyText(stack, namespace, substitute(doc, ids));
      op = await operatorUnderChartRbac(stack, { accountId, namespaces: [namespace], resyncSeconds: opts.resyncSeconds }).start();
      await proxy.reset(accountId);
    });

    afterAll(async () => {
      await op.stop();
    });

    it.each(retried.map((c) => [c.file, c] as const))("%s", async (_file, c) => {
      await waitForExpectedCondition(stack, namespace, c, 60_000);
    });

    it("deletes every one of them: no finalizer waits for something that does not exist", async () => {
      const started = Date.now();
      kubectlOn(stack, ["delete", Object.values(PLURALS).join(","), "--all", "-n", namespace, "--wait=false"]);
      await waitFor("every object deleted", async () => ((await listObjects(stack, namespace)).length === 0 ? true : undefined), 60_000).catch(async (err: unknown) => {
        const left = (await listObjects(stack, namespace)).map((o) => `${o.kind}/${o.metadata.name}: ${JSON.stringify(o.status?.conditions ?? [])}`);
        throw new Error(`${String(err)}; left: ${left.join("; ")}`);
      });
      figures.conditionObjectsDeletedMs = Date.now() - started;
      expect(await Promise.race([op.exited.then(() => "exited"), sleep(0).then(() => "running")])).toBe("running");
      expect(op.output()).not.toMatch(/reconcile threw past the reconciler|forbidden/i);
    });
  });

  describe("terminally invalid (InvalidSpec): not retried until the spec changes", () => {
    const proxy = new AwsProxyControl(stack.awsEndpoint);
    const accountId = uniqueAccountId();
    let namespace: string;
    let operator: ReturnType<typeof operatorUnderChartRbac>;
    let op: OperatorProcess;
    let ids: MotoIds;
    const perKind = countByKind(terminal);
    const reconciles = async (process: OperatorProcess): Promise<Record<string, number>> =>
      Object.fromEntries(await Promise.all(Object.keys(perKind).map(async (kind) => [kind, await process.metric("ecs_operator_reconcile_total", { kind })] as const)));

    beforeAll(async () => {
      namespace = await createTestNamespace(stack, "badinput-term");
      ids = await awsSetup(stack, accountId);
      await proxy.reset(accountId);
      // Only terminal objects live here, so each kind's reconcile counter counts only them.
      for (const c of terminal) {
        expect(c.setup, `${c.file}: terminal cases need no set-up objects`).toEqual([]);
        applyText(stack, namespace, substitute(c.bad, ids));
      }
      operator = operatorUnderChartRbac(stack, { accountId, namespaces: [namespace], resyncSeconds: opts.resyncSeconds });
      op = await operator.start();
    });

    afterAll(async () => {
      await op.stop();
    });

    it.each(terminal.map((c) => [c.file, c] as const))("%s", async (_file, c) => {
      const obj = await waitForExpectedCondition(stack, namespace, c, 60_000);
      expect(conditionOf(obj, "Ready")).toMatchObject({ status: "False", reason: "InvalidSpec" });
    });

    it(`reconciles each once per generation, and not again over ${opts.recheckPeriods} re-check periods`, async () => {
      const first = await reconciles(op);
      expect(first, "one reconcile per terminal object").toEqual(perKind);
      await sleep(opts.recheckPeriods * opts.resyncSeconds * 1000);
      expect(await reconciles(op), "no reconcile while nothing changed").toEqual(perKind);
      const creates = createsByKind(await proxy.counts(accountId));
      for (const kind of Object.keys(perKind)) {
        const expected = terminal.filter((c) => c.kind === kind).reduce((sum, c) => sum + c.creates, 0);
        expect(creates[kind]?.forwarded ?? 0, `${kind}: one create attempt per object AWS refuses, none for what the operator refuses first`).toBe(expected);
      }
      figures.terminalReconciles = first;
      figures.terminalWatchedSeconds = opts.recheckPeriods * opts.resyncSeconds;
    });

    if (opts.restart) {
      it("after a restart looks at each terminal object once and makes no AWS call for it", async () => {
        await op.stop();
        await proxy.reset(accountId);
        op = await operator.start();
        await waitFor("every terminal object looked at", async () => {
          const now = await reconciles(op);
          return Object.entries(perKind).every(([k, n]) => now[k] === n) ? true : undefined;
        });
        await sleep(opts.recheckPeriods * opts.resyncSeconds * 1000);
        expect(await reconciles(op)).toEqual(perKind);
        const counts = await proxy.counts(accountId);
        // The restarted operator asks STS who it is once at start (its own account, for placement):
        // a call of the process, not for any object.
        const forObjects = Object.fromEntries(Object.entries(counts[accountId] ?? {}).filter(([name]) => name !== "sts:GetCallerIdentity"));
        expect(forObjects, "no AWS call at all for terminally invalid objects").toEqual({});
      });
    }

    it("recovers as soon as the spec is fixed (a new generation, reconciled at once)", async () => {
      const td = terminal.find((c) => c.file === "taskdefinition-ec2-container-without-memory.yaml");
      if (!td) throw new Error("the corpus has no taskdefinition-ec2-container-without-memory.yaml");
      const before = await op.metric("ecs_operator_reconcile_total", { kind: "TaskDefinition" });
      const fixed = td.bad.replace("{ name: web, image: httpd:2.4 }", "{ name: web, image: httpd:2.4, memory: 128 }");
      expect(fixed).not.toBe(td.bad);
      applyText(stack, namespace, fixed);
      let obj: ManagedObject | undefined;
      await waitFor("the fixed TaskDefinition Ready", async () => {
        obj = await getObject<ManagedObject>(stack, "taskdefinitions", namespace, td.name);
        return obj?.metadata.generation === 2 && conditionOf(obj, "Ready")?.status === "True" && conditionOf(obj, "Synced")?.status === "True" ? true : undefined;
      }, 30_000).catch((err: unknown) => {
        throw new Error(`${String(err)}: ${JSON.stringify({ generation: obj?.metadata.generation, status: obj?.status })}`);
      });
      expect(await op.metric("ecs_operator_reconcile_total", { kind: "TaskDefinition" })).toBeGreaterThan(before);
      expect(await Promise.race([op.exited.then(() => "exited"), sleep(0).then(() => "running")])).toBe("running");
      expect(op.output()).not.toMatch(/reconcile threw past the reconciler|forbidden/i);
      report("bad-input", figures);
    });
  });
}
