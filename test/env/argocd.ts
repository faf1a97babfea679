import { lauxlib, lua, lualib, to_jsstring, to_luastring, type LuaDebug, type LuaState } from "fengari";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

export const healthScript = readFileSync(join(repoRoot, "docs/argocd/health.lua"), "utf8");

/** What Argo CD reads from the table a health script returns (gitops-engine's HealthStatus). */
export interface ArgoHealth {
  status: string;
  message: string;
  /** Shown by Argo CD ≥ 3.6 for an object being deleted; absent when the script sets none. */
  deletionMessage?: string;
}

/** Lines of a script that the VM knows to hold code, and those that ran. */
export class LineCoverage {
  readonly active = new Set<number>();
  readonly executed = new Set<number>();
  missed(): number[] {
    return [...this.active].filter((line) => !this.executed.has(line)).sort((a, b) => a - b);
  }
}

export interface RunOptions {
  /**
   * Argo CD's `resource.customizations.useOpenLibs.<group>_<kind>: true`: every standard library.
   * Our argocd-cm does not set it, so the shipped script must not need it.
   */
  openLibs?: boolean;
  coverage?: LineCoverage;
}

const VALID_STATUS = new Set(["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"]);
const CHUNK = "=health.lua";
/** Argo CD gives a script one second (a context deadline on the gopher-lua state). */
const DEADLINE_MS = 1000;

/**
 * Runs a health script as Argo CD runs a custom one from argocd-cm (argoproj/argo-cd
 * util/lua/lua.go, `runLua` and `ExecuteHealthLua`), in fengari (Lua 5.3) where Argo CD has
 * gopher-lua (Lua 5.1):
 * - only the base, package and table libraries are open: no `string`, `math`, `io`, `debug`,
 *   `coroutine`, and no string metatable, so `("x"):format()` fails as `string.format` does
 *   (gopher-lua sets that metatable only in OpenString, which Argo CD never calls);
 * - Argo CD's "safe os" (util/lua/oslib_safe.go) is reachable only as `require("os")` and has
 *   `time` and `date` only: its OpenSafeOs registers into the already-loaded `table` module, which
 *   gopher-lua's RegisterModule returns unchanged, so the global `os` stays nil;
 * - where Lua 5.1 and 5.3 differ, only what both have is left (no `rawlen`, `unpack`,
 *   `table.unpack`, `table.pack`, `table.move`, `table.getn`, `table.maxn`, `getfenv`, ...);
 * - `obj` is a global; the chunk's returned table is read as Argo CD decodes it: an error, a
 *   non-table, a non-string field or an unknown status gives `Unknown`, as Argo CD shows it.
 * Lua 5.3-only syntax (`//`, bitwise operators) would still parse here; the script has none.
 */
export function runHealthScript(script: string, obj: unknown, options: RunOptions = {}): ArgoHealth {
  const L = lauxlib.luaL_newstate();
  if (options.openLibs) lualib.luaL_openlibs(L);
  else openArgoCdLibraries(L);
  installHook(L, options.coverage);
  pushJson(L, obj);
  lua.lua_setglobal(L, to_luastring("obj"));
  const script_ = to_luastring(script);
  if (lauxlib.luaL_loadbufferx(L, script_, script_.length, to_luastring(CHUNK), to_luastring("t")) !== lua.LUA_OK) return unknown(lua.lua_tojsstring(L, -1));
  if (lua.lua_pcall(L, 0, lua.LUA_MULTRET, 0) !== lua.LUA_OK) return unknown(lua.lua_tojsstring(L, -1));
  if (lua.lua_gettop(L) === 0 || lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
    return unknown(`expect table output from Lua script, not ${lua.lua_gettop(L) === 0 ? "nil" : to_jsstring(lua.lua_typename(L, lua.lua_type(L, -1)))}`);
  }
  const fields: Partial<Record<keyof ArgoHealth, string>> = {};
  for (const key of ["status", "message", "deletionMessage"] as const) {
    const type = lua.lua_getfield(L, -1, to_luastring(key));
    if (type === lua.LUA_TSTRING) fields[key] = lua.lua_tojsstring(L, -1);
    else if (type !== lua.LUA_TNIL) return unknown(`json: cannot unmarshal ${to_jsstring(lua.lua_typename(L, type))} into Go struct field HealthStatus.${key} of type string`);
    lua.lua_pop(L, 1);
  }
  if (fields.status === undefined || !VALID_STATUS.has(fields.status)) return unknown("Lua returned an invalid health status");
  return { status: fields.status, message: fields.message ?? "", ...(fields.deletionMessage !== undefined ? { deletionMessage: fields.deletionMessage } : {}) };
}

/** The shipped docs/argocd/health.lua, run as Argo CD runs it. */
export function argoHealth(obj: unknown, options: RunOptions = {}): ArgoHealth {
  return runHealthScript(healthScript, obj, options);
}

function unknown(message: string): ArgoHealth {
  return { status: "Unknown", message };
}

const SANDBOX_PRELUDE = `
local os_lib = ...
-- In gopher-lua only: getfenv, setfenv, loadstring, module, newproxy, unpack (never opened here).
rawlen = nil
table.move, table.pack, table.unpack = nil, nil, nil
local time, date = os_lib.time, os_lib.date
package.preload.os = function() return { time = time, date = date } end
`;

function openArgoCdLibraries(L: LuaState): void {
  for (const [name, open] of [
    ["_G", lualib.luaopen_base],
    ["package", lualib.luaopen_package],
    ["table", lualib.luaopen_table],
  ] as const) {
    lauxlib.luaL_requiref(L, to_luastring(name), open, 1);
    lua.lua_pop(L, 1);
  }
  if (lauxlib.luaL_loadstring(L, to_luastring(SANDBOX_PRELUDE)) !== lua.LUA_OK) throw new Error(lua.lua_tojsstring(L, -1));
  // The full os library, opened as a value only: neither a global nor in package.loaded.
  lua.lua_pushcfunction(L, lualib.luaopen_os);
  lua.lua_call(L, 0, 1);
  lua.lua_call(L, 1, 0);
}

/** Enforces the deadline and, when asked, records which lines of the script hold code and which ran. */
function installHook(L: LuaState, coverage: LineCoverage | undefined): void {
  const deadline = Date.now() + DEADLINE_MS;
  const mask = lua.LUA_MASKCOUNT | (coverage ? lua.LUA_MASKCALL | lua.LUA_MASKLINE : 0);
  lua.lua_sethook(
    L,
    (state: LuaState, ar: LuaDebug) => {
      if (ar.event === lua.LUA_HOOKCOUNT) {
        if (Date.now() > deadline) lauxlib.luaL_error(state, to_luastring("context deadline exceeded"));
        return;
      }
      if (!coverage) return;
      lua.lua_getinfo(state, to_luastring(ar.event === lua.LUA_HOOKLINE ? "S" : "SL"), ar);
      const ours = ar.source !== null && to_jsstring(ar.source) === CHUNK;
      if (ar.event === lua.LUA_HOOKLINE) {
        if (ours) coverage.executed.add(ar.currentline);
        return;
      }
      // A call: the function's lines with code, as the keys of the table getinfo pushed, less a
      // function's `end` line, whose implicit return never runs after an explicit one.
      if (lua.lua_type(state, -1) === lua.LUA_TTABLE) {
        lua.lua_pushnil(state);
        while (lua.lua_next(state, -2) !== 0) {
          const line = lua.lua_tointeger(state, -2);
          if (ours && line !== ar.lastlinedefined) coverage.active.add(line);
          lua.lua_pop(state, 1);
        }
      }
      lua.lua_pop(state, 1);
    },
    mask,
    1000,
  );
}

/** A JSON value as Argo CD's decodeValue builds it: arrays from 1, null as nil. */
function pushJson(L: LuaState, value: unknown): void {
  if (value === null || value === undefined) lua.lua_pushnil(L);
  else if (typeof value === "boolean") lua.lua_pushboolean(L, value);
  else if (typeof value === "number") {
    // gopher-lua prints 2.0 as "2"; Lua 5.3 does so only for an integer.
    if (Number.isInteger(value) && Math.abs(value) < 2 ** 31) lua.lua_pushinteger(L, value);
    else lua.lua_pushnumber(L, value);
  } else if (typeof value === "string") lua.lua_pushstring(L, to_luastring(value));
  else if (Array.isArray(value)) {
    lua.lua_createtable(L, value.length, 0);
    value.forEach((item: unknown, i) => {
      pushJson(L, item);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    lua.lua_createtable(L, 0, entries.length);
    for (const [key, item] of entries) {
      lua.lua_pushstring(L, to_luastring(key));
      pushJson(L, item);
      lua.lua_rawset(L, -3);
    }
  } else throw new Error(`not a JSON value: ${typeof value}`);
}
