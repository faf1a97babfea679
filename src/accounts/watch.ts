// The administrators' grants as the operator sees them: watches of AwsAccount objects and of
// namespaces (for label selectors), a check of each AwsAccount's role written to its status, and a
// wake-up of the objects of every namespace whose grants changed (a revoked grant stops writes at
// once; a new default moves nothing that was already placed).
import type { KubeAccess } from "../runtime/kube-config.js";
import type { Logger } from "pino";
import type { AwsAccount } from "../api/awsaccount.js";
import { GROUP, VERSION } from "../api/names.js";
import { mergeConditions } from "../runtime/conditions.js";
import { Informer } from "../runtime/informer.js";
import type { KubeClient } from "../runtime/kube-client.js";
import type { CredentialCache } from "./credentials.js";
import { accountIdOf, grantSignature, selects, type NamespaceInfo } from "./grants.js";

interface NamespaceObject {
  metadata: { name: string; labels?: Record<string, string>; resourceVersion?: string; uid?: string };
}

export interface AccountWatchOptions {
  kubeConfig: KubeAccess;
  kube: KubeClient;
  credentials: CredentialCache;
  logger: Logger;
  resyncMs: number;
  /**
   * The namespaces this operator serves (empty: all). An AwsAccount that grants none of them is
   * another release's to check: this one neither assumes its role nor writes its status.
   */
  servedNamespaces: readonly string[];
  /** Called with the namespaces whose grants changed, to re-place their objects. */
  onGrantsChanged(namespaces: string[]): void;
  /** Called with an AwsAccount whose spec changed or that went: its clients are made anew. */
  onAccountChanged(name: string): void;
}

export class AccountWatch {
  private readonly accountInformer: Informer<AwsAccount>;
  private readonly namespaceInformer: Informer<NamespaceObject>;
  private signatures = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private checking = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly options: AccountWatchOptions) {
    this.log = options.logger.child({ kind: "AwsAccount" });
    this.accountInformer = new Informer<AwsAccount>({ kubeConfig: options.kubeConfig, path: `/apis/${GROUP}/${VERSION}/awsaccounts`, logger: this.log });
    this.namespaceInformer = new Informer<NamespaceObject>({ kubeConfig: options.kubeConfig, path: "/api/v1/namespaces", logger: this.log });
    const changed = (): void => {
      this.regrant();
    };
    this.accountInformer.addHandler({
      onAdd: (account) => {
        changed();
        this.check(account);
      },
      onUpdate: (account, old) => {
        if (account.metadata.generation !== old.metadata.generation) {
          options.onAccountChanged(account.metadata.name);
          this.check(account);
        }
        changed();
      },
      onDelete: (account) => {
        options.onAccountChanged(account.metadata.name);
        changed();
      },
    });
    this.namespaceInformer.addHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
  }

  start(): void {
    this.accountInformer.start();
    this.namespaceInformer.start();
    // Roles' trust policies change outside Kubernetes: check every account again now and then.
    this.timer = setInterval(() => {
      for (const account of this.accounts()) this.check(account);
    }, this.options.resyncMs);
    this.timer.unref();
  }

  async waitForSync(): Promise<void> {
    await Promise.all([this.accountInformer.waitForSync(), this.namespaceInformer.waitForSync()]);
    this.signatures = this.currentSignatures();
  }

  hasSynced(): boolean {
    return this.accountInformer.hasSynced() && this.namespaceInformer.hasSynced();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([this.accountInformer.stop(), this.namespaceInformer.stop()]);
    await this.checking;
  }

  accounts(): AwsAccount[] {
    return this.accountInformer.list();
  }

  namespace(name: string): NamespaceInfo | undefined {
    const ns = this.namespaceInformer.get(name);
    return ns ? { name, labels: ns.metadata.labels ?? {} } : undefined;
  }

  private currentSignatures(): Map<string, string> {
    const accounts = this.accounts();
    return new Map(this.namespaceInformer.list().map((ns) => [ns.metadata.name, grantSignature(accounts, { name: ns.metadata.name, labels: ns.metadata.labels ?? {} })]));
  }

  /** Re-places the objects of the namespaces whose grants changed. */
  private regrant(): void {
    if (!this.hasSynced()) return;
    const next = this.currentSignatures();
    const changed = [...new Set([...next.keys(), ...this.signatures.keys()])].filter((ns) => next.get(ns) !== this.signatures.get(ns));
    this.signatures = next;
    if (changed.length > 0) {
      this.options.onGrantsChanged(changed);
      // A namespace may have come to be served by an account this operator did not check so far.
      for (const account of this.accounts()) this.check(account);
    }
  }

  /** Whether the account grants a namespace this operator serves. */
  private serves(account: AwsAccount): boolean {
    const served = this.options.servedNamespaces;
    if (served.length === 0) return true;
    return served.some((name) => selects(account.spec.namespaces, this.namespace(name) ?? { name, labels: {} }));
  }

  /** Assumes the account's role and says in its status whether that works; one check at a time. */
  private check(account: AwsAccount): void {
    this.checking = this.checking.then(async () => {
      const current = this.accountInformer.get(account.metadata.name);
      if (!current || !this.serves(current)) return;
      let ready: { status: "True" | "False"; reason: string; message: string };
      try {
        await this.options.credentials.get(current);
        ready = { status: "True", reason: "Available", message: `the operator assumes ${current.spec.roleArn}` };
      } catch (err) {
        ready = { status: "False", reason: "AssumeRoleFailed", message: err instanceof Error ? err.message : String(err) };
      }
      const generation = current.metadata.generation;
      const status = {
        observedGeneration: generation,
        accountId: accountIdOf(current),
        ...(ready.status === "True" ? { lastAssumedAt: new Date().toISOString() } : current.status?.lastAssumedAt ? { lastAssumedAt: current.status.lastAssumedAt } : {}),
        // Synced says the same for this generation: Argo CD's health check reads both.
        conditions: mergeConditions(current.status?.conditions, [{ type: "Ready", ...ready }, { type: "Synced", ...ready }], generation, new Date()),
      };
      await this.options.kube
        .request({ method: "PATCH", path: `/apis/${GROUP}/${VERSION}/awsaccounts/${encodeURIComponent(current.metadata.name)}/status`, body: [{ op: "add", path: "/status", value: status }], patchType: "application/json-patch+json" })
        .catch((err: unknown) => {
          this.log.warn({ err, account: current.metadata.name }, "could not write the AwsAccount's status");
        });
    });
  }
}
