import { KubeConfig } from "@kubernetes/client-node";
import { pino, type Logger } from "pino";
import { GROUP, VERSION } from "./api/common.js";
import { createAwsClients } from "./aws/clients.js";
import { instrumentClient } from "./aws/instrument.js";
import { limitClient, type TokenBucket } from "./aws/rate-limits.js";
import type { OperatorConfig } from "./config.js";
import { referrersCanSee } from "./controllers/dependencies.js";
import { registrations, type KindRegistration, type Lookup } from "./controllers/index.js";
import { startController, type Controller } from "./runtime/controller.js";
import type { ManagedObject } from "./runtime/driver.js";
import { kubeEventRecorder } from "./runtime/events.js";
import { reuseConnections } from "./runtime/kube-connections.js";
import { startHttpServer } from "./runtime/http.js";
import { startLeaderElection } from "./runtime/leader.js";
import { createMetrics } from "./runtime/metrics.js";
import { ReferenceIndex, type ObjectRef } from "./runtime/references.js";

export interface RunningOperator {
  readonly httpPort: number;
  /** Graceful: stop taking work, finish reconciles in flight, release the lease. */
  shutdown(): Promise<void>;
  /** Resolves with the exit code the process should end with. */
  readonly finished: Promise<number>;
}

export async function startOperator(config: OperatorConfig, logger: Logger = pino({ level: config.logLevel })): Promise<RunningOperator> {
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
  else kubeConfig.loadFromDefault();
  reuseConnections(kubeConfig);

  const metrics = createMetrics();
  const clients = createAwsClients({ region: config.region, ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}) });
  const observe = ({ service, operation, outcome }: { service: string; operation: string; outcome: "success" | "error" | "throttled" }): void => {
    metrics.awsCallsTotal.inc({ service, operation, outcome });
  };
  // Gentle with AWS (docs/design.md, promise 8): every call waits for a token of its API class, below AWS's rates.
  const rates = config.awsRates;
  const buckets = new Map<string, TokenBucket>();
  for (const [service, client] of [["ecs", clients.ecs], ["elasticloadbalancing", clients.elbv2], ["servicediscovery", clients.serviceDiscovery]] as const) {
    instrumentClient(client, service, observe);
    limitClient(client, service, buckets, rates);
  }

  const events = kubeEventRecorder(kubeConfig, logger);
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
  const wake = (ref: ObjectRef): void => {
    controllers.get(ref.kind)?.enqueue(`${ref.namespace}/${ref.name}`);
  };
  const refOf = (obj: ManagedObject): ObjectRef => ({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });
  /** Keeps the reference index current and wakes whoever depends on a changed object. */
  const onObjectChange = (registration: KindRegistration) => (obj: ManagedObject, removed: boolean, previous?: ManagedObject) => {
    const self = refOf(obj);
    if (removed) references.remove(self).forEach(wake);
    else if (registration.references) references.set(self, registration.references(obj));
    if (removed || referrersCanSee(registration.referencedStatusFields, obj, previous)) references.referrersOf(self).forEach(wake);
  };
  const blockingReferrers = (obj: ManagedObject): string[] =>
    references.referrersOf(refOf(obj)).filter((r) => lookup.get(r.kind, r.namespace, r.name) !== undefined).map((r) => `${r.kind} ${r.namespace}/${r.name}`);

  const startControllers = (): void => {
    let allSynced!: () => void;
    const startAfter = new Promise<void>((resolve) => {
      allSynced = resolve;
    });
    for (const registration of registrations) {
      const { definition } = registration;
      controllers.set(
        definition.kind,
        startController({
          kind: definition.kind,
          resource: { group: GROUP, version: VERSION, plural: definition.plural },
          driver: registration.driver(clients, lookup, { resyncMs: config.resyncSeconds * 1000 }),
          kubeConfig,
          namespaces: config.namespaces,
          workers: config.workers,
          resyncMs: config.resyncSeconds * 1000,
          defaultDeletionPolicy: config.defaultDeletionPolicy,
          logger,
          metrics,
          events,
          onObjectChange: onObjectChange(registration),
          blockingReferrers,
          startAfter,
        }),
      );
    }
    void Promise.all([...controllers.values()].map((c) => c.waitForSync())).then(allSynced, (err: unknown) => {
      logger.error({ err }, "caches did not sync");
    });
    logger.info({ kinds: [...controllers.keys()], namespaces: config.namespaces.length > 0 ? config.namespaces : "all" }, "controllers started");
  };

  const stopControllers = async (): Promise<void> => {
    await Promise.all([...controllers.values()].map((c) => c.stop()));
  };

  const http = await startHttpServer({
    port: config.httpPort,
    metrics,
    // A standby is ready: it is healthy and waiting; readiness must not flap with leadership.
    ready: () => !leading || [...controllers.values()].every((c) => c.hasSynced()),
  });

  const election = config.leaderElection
    ? startLeaderElection({
        kubeConfig,
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
          logger.error("lost leadership; exiting");
          void stopControllers()
            .then(() => http.close())
            .finally(() => {
              resolveFinished(1);
            });
        },
      })
    : undefined;
  if (!election) startControllers();

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      logger.info("shutting down: finishing reconciles in flight");
      await stopControllers();
      await election?.stop({ release: true });
      await http.close();
      logger.info("shut down");
      resolveFinished(0);
    })();
    return shuttingDown;
  };

  return { httpPort: http.port, shutdown, finished };
}
