import { pino, type Logger } from "pino";
import { GROUP, VERSION } from "./api/names.js";
import { CredentialCache } from "./accounts/credentials.js";
import { ownAccountId } from "./accounts/identity.js";
import { Placements } from "./accounts/placements.js";
import { AccountWatch } from "./accounts/watch.js";
import { createStsClient } from "./aws/clients.js";
import { instrumentClient, type AwsCallObserver } from "./aws/instrument.js";
import type { OperatorConfig } from "./config.js";
import { registrations } from "./controllers/index.js";
import { startController, type Controller } from "./runtime/controller.js";
import type { ManagedObject } from "./runtime/driver.js";
import { kubeEventRecorder } from "./runtime/events.js";
import { kubeClient } from "./runtime/kube-client.js";
import { loadKubeAccess } from "./runtime/kube-config.js";
import { startHttpServer } from "./runtime/http.js";
import { startLeaderElection } from "./runtime/leader.js";
import { countAwsCall, createMetrics } from "./runtime/metrics.js";
import { referencedObjects, ReferenceIndex, referrersCanSee, statusFieldsChanged, statusFieldsReadFrom, type Lookup, type ObjectRef, type ReferenceFields } from "./runtime/references.js";

/** How long reconciles in flight get to finish on shutdown before they are cancelled. */
const SHUTDOWN_GRACE_MS = 10_000;
/** The whole shutdown, bounded below Kubernetes' default termination grace period of 30 s. */
const SHUTDOWN_LIMIT_MS = 20_000;
/** A summary (a cluster's counts) is read again this long after a referrer's change, so a burst of changes costs one read. */
const SUMMARY_REFRESH_MS = 2000;

export interface RunningOperator {
  readonly httpPort: number;
  /** Graceful: stop taking work, finish reconciles in flight, release the lease. */
  shutdown(): Promise<void>;
  /** Resolves with the exit code the process should end with. */
  readonly finished: Promise<number>;
}

export async function startOperator(config: OperatorConfig, logger: Logger = pino({ level: config.logLevel })): Promise<RunningOperator> {
  const { access: kubeConfig, source, loader } = await loadKubeAccess(config.kubeconfig ? { file: config.kubeconfig } : {});
  logger.info({ kubeconfig: source, loader }, "API server access configured");

  // Read at scrape time; `controllers` is filled once this replica leads.
  const metrics = createMetrics({ cachedObjects: () => [...controllers.values()].map((c) => ({ kind: c.kind, objects: c.list() })) });
  const observe: AwsCallObserver = (call) => {
    countAwsCall(metrics, call);
  };
  const awsEndpoint = config.awsEndpoint ? { endpoint: config.awsEndpoint } : {};
  // The operator's own identity: who it is, and the roles it assumes in granted accounts.
  const sts = createStsClient({ region: config.region, ...awsEndpoint });
  instrumentClient(sts, "sts", observe);
  const credentials = new CredentialCache({ sts, sessionName: config.identity.replace(/[^\w+=,.@-]/g, "-") });

  const kube = kubeClient(kubeConfig);
  const events = kubeEventRecorder(kube, logger);
  const controllers = new Map<string, Controller>();
  let leading = !config.leaderElection;
  let resolveFinished!: (code: number) => void;
  const finished = new Promise<number>((resolve) => {
    resolveFinished = resolve;
  });

  const references = new ReferenceIndex();
  const lookup: Lookup = {
    get: (kind, namespace, name) => controllers.get(kind)?.get(namespace, name),
    list: (kind) => controllers.get(kind)?.list() ?? [],
  };
  const wake = (ref: ObjectRef, afterMs = 0): void => {
    controllers.get(ref.kind)?.enqueue(`${ref.namespace}/${ref.name}`, afterMs);
  };
  const refOf = (obj: ManagedObject): ObjectRef => ({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
  const summarising = new Map(registrations.flatMap((r) => (r.summarisesReferrers ? [[r.definition.kind, r.summarisesReferrers.statusFields] as const] : [])));
  /**
   * Keeps the reference index current and wakes, from each kind's reference declarations: the
   * objects that read a changed status field of this one, and the objects whose status summarises it.
   */
  const onObjectChange = (declaration: ReferenceFields<never>, readByReferrers: readonly string[]) => (obj: ManagedObject, removed: boolean, previous?: ManagedObject) => {
    const self = refOf(obj);
    const before = references.targetsOf(self);
    if (removed) references.remove(self).forEach((target) => { wake(target); });
    else references.set(self, referencedObjects(obj, declaration));
    if (removed || referrersCanSee(readByReferrers, obj, previous)) references.referrersOf(self).forEach((referrer) => { wake(referrer); });
    for (const target of removed ? before : references.targetsOf(self)) {
      const fields = summarising.get(target.kind);
      if (fields && (removed || statusFieldsChanged(fields, obj, previous))) wake(target, SUMMARY_REFRESH_MS);
    }
  };
  const wakeNamespaces = (namespaces: readonly string[]): void => {
    const affected = new Set(namespaces);
    for (const controller of controllers.values()) for (const obj of controller.list()) if (affected.has(obj.metadata.namespace)) wake(refOf(obj));
  };
  let accountWatch: AccountWatch | undefined;
  let placements: Placements | undefined;
  const blockingReferrers = (obj: ManagedObject): string[] =>
    references.referrersOf(refOf(obj)).filter((r) => lookup.get(r.kind, r.namespace, r.name) !== undefined).map((r) => `${r.kind} ${r.namespace}/${r.name}`);

  const startControllers = (): void => {
    let allSynced!: () => void;
    const startAfter = new Promise<void>((resolve) => {
      allSynced = resolve;
    });
    const settings = { resyncMs: config.resyncSeconds * 1000 };
    accountWatch = new AccountWatch({
      kubeConfig,
      kube,
      credentials,
      logger,
      resyncMs: settings.resyncMs,
      servedNamespaces: config.namespaces,
      onGrantsChanged: wakeNamespaces,
      onAccountChanged: (name) => placements?.forget(name),
    });
    accountWatch.start();
    const watch = accountWatch;
    const declarations = registrations.map((r) => r.references);
    for (const registration of registrations) {
      const { definition } = registration;
      controllers.set(
        definition.kind,
        startController({
          kind: definition.kind,
          resource: { group: GROUP, version: VERSION, plural: definition.plural },
          place: (obj) => {
            if (!placements) throw new Error("placements are not ready before the caches have synced");
            return placements.place(obj);
          },
          shardOf: (obj) => placements?.shardOf(obj) ?? "",
          kubeConfig,
          kube,
          lookup,
          namespaces: config.namespaces,
          workers: config.workers,
          resyncMs: settings.resyncMs,
          defaultDeletionPolicy: config.defaultDeletionPolicy,
          logger,
          metrics,
          events,
          onObjectChange: onObjectChange(registration.references, statusFieldsReadFrom(definition.kind, declarations)),
          blockingReferrers,
          startAfter,
        }),
      );
    }
    void Promise.all([ownAccountId(sts, config, logger), watch.waitForSync(), ...[...controllers.values()].map((c) => c.waitForSync())]).then(
      ([accountId]) => {
        placements = new Placements({
          own: { enabled: config.ownAccount, accountId, region: config.region },
          ...awsEndpoint,
          rates: config.awsRates,
          observe,
          registrations,
          lookup,
          settings,
          credentials,
          accounts: () => watch.accounts(),
          namespace: (name) => watch.namespace(name),
        });
        allSynced();
      },
      (err: unknown) => {
        logger.error({ err }, "caches did not sync");
      },
    );
    logger.info({ kinds: [...controllers.keys()], namespaces: config.namespaces.length > 0 ? config.namespaces : "all", ownAccount: config.ownAccount }, "controllers started");
  };

  const stopControllers = async (graceMs: number): Promise<void> => {
    await Promise.all([...[...controllers.values()].map((c) => c.stop(graceMs)), accountWatch?.stop()]);
  };

  const http = await startHttpServer({
    port: config.httpPort,
    metrics,
    // A standby is ready: it is healthy and waiting; readiness must not flap with leadership.
    ready: () => !leading || ([...controllers.values()].every((c) => c.hasSynced()) && accountWatch?.hasSynced() === true),
  });

  const election = config.leaderElection
    ? startLeaderElection({
        // Its own connections: a renewal never waits behind reconciles' writes.
        kube: kubeClient(kubeConfig, { use: "control" }),
        namespace: config.leaderElectionNamespace,
        name: config.leaseName,
        identity: config.identity,
        // client-go's proportions (15 s / 10 s / 2 s) at any lease duration.
        leaseDurationSeconds: config.leaseDurationSeconds,
        renewDeadlineMs: (config.leaseDurationSeconds * 1000 * 2) / 3,
        retryPeriodMs: (config.leaseDurationSeconds * 1000) / 7.5,
        logger,
        onStartedLeading: () => {
          leading = true;
          metrics.leader.set(1);
          logger.info({ identity: config.identity }, "became leader");
          startControllers();
        },
        onStoppedLeading: () => {
          // Another replica may already be reconciling: stop at once and exit so that a fresh
          // process rejoins the election, as controller-runtime does.
          metrics.leader.set(0);
          logger.error("lost leadership; cancelling reconciles in flight and exiting");
          void stopControllers(0)
            .then(() => http.close())
            .finally(() => {
              resolveFinished(1);
            });
        },
      })
    : undefined;
  if (!election) {
    // Without an election this replica reconciles, and says so as a leader would.
    metrics.leader.set(1);
    startControllers();
  }

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      logger.info({ graceMs: SHUTDOWN_GRACE_MS }, "shutting down: finishing reconciles in flight");
      // Bounded whatever hangs: the process ends before Kubernetes would kill it.
      const limit = setTimeout(() => {
        logger.error({ limitMs: SHUTDOWN_LIMIT_MS }, "shutdown did not finish in time; exiting");
        resolveFinished(1);
      }, SHUTDOWN_LIMIT_MS);
      limit.unref();
      await stopControllers(SHUTDOWN_GRACE_MS);
      await election?.stop({ release: true });
      await http.close();
      clearTimeout(limit);
      logger.info("shut down");
      resolveFinished(0);
    })();
    return shuttingDown;
  };

  return { httpPort: http.port, shutdown, finished };
}
