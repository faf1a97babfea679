// Which AWS account and region an object's resource lives in, from the administrators' AwsAccount
// grants (docs/design.md, "Accounts and regions"). Pure functions: the operator feeds them its
// caches of AwsAccount objects and namespaces.
import type { AwsAccount, NamespaceSelection } from "../api/awsaccount.js";
import { isReady } from "../runtime/conditions.js";
import type { ManagedObject } from "../runtime/driver.js";

/** The condition reasons of placement (docs/design.md, section 2). */
export const ACCOUNT_REASONS = ["AccountNotGranted", "AssumeRoleFailed"] as const;

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
}

/** The operator's own account: its own identity, in its own region. */
export interface OwnAccount {
  /** False when administrators allow only granted accounts. */
  enabled: boolean;
  accountId: string;
  region: string;
}

export type Target = { kind: "own" } | { kind: "granted"; account: AwsAccount };

export interface Placement {
  target: Target;
  accountId: string;
  region: string;
}

export type PlacementResult = Placement | { refused: string };

/** The account id an AwsAccount grants: that of its role. */
export function accountIdOf(account: AwsAccount): string {
  return /^arn:aws[a-zA-Z-]*:iam::([0-9]{12}):role\//.exec(account.spec.roleArn)?.[1] ?? "";
}

/** Whether a label selector (metav1.LabelSelector semantics) matches the labels. */
function selectorMatches(selector: NonNullable<NamespaceSelection["selector"]>, labels: Record<string, string>): boolean {
  const required = Object.entries(selector.matchLabels ?? {});
  const expressions = selector.matchExpressions ?? [];
  // An empty selector selects everything, as in Kubernetes.
  if (required.length === 0 && expressions.length === 0) return true;
  return (
    required.every(([k, v]) => labels[k] === v) &&
    expressions.every((e) => {
      const has = Object.hasOwn(labels, e.key);
      const value = labels[e.key];
      switch (e.operator) {
        case "In":
          return has && (e.values ?? []).includes(value ?? "");
        case "NotIn":
          return !has || !(e.values ?? []).includes(value ?? "");
        case "Exists":
          return has;
        case "DoesNotExist":
          return !has;
      }
      return false;
    })
  );
}

export function selects(selection: NamespaceSelection | undefined, namespace: NamespaceInfo): boolean {
  if (!selection) return false;
  if ((selection.names ?? []).includes(namespace.name)) return true;
  return selection.selector !== undefined && selectorMatches(selection.selector, namespace.labels);
}

/** The AwsAccounts granted to a namespace, and the one it uses by default (if exactly one). */
export function grantsOf(accounts: readonly AwsAccount[], namespace: NamespaceInfo): { granted: AwsAccount[]; defaults: AwsAccount[] } {
  const granted = accounts.filter((a) => selects(a.spec.namespaces, namespace));
  return { granted, defaults: granted.filter((a) => selects(a.spec.defaultFor, namespace)) };
}

/** What a namespace may use, as one comparable string: a change of it re-places the namespace's objects. */
export function grantSignature(accounts: readonly AwsAccount[], namespace: NamespaceInfo): string {
  const { granted, defaults } = grantsOf(accounts, namespace);
  const describe = (a: AwsAccount) => `${a.metadata.name}=${a.spec.roleArn}@${a.spec.regions.join(",")}`;
  return JSON.stringify([granted.map(describe).sort(), defaults.map((a) => a.metadata.name).sort()]);
}

function stringField(obj: ManagedObject, field: string): string | undefined {
  const value = obj.status?.[field];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Where an object's resource lives. The spec names an AwsAccount (else the namespace's default,
 * else the operator's own account) and a region (else the account's first). Once the resource has
 * been placed (status.account and status.region), that is where it is: a spec or grant that now
 * points elsewhere is refused rather than followed, which would leave the first resource behind.
 * A namespace that is not granted the account gets a refusal and no AWS call is made for it.
 */
export function placementFor(obj: ManagedObject & { spec?: { account?: string; region?: string } }, accounts: readonly AwsAccount[], namespace: NamespaceInfo, own: OwnAccount): PlacementResult {
  const spec = obj.spec ?? {};
  const { granted, defaults } = grantsOf(accounts, namespace);
  let target: Target;
  let allowed: readonly string[];
  if (spec.account !== undefined) {
    const named = accounts.find((a) => a.metadata.name === spec.account);
    if (!named) return { refused: `AwsAccount ${spec.account} (spec.account) not found` };
    if (!granted.includes(named)) return { refused: `AwsAccount ${spec.account} is not granted to namespace ${namespace.name} (see its spec.namespaces)` };
    target = { kind: "granted", account: named };
    allowed = named.spec.regions;
  } else if (defaults.length > 1) {
    return { refused: `namespace ${namespace.name} has ${String(defaults.length)} default AwsAccounts (${defaults.map((a) => a.metadata.name).sort().join(", ")}): name one in spec.account` };
  } else if (defaults[0]) {
    target = { kind: "granted", account: defaults[0] };
    allowed = defaults[0].spec.regions;
  } else if (own.enabled) {
    target = { kind: "own" };
    allowed = [own.region];
  } else {
    return { refused: `no AWS account for namespace ${namespace.name}: name a granted AwsAccount in spec.account, or ask an administrator for one (the operator's own account is not offered)` };
  }
  const region = spec.region ?? allowed[0] ?? own.region;
  if (!allowed.includes(region)) return { refused: `region ${region} (spec.region) is not allowed in ${target.kind === "own" ? "the operator's own account" : `AwsAccount ${target.account.metadata.name}`}: one of ${allowed.join(", ")}` };
  const accountId = target.kind === "own" ? own.accountId : accountIdOf(target.account);

  const placedAccount = stringField(obj, "account");
  const placedRegion = stringField(obj, "region");
  if (placedAccount !== undefined && placedRegion !== undefined && (placedAccount !== accountId || placedRegion !== region)) {
    return { refused: `the resource lives in account ${placedAccount} region ${placedRegion}, but this object now resolves to account ${accountId} region ${region} (a grant or default changed): restore it, or delete and recreate the object` };
  }
  return { target, accountId, region };
}

/** An AwsAccount whose role has been assumed successfully for its current spec. */
export function accountReady(account: AwsAccount): boolean {
  return isReady(account.status, account.metadata.generation);
}
