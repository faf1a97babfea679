import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildOnce, cacheDir, repoRoot } from "./paths.js";
import { freePort, startProcess, waitUntil } from "./processes.js";

/** Pinned: moto's behaviour differs between releases and the tests encode its quirks. */
export const MOTO_VERSION = "5.2.5";

/** What the venv holds: moto's server, and pytest for the ecs_motion layer's own tests. */
export const VENV_PACKAGES = [`moto[server]==${MOTO_VERSION}`, "pytest==8.3.5"];

export interface Moto {
  readonly version: string;
  readonly url: string;
  stop(): Promise<void>;
}

/** Creates the venv once per package list and Python version, in the user cache; the key names
 * moto's version and hashes the whole list, so a change of what is installed makes a new venv. */
export function ensureMotoVenv(log: (line: string) => void = () => undefined): string {
  const python = process.env.PYTHON ?? "python3";
  const pyVersion = execFileSync(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" }).trim();
  const packagesHash = createHash("sha256").update(VENV_PACKAGES.join("\n")).digest("hex").slice(0, 8);
  const dir = join(cacheDir("moto"), `${MOTO_VERSION}-py${pyVersion}-${packagesHash}`);
  buildOnce(dir, (d) => existsSync(join(d, "bin", "python")), (staging) => {
    log(`installing ${VENV_PACKAGES.join(", ")} from PyPI into ${dir} (first run only)`);
    execFileSync(python, ["-m", "venv", staging], { stdio: "inherit" });
    execFileSync(join(staging, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", ...VENV_PACKAGES], { stdio: "inherit" });
  });
  // The venv's interpreter finds its packages relative to itself, so it works after the rename;
  // its console scripts would not (their shebangs name the staging path), so none is used.
  return join(dir, "bin", "python");
}

export async function startMoto(opts: { log?: (line: string) => void } = {}): Promise<Moto> {
  const python = ensureMotoVenv(opts.log);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(mkdtempSync(join(tmpdir(), "ecs-operator-moto-")), "moto.log");
  // moto_server.py installs the ecs_motion layer (docs/local-aws.md): services run tasks and roll.
  // No bytecode files: the layer's sources live in the work tree.
  const proc = startProcess("moto", python, [join(repoRoot, "test/env/moto_server.py"), "-H", "127.0.0.1", "-p", String(port)], logFile, { PYTHONDONTWRITEBYTECODE: "1" });
  await waitUntil("moto", async () => (await fetch(`${url}/moto-api/data.json`)).ok, { timeoutMs: 60_000, process: proc, logFile });
  // Report what is installed rather than what was asked for, so the test log is evidence.
  const version = execFileSync(python, ["-c", "import importlib.metadata as m; print(m.version('moto'))"], { encoding: "utf8" }).trim();
  return { version, url, stop: () => proc.stop() };
}
