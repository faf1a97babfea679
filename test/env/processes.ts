import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** The launcher's pid, read by each child to die with it (see controlplane/internal/lifeline and
 * moto_server.py): a test runner killed with SIGKILL must not leave servers behind. */
export const PARENT_PID_ENV = "ECS_OPERATOR_PARENT_PID";

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolvePort(address.port);
        else reject(new Error("no port allocated"));
      });
    });
  });
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited, whatever the reason. */
  readonly exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
}

/** Starts a server process with its output in a log file and a lifeline to this process. */
export function startProcess(name: string, command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}): ManagedProcess {
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env, [PARENT_PID_ENV]: String(process.pid) },
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<number | null>((resolveExit) => {
    child.once("exit", (code) => {
      resolveExit(code);
    });
    child.once("error", () => {
      resolveExit(null);
    });
  });
  return {
    name,
    child,
    exited,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** Polls `probe` until it returns true, failing early if the process dies, with its log path in the error. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, opts: { timeoutMs: number; process?: ManagedProcess; logFile?: string }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const state = { dead: false };
  void opts.process?.exited.then(() => {
    state.dead = true;
  });
  for (;;) {
    if (state.dead) throw new Error(`${what}: process exited during start-up; see ${opts.logFile ?? "its log"}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${opts.timeoutMs} ms; see ${opts.logFile ?? "its log"}`);
    await sleep(100);
  }
}
