import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../env/paths.js";

/** The IAM service prefix of each AWS SDK client the operator uses. */
const PREFIX: Record<string, string> = {
  "@aws-sdk/client-ecs": "ecs",
  "@aws-sdk/client-elastic-load-balancing-v2": "elasticloadbalancing",
  "@aws-sdk/client-servicediscovery": "servicediscovery",
  "@aws-sdk/client-sts": "sts",
  "@aws-sdk/client-scheduler": "scheduler",
  "@aws-sdk/client-application-auto-scaling": "application-autoscaling",
};

/**
 * Not called as such, but required with it: tags given to CreateScheduleGroup need
 * scheduler:TagResource; the first RegisterScalableTarget of an ECS service in an account creates
 * Application Auto Scaling's service-linked role with the caller's iam:CreateServiceLinkedRole.
 */
const REQUIRED_ALONGSIDE = new Set(["iam:PassRole", "scheduler:TagResource", "iam:CreateServiceLinkedRole"]);

/** Needs no permission: IAM cannot deny it. */
const UNAUTHORISED = new Set(["sts:GetCallerIdentity"]);
/** The operator's own role assumes the granted accounts' roles (docs/iam-policy-assume-role.json). */
const isSts = (action: string): boolean => action.startsWith("sts:");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Every AWS operation the operator's code can call, as IAM actions, from its Command and paginator imports. */
function actionsCalledBySource(): Set<string> {
  const actions = new Set<string>();
  for (const file of sourceFiles(join(repoRoot, "src"))) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"(@aws-sdk\/client-[a-z0-9-]+)"/g)) {
      const prefix = PREFIX[match[2] ?? ""];
      if (!prefix) throw new Error(`${file} uses ${match[2] ?? ""}, which has no IAM prefix here: add it and to docs/iam-policy.json`);
      for (const name of (match[1] ?? "").split(",").map((n) => n.trim().replace(/^type\s+/, ""))) {
        if (name.endsWith("Command")) actions.add(`${prefix}:${name.slice(0, -"Command".length)}`);
        if (/^paginate[A-Z]/.test(name)) actions.add(`${prefix}:${name.slice("paginate".length)}`);
      }
    }
  }
  return actions;
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, unknown>;
}

describe("docs/iam-policy.json", () => {
  const policy = JSON.parse(readFileSync(join(repoRoot, "docs/iam-policy.json"), "utf8")) as { Statement: Statement[] };
  const allowed = new Set(policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));

  it("allows every AWS operation the code calls on the resources it manages", () => {
    const called = [...actionsCalledBySource()].filter((a) => !isSts(a));
    expect(called.length).toBeGreaterThan(20);
    expect(called.filter((a) => !allowed.has(a)).sort()).toEqual([]);
  });

  it("allows nothing the code does not call (least privilege), except iam:PassRole for task and scheduler roles, tagging on create and the scaling role", () => {
    const called = actionsCalledBySource();
    expect([...allowed].filter((a) => !called.has(a) && !REQUIRED_ALONGSIDE.has(a)).sort()).toEqual([]);
  });

  it("has no wildcard actions, and conditions every write on the ownership tags", () => {
    expect([...allowed].filter((a) => a.includes("*"))).toEqual([]);
    const writes = policy.Statement.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => !/:(Describe|Get|List)/.test(a) && !a.startsWith("iam:")));
    // IAM's own actions are held to the one AWS service each role is for.
    for (const statement of policy.Statement.filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith("iam:")))) {
      expect(JSON.stringify(statement.Condition)).toMatch(/iam:(PassedToService|AWSServiceName)/);
    }
    // Scheduler's schedules carry no tags: their writes are held to the operator's own groups by ARN instead.
    for (const statement of writes) {
      const scheduler = (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).every((a) => a.startsWith("scheduler:"));
      if (scheduler) expect(JSON.stringify(statement.Resource)).toMatch(/:schedule(-group)?\/ecs-operator\.\*/);
      else expect(JSON.stringify(statement.Condition)).toMatch(/ecs-operator\.dev\/uid/);
    }
  });
});

describe("docs/iam-policy-assume-role.json (the operator's own role, with granted AwsAccounts)", () => {
  const policy = JSON.parse(readFileSync(join(repoRoot, "docs/iam-policy-assume-role.json"), "utf8")) as { Statement: Statement[] };
  const allowed = new Set(policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));

  it("allows exactly the STS calls the code makes that need a permission, with session tags", () => {
    const called = [...actionsCalledBySource()].filter((a) => isSts(a) && !UNAUTHORISED.has(a));
    expect(called.sort()).toEqual(["sts:AssumeRole"]);
    expect([...allowed].sort()).toEqual(["sts:AssumeRole", "sts:TagSession"]);
  });
});
