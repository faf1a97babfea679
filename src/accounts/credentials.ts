// Credentials for granted accounts: STS AssumeRole chained from the operator's own identity (IRSA,
// EKS Pod Identity, or any credential of the SDK's default chain), cached per AwsAccount and renewed
// before they expire. A role that cannot be assumed fails every caller at once for a growing while
// (30 s doubling to 5 min), instead of each of a thousand reconciles asking STS again.
// Hand-written on @aws-sdk/client-sts rather than @aws-sdk/credential-providers' fromTemporaryCredentials:
// the latter loads every credential provider the SDK has (Cognito, SSO, ...) for one call.
import { AssumeRoleCommand, type STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity } from "@smithy/types";
import type { AwsAccount } from "../api/awsaccount.js";
import { ReconcileError } from "../runtime/errors.js";

export interface CredentialCacheOptions {
  sts: STSClient;
  /** Renew this long before expiry (default 5 min; a quarter of a session when that is shorter). */
  refreshBeforeExpiryMs?: number;
  now?: () => number;
  /** The operator's identity, for the session name. */
  sessionName?: string;
}

interface Entry {
  /** What the credentials were made for: a changed role, external id or tags makes new ones. */
  fingerprint: string;
  credentials?: AwsCredentialIdentity & { expiration: Date };
  /** When to renew: before expiry by the margin, or by a quarter of a shorter session. */
  renewAt?: number;
  inflight?: Promise<AwsCredentialIdentity & { expiration: Date }>;
  failure?: { error: ReconcileError; until: number; attempts: number };
}

const FIRST_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 5 * 60_000;

function fingerprintOf(account: AwsAccount): string {
  const s = account.spec;
  return JSON.stringify([s.roleArn, s.externalId ?? null, Object.entries(s.sessionTags ?? {}).sort(), s.sessionDurationSeconds ?? 3600]);
}

export class CredentialCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly refreshMs: number;

  constructor(private readonly options: CredentialCacheOptions) {
    this.now = options.now ?? Date.now;
    this.refreshMs = options.refreshBeforeExpiryMs ?? 5 * 60_000;
  }

  /** Why the account's role cannot be assumed right now, while that is known; undefined otherwise. */
  failure(account: AwsAccount): ReconcileError | undefined {
    const entry = this.entries.get(account.metadata.name);
    return entry?.failure && entry.fingerprint === fingerprintOf(account) && entry.failure.until > this.now() ? entry.failure.error : undefined;
  }

  /** An SDK credential provider for the account, as it is described now by `current()`. */
  provider(current: () => AwsAccount | undefined): () => Promise<AwsCredentialIdentity> {
    return async () => {
      const account = current();
      if (!account) throw new ReconcileError("the AwsAccount is gone", "retryable", "AccountNotGranted");
      return this.get(account);
    };
  }

  /** Valid credentials for the account: cached, renewed before expiry, shared by concurrent callers. */
  async get(account: AwsAccount): Promise<AwsCredentialIdentity & { expiration: Date }> {
    const name = account.metadata.name;
    const fingerprint = fingerprintOf(account);
    let entry = this.entries.get(name);
    if (entry?.fingerprint !== fingerprint) {
      entry = { fingerprint };
      this.entries.set(name, entry);
    }
    const now = this.now();
    if (entry.credentials && entry.renewAt !== undefined && now < entry.renewAt) return entry.credentials;
    if (entry.failure && entry.failure.until > now) throw entry.failure.error;
    const current = entry;
    current.inflight ??= this.assume(account, current).finally(() => {
      delete current.inflight;
    });
    return current.inflight;
  }

  forget(name: string): void {
    this.entries.delete(name);
  }

  private async assume(account: AwsAccount, entry: Entry): Promise<AwsCredentialIdentity & { expiration: Date }> {
    const s = account.spec;
    try {
      const out = await this.options.sts.send(
        new AssumeRoleCommand({
          RoleArn: s.roleArn,
          RoleSessionName: (this.options.sessionName ?? "ecs-operator").slice(0, 64),
          DurationSeconds: s.sessionDurationSeconds ?? 3600,
          ...(s.externalId ? { ExternalId: s.externalId } : {}),
          ...(s.sessionTags ? { Tags: Object.entries(s.sessionTags).map(([Key, Value]) => ({ Key, Value })) } : {}),
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error("AssumeRole returned no credentials");
      const credentials = {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        expiration: c.Expiration ?? new Date(this.now() + (s.sessionDurationSeconds ?? 3600) * 1000),
      };
      const issuedAt = this.now();
      const lifetime = credentials.expiration.getTime() - issuedAt;
      entry.credentials = credentials;
      entry.renewAt = credentials.expiration.getTime() - Math.min(this.refreshMs, lifetime / 4);
      delete entry.failure;
      return credentials;
    } catch (err) {
      const attempts = (entry.failure?.attempts ?? 0) + 1;
      const name = err instanceof Error ? err.name : "Error";
      const message = err instanceof Error ? err.message : String(err);
      const error = new ReconcileError(`cannot assume ${s.roleArn} for AwsAccount ${account.metadata.name}: ${name}: ${message}`, "retryable", "AssumeRoleFailed", { cause: err });
      entry.failure = { error, attempts, until: this.now() + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempts - 1)) };
      throw error;
    }
  }
}
