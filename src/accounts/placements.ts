// The operator's side of accounts and regions: for each object, the driver that serves the account
// and region it lives in. Everything that is per account and region in AWS is per placement here:
// SDK clients (and their credentials), client-side token buckets (AWS's quotas are per account and
// region, so a throttled account slows only itself), and the drivers with their batched readers and
// shared listings. Clients and drivers are made on first use.
import type { AwsAccount } from "../api/awsaccount.js";
import { createAwsClients, serviceClients, type AwsClients } from "../aws/clients.js";
import { instrumentClient, type AwsCallObserver } from "../aws/instrument.js";
import { limitClient, type Rate, type TokenBucket } from "../aws/rate-limits.js";
import type { DriverSettings, KindRegistration } from "../controllers/index.js";
import type { AnyDriver, ManagedObject, PlacementChoice } from "../runtime/driver.js";
import type { Lookup } from "../runtime/references.js";
import type { CredentialCache } from "./credentials.js";
import { placementFor, type NamespaceInfo, type OwnAccount } from "./grants.js";

export interface PlacementsOptions {
  own: OwnAccount;
  /** Overrides every AWS endpoint (moto, a proxy). */
  endpoint?: string;
  rates: Record<string, Rate>;
  observe: AwsCallObserver;
  registrations: readonly KindRegistration[];
  lookup: Lookup;
  settings: DriverSettings;
  credentials: CredentialCache;
  /** The administrators' grants and the namespaces, from the operator's caches. */
  accounts(): AwsAccount[];
  namespace(name: string): NamespaceInfo | undefined;
}

interface Served {
  clients: AwsClients;
  drivers: Map<string, AnyDriver>;
}

export class Placements {
  /** By AwsAccount name (or the own account) and region: each has its own credentials. */
  private readonly served = new Map<string, Served>();
  /** By account id and region: the quotas AWS applies. */
  private readonly buckets = new Map<string, Map<string, TokenBucket>>();
  private readonly byKind: Map<string, KindRegistration>;

  constructor(private readonly options: PlacementsOptions) {
    this.byKind = new Map(options.registrations.map((r) => [r.definition.kind, r]));
  }

  /** The quota the object's AWS calls count against (account id and region), "" if it may not be placed. */
  shardOf(obj: ManagedObject): string {
    const placement = this.placementOf(obj);
    return "refused" in placement ? "" : `${placement.accountId}/${placement.region}`;
  }

  /** The driver for the object where it lives, or why it may not be served (no AWS call then). */
  place(obj: ManagedObject): PlacementChoice {
    const placement = this.placementOf(obj);
    if ("refused" in placement) return { refusal: { reason: "AccountNotGranted", message: placement.refused } };
    const { target, accountId, region } = placement;
    if (target.kind === "granted") {
      const failure = this.options.credentials.failure(target.account);
      if (failure) return { refusal: { reason: "AssumeRoleFailed", message: failure.message } };
    }
    const name = target.kind === "own" ? "" : target.account.metadata.name;
    const key = `${name}\0${region}`;
    let served = this.served.get(key);
    if (!served) {
      served = { clients: this.clientsFor(name, accountId, region), drivers: new Map() };
      this.served.set(key, served);
    }
    let driver = served.drivers.get(obj.kind);
    if (!driver) {
      const registration = this.byKind.get(obj.kind);
      if (!registration) throw new Error(`no registration for kind ${obj.kind}`);
      const status = { account: accountId, region };
      driver = registration.driver({ clients: served.clients, lookup: this.sameAccount(status), settings: this.options.settings });
      served.drivers.set(obj.kind, driver);
    }
    return { driver, status: { account: accountId, region } };
  }

  private placementOf(obj: ManagedObject): ReturnType<typeof placementFor> {
    const namespace = this.options.namespace(obj.metadata.namespace) ?? { name: obj.metadata.namespace, labels: {} };
    return placementFor(obj, this.options.accounts(), namespace, this.options.own);
  }

  /** Forgets what was made for an AwsAccount that changed or went (new credentials next time). */
  forget(accountName: string): void {
    for (const key of [...this.served.keys()]) if (key.startsWith(`${accountName}\0`)) this.served.delete(key);
    this.options.credentials.forget(accountName);
  }

  private clientsFor(accountName: string, accountId: string, region: string): AwsClients {
    const own = accountName === "";
    const clients = createAwsClients({
      region,
      ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
      ...(own ? {} : { credentials: this.options.credentials.provider(() => this.options.accounts().find((a) => a.metadata.name === accountName)) }),
    });
    const quota = `${accountId}/${region}`;
    let buckets = this.buckets.get(quota);
    if (!buckets) {
      buckets = new Map();
      this.buckets.set(quota, buckets);
    }
    for (const [service, client] of serviceClients(clients)) {
      instrumentClient(client, service, this.options.observe);
      limitClient(client, service, buckets, this.options.rates);
    }
    return clients;
  }

  /**
   * The other kinds' caches as one placement's drivers may see them: objects in other accounts or
   * regions are not there (a revision key or a cluster name may repeat across accounts).
   */
  private sameAccount(place: { account: string; region: string }): Lookup {
    const here = (obj: ManagedObject | undefined): boolean => {
      const account = obj?.status?.account;
      const region = obj?.status?.region;
      // Not yet placed (no status): it may be here; the driver's own filters decide.
      return (account === undefined || account === place.account) && (region === undefined || region === place.region);
    };
    const { lookup } = this.options;
    return {
      get: (kind, namespace, name) => {
        const obj = lookup.get(kind, namespace, name);
        return here(obj) ? obj : undefined;
      },
      list: (kind) => lookup.list(kind).filter(here),
    };
  }
}
