// The Grafana dashboard the chart ships (charts/ecs-operator/dashboards/ecs-operator.json, written by
// `make crds`): what a platform team looks at first when something goes wrong. Every panel's query
// returns data against a real Prometheus scraping the operator (test/integration/monitoring.test.ts).

/** A query of a panel, in PromQL with Grafana's variables ($job, $namespace, $__rate_interval, $__range). */
interface Query {
  expr: string;
  legend?: string;
}

interface PanelSpec {
  title: string;
  description: string;
  type: "timeseries" | "stat" | "table";
  queries: Query[];
  unit?: string;
  width: number;
  height?: number;
}

const DATASOURCE = { type: "prometheus", uid: "${datasource}" } as const;
/** Every series of the operator, of the replica(s) the dashboard looks at. */
const JOB = 'job=~"$job"';
/** The objects gauge is labelled with the object's namespace. */
const OBJECTS = `${JOB}, namespace=~"$namespace"`;
const RATE = "$__rate_interval";

const rows: { title: string; panels: PanelSpec[] }[] = [
  {
    title: "Objects",
    panels: [
      {
        title: "Objects not Ready",
        description: "Objects whose Ready condition is not True for their current spec. `kubectl get ecs -A` lists them with READY and REASON.",
        type: "stat",
        queries: [{ expr: `sum(ecs_operator_objects{${OBJECTS}, condition="Ready", status!="True"})` }],
        width: 4,
      },
      {
        title: "Objects by kind and readiness",
        description: "Every object the operator watches, by kind and the status of its Ready condition.",
        type: "timeseries",
        queries: [{ expr: `sum by (kind, status) (ecs_operator_objects{${OBJECTS}, condition="Ready"})`, legend: "{{kind}} Ready={{status}}" }],
        width: 10,
      },
      {
        title: "Not Ready: kind, namespace and reason",
        description: "Why objects are not Ready, now. `kubectl describe <kind> -n <namespace> <name>` shows the message and Events.",
        type: "table",
        queries: [{ expr: `sum by (kind, namespace, reason) (ecs_operator_objects{${OBJECTS}, condition="Ready", status!="True"})` }],
        width: 10,
      },
      {
        title: "Not Synced, by kind and reason",
        description: "Objects whose last reconcile did not apply their spec (Synced=False): InvalidSpec needs a person, AwsError and Throttled are retried.",
        type: "timeseries",
        queries: [{ expr: `sum by (kind, reason) (ecs_operator_objects{${OBJECTS}, condition="Synced", status="False"})`, legend: "{{kind}} {{reason}}" }],
        width: 24,
        height: 7,
      },
    ],
  },
  {
    title: "Reconciles",
    panels: [
      {
        title: "Reconciles by kind and result",
        description: "Reconciles per second: success, waiting (for something outside the operator's view) and error.",
        type: "timeseries",
        queries: [{ expr: `sum by (kind, result) (rate(ecs_operator_reconcile_total{${JOB}}[${RATE}]))`, legend: "{{kind}} {{result}}" }],
        unit: "ops",
        width: 8,
      },
      {
        title: "Reconcile errors by kind and class",
        description: "Failed reconciles per second: terminal (not retried until the spec changes), retryable and throttled.",
        type: "timeseries",
        queries: [{ expr: `sum by (kind, class) (rate(ecs_operator_reconcile_errors_total{${JOB}}[${RATE}]))`, legend: "{{kind}} {{class}}" }],
        unit: "ops",
        width: 8,
      },
      {
        title: "Reconcile latency",
        description: "Time one reconcile takes, percentiles over all kinds; throttled AWS calls that back off show here first.",
        type: "timeseries",
        queries: [0.5, 0.9, 0.99].map((q) => ({
          expr: `histogram_quantile(${q}, sum by (le) (rate(ecs_operator_reconcile_duration_seconds_bucket{${JOB}}[${RATE}])))`,
          legend: `p${q * 100}`,
        })),
        unit: "s",
        width: 8,
      },
      {
        title: "Reconcile latency p99 by kind",
        description: "The 99th percentile of one reconcile's duration, by kind.",
        type: "timeseries",
        queries: [{ expr: `histogram_quantile(0.99, sum by (kind, le) (rate(ecs_operator_reconcile_duration_seconds_bucket{${JOB}}[${RATE}])))`, legend: "{{kind}}" }],
        unit: "s",
        width: 8,
      },
      {
        title: "Work queue depth and retries",
        description: "Keys waiting in each kind's work queue, and keys put back with backoff per second.",
        type: "timeseries",
        queries: [
          { expr: `sum by (kind) (ecs_operator_workqueue_depth{${JOB}})`, legend: "{{kind}} depth" },
          { expr: `sum by (kind) (rate(ecs_operator_workqueue_retries_total{${JOB}}[${RATE}]))`, legend: "{{kind}} retries/s" },
        ],
        width: 8,
      },
      {
        title: "Status writes by kind",
        description: "Writes to the status subresource per second; flat once everything has converged.",
        type: "timeseries",
        queries: [{ expr: `sum by (kind) (rate(ecs_operator_status_writes_total{${JOB}}[${RATE}]))`, legend: "{{kind}}" }],
        unit: "ops",
        width: 8,
      },
    ],
  },
  {
    title: "AWS",
    panels: [
      {
        title: "AWS calls by operation",
        description: "AWS API calls per second (each SDK attempt), by service and operation.",
        type: "timeseries",
        queries: [{ expr: `sum by (service, operation) (rate(ecs_operator_aws_calls_total{${JOB}}[${RATE}]))`, legend: "{{service}}:{{operation}}" }],
        unit: "reqps",
        width: 8,
      },
      {
        title: "AWS throttled calls by operation",
        description: "Calls AWS answered with a throttling error, per second. Sustained throttling: another client shares the account's quota, or aws.rateOverrides is above it.",
        type: "timeseries",
        queries: [{ expr: `sum by (service, operation) (rate(ecs_operator_aws_calls_total{${JOB}, outcome="throttled"}[${RATE}]))`, legend: "{{service}}:{{operation}}" }],
        unit: "reqps",
        width: 8,
      },
      {
        title: "AWS errors by operation",
        description: "Calls AWS answered with an error other than throttling, per second (rejected input, missing resources, faults).",
        type: "timeseries",
        queries: [{ expr: `sum by (service, operation) (rate(ecs_operator_aws_calls_total{${JOB}, outcome="error"}[${RATE}]))`, legend: "{{service}}:{{operation}}" }],
        unit: "reqps",
        width: 8,
      },
    ],
  },
  {
    title: "Operator",
    panels: [
      {
        title: "Leader",
        description: "Replicas holding the leader lease: 1 is healthy, 0 means nothing is reconciled.",
        type: "stat",
        queries: [{ expr: `sum(ecs_operator_leader{${JOB}})` }],
        width: 4,
      },
      {
        title: "Process restarts",
        description: "Times each replica's process started anew in the dashboard's time range.",
        type: "stat",
        queries: [{ expr: `sum by (instance) (changes(process_start_time_seconds{${JOB}}[$__range]))`, legend: "{{instance}}" }],
        width: 4,
      },
      {
        title: "Watch restarts by resource",
        description: "Watches of the API server restarted after an error or expiry; climbing means the API server or the network in between is in trouble.",
        type: "timeseries",
        queries: [{ expr: `sum by (resource) (increase(ecs_operator_watch_restarts_total{${JOB}}[${RATE}]))`, legend: "{{resource}}" }],
        width: 8,
      },
      {
        title: "Process memory",
        description: "Resident memory and V8 heap in use per replica (the chart's default limit is 384Mi).",
        type: "timeseries",
        queries: [
          { expr: `process_resident_memory_bytes{${JOB}}`, legend: "{{instance}} resident" },
          { expr: `nodejs_heap_size_used_bytes{${JOB}}`, legend: "{{instance}} heap used" },
        ],
        unit: "bytes",
        width: 8,
      },
      {
        title: "Process CPU",
        description: "CPU used per replica, in cores.",
        type: "timeseries",
        queries: [{ expr: `rate(process_cpu_seconds_total{${JOB}}[${RATE}])`, legend: "{{instance}}" }],
        width: 8,
      },
    ],
  },
];

/** The dashboard as Grafana's JSON model; panels laid out left to right, rows top to bottom. */
export function dashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    panels.push({ id: id++, type: "row", title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    let x = 0;
    let rowHeight = 0;
    for (const panel of row.panels) {
      const h = panel.height ?? 8;
      if (x + panel.width > 24) {
        x = 0;
        y += rowHeight;
        rowHeight = 0;
      }
      panels.push(renderPanel(panel, id++, { h, w: panel.width, x, y }));
      x += panel.width;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return {
    title: "ECS operator",
    uid: "ecs-operator",
    description: "Objects by kind and readiness, reconciles, AWS calls and the operator process (ecs-operator Helm chart).",
    tags: ["ecs-operator", "kubernetes", "aws"],
    editable: true,
    schemaVersion: 39,
    version: 1,
    graphTooltip: 1,
    refresh: "30s",
    time: { from: "now-3h", to: "now" },
    timezone: "",
    templating: {
      list: [
        { name: "datasource", label: "Data source", type: "datasource", query: "prometheus", hide: 0, current: {} },
        {
          name: "job",
          label: "Job",
          type: "query",
          datasource: DATASOURCE,
          query: { query: "label_values(ecs_operator_leader, job)", refId: "job" },
          definition: "label_values(ecs_operator_leader, job)",
          refresh: 2,
          includeAll: false,
          multi: false,
          hide: 0,
          current: {},
        },
        {
          name: "namespace",
          label: "Namespace of the objects",
          type: "query",
          datasource: DATASOURCE,
          query: { query: 'label_values(ecs_operator_objects{job=~"$job"}, namespace)', refId: "namespace" },
          definition: 'label_values(ecs_operator_objects{job=~"$job"}, namespace)',
          refresh: 2,
          includeAll: true,
          allValue: ".*",
          multi: true,
          hide: 0,
          current: {},
        },
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

function renderPanel(panel: PanelSpec, id: number, gridPos: { h: number; w: number; x: number; y: number }): Record<string, unknown> {
  const refId = (i: number): string => String.fromCharCode(65 + i);
  const table = panel.type === "table";
  const targets = panel.queries.map((q, i) => ({
    refId: refId(i),
    datasource: DATASOURCE,
    expr: q.expr,
    ...(q.legend ? { legendFormat: q.legend } : {}),
    ...(table ? { instant: true, range: false, format: "table" } : {}),
  }));
  const defaults = { ...(panel.unit ? { unit: panel.unit } : {}), ...(panel.type === "stat" ? { noValue: "0" } : {}) };
  const options =
    panel.type === "timeseries"
      ? { legend: { displayMode: "table", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } }
      : panel.type === "stat"
        ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "value", graphMode: "area" }
        : { showHeader: true, sortBy: [{ displayName: "objects", desc: true }] };
  return {
    id,
    type: panel.type,
    title: panel.title,
    description: panel.description,
    datasource: DATASOURCE,
    gridPos,
    targets,
    fieldConfig: { defaults, overrides: [] },
    options,
    ...(table ? { transformations: [{ id: "organize", options: { excludeByName: { Time: true }, renameByName: { Value: "objects" } } }] } : {}),
  };
}
