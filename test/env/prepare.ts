// Builds or finds everything the local stack needs, with progress on the terminal, so that the
// slow first run happens visibly before the tests start rather than silently inside them.
import { ensureControlPlaneBinaries } from "./controlplane-build.js";
import { ensureMotoVenv } from "./moto.js";
import { ensurePrometheusBinaries } from "./prometheus-build.js";
import { ensureTools } from "./tools.js";

const log = (line: string): void => {
  process.stdout.write(`[prepare] ${line}\n`);
};
const binaries = ensureControlPlaneBinaries(log);
log(`kube-apiserver and etcd for Kubernetes ${binaries.version}: ${binaries.kubeApiserver}`);
log(`moto: ${ensureMotoVenv(log)}`);
const prometheus = ensurePrometheusBinaries(log);
log(`prometheus and promtool ${prometheus.version}: ${prometheus.prometheus}`);
const tools = ensureTools();
log(`kubectl: ${tools.kubectl}, helm: ${tools.helm}`);
