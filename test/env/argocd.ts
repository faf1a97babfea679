import { lauxlib, lua, lualib, to_luastring } from "fengari";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

export const healthScript = readFileSync(join(repoRoot, "docs/argocd/health.lua"), "utf8");

/** JSON to a Lua table constructor, so the object reaches the script as Argo CD passes it. */
function luaLiteral(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `{${value.map(luaLiteral).join(", ")}}`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `[${JSON.stringify(k)}] = ${luaLiteral(v)}`).join(", ")}}`;
}

/** Runs the health script in a Lua VM (Argo CD runs gopher-lua; the script keeps to the common subset). */
export function argoHealth(obj: unknown): { status: string; message: string } {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  const source = `local obj = ${luaLiteral(obj)}\nlocal function health()\n${healthScript}\nend\nlocal hs = health()\nreturn hs.status, hs.message or ""`;
  if (lauxlib.luaL_loadstring(L, to_luastring(source)) !== lua.LUA_OK) throw new Error(lua.lua_tojsstring(L, -1));
  if (lua.lua_pcall(L, 0, 2, 0) !== lua.LUA_OK) throw new Error(lua.lua_tojsstring(L, -1));
  return { status: lua.lua_tojsstring(L, -2), message: lua.lua_tojsstring(L, -1) };
}
