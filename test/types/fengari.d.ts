// The small part of fengari (a Lua 5.3 VM in JavaScript) the Argo CD health tests use.
declare module "fengari" {
  export type LuaState = object;
  export type LuaString = Uint8Array;
  export type LuaJsFunction = (L: LuaState) => number;
  export interface LuaDebug {
    event: number;
    source: LuaString | null;
    currentline: number;
    /** 0 for the main chunk. */
    lastlinedefined: number;
  }
  export const lua: {
    LUA_OK: number;
    LUA_MULTRET: number;
    LUA_TNIL: number;
    LUA_TSTRING: number;
    LUA_TTABLE: number;
    LUA_HOOKLINE: number;
    LUA_HOOKCOUNT: number;
    LUA_MASKCALL: number;
    LUA_MASKLINE: number;
    LUA_MASKCOUNT: number;
    lua_call(L: LuaState, nargs: number, nresults: number): void;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_gettop(L: LuaState): number;
    lua_type(L: LuaState, index: number): number;
    lua_typename(L: LuaState, type: number): LuaString;
    lua_getfield(L: LuaState, index: number, key: LuaString): number;
    lua_tojsstring(L: LuaState, index: number): string;
    lua_tointeger(L: LuaState, index: number): number;
    lua_pop(L: LuaState, n: number): void;
    lua_next(L: LuaState, index: number): number;
    lua_pushnil(L: LuaState): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: LuaString): void;
    lua_pushcfunction(L: LuaState, f: LuaJsFunction): void;
    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_rawset(L: LuaState, index: number): void;
    lua_rawseti(L: LuaState, index: number, i: number): void;
    lua_setglobal(L: LuaState, name: LuaString): void;
    lua_sethook(L: LuaState, hook: (L: LuaState, ar: LuaDebug) => void, mask: number, count: number): void;
    lua_getinfo(L: LuaState, what: LuaString, ar: LuaDebug): number;
  };
  export const lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadstring(L: LuaState, source: LuaString): number;
    luaL_loadbufferx(L: LuaState, buffer: LuaString, size: number, chunkname: LuaString, mode: LuaString): number;
    luaL_requiref(L: LuaState, modname: LuaString, open: LuaJsFunction, global: number): void;
    luaL_error(L: LuaState, message: LuaString): never;
  };
  export const lualib: {
    luaL_openlibs(L: LuaState): void;
    luaopen_base: LuaJsFunction;
    luaopen_package: LuaJsFunction;
    luaopen_table: LuaJsFunction;
    luaopen_os: LuaJsFunction;
  };
  export function to_luastring(s: string): LuaString;
  export function to_jsstring(s: LuaString): string;
}
