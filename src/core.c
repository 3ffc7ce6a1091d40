/*
** core.c: the loop object and luaopen_livestation_core.
**
** One ls_core per Lua state, kept in the registry: an event_base (the
** host's, when it embeds us with its own), the HTTP client and the task
** scheduler. A plain lua5.4 that requires the module gets a loop of its
** own; lsrun and other hosts create it first through livestation.h.
*/
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>

#include "core.h"
#include "ls_http.h"

#define LS_CORE_MT "livestation.core"
#define LS_VERSION "0.1.0"

ls_core *ls_core_get(lua_State *L) {
  ls_core *core;
  lua_getfield(L, LUA_REGISTRYINDEX, LS_CORE_KEY);
  core = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (core == NULL || core->base == NULL) luaL_error(L, "livestation.core is not open");
  return core;
}

int ls_core_pcall(ls_core *core, lua_CFunction f, void *ud) {
  lua_State *L = core->L;
  if (!lua_checkstack(L, 3)) return LUA_ERRMEM; /* nothing was pushed */
  lua_pushcfunction(L, f);
  lua_pushlightuserdata(L, ud);
  return lua_pcall(L, 1, 0, 0);
}

const char *ls_core_message(lua_State *L, int idx) {
  const char *msg = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : NULL;
  if (msg) return msg;
  if (lua_checkstack(L, 1)) {
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, idx));
    lua_replace(L, idx < 0 ? idx - 1 : idx);
    return lua_tostring(L, idx);
  }
  return "(error object is not a string)";
}

int ls_close_thread(lua_State *co, lua_State *from) {
#if LUA_VERSION_RELEASE_NUM >= 50406
  return lua_closethread(co, from);
#else
  (void)from;
  return lua_resetthread(co);
#endif
}

void ls_closable_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction close) {
  if (luaL_newmetatable(L, name)) {
    lua_newtable(L); /* luaL_newlib needs an array, not a pointer */
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, close);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, close);
    lua_setfield(L, -2, "__close");
  }
  lua_pop(L, 1);
}

int ls_seconds_tv(lua_Number s, struct timeval *tv) {
  if (!(s >= 0)) return 0; /* also NaN */
  if (s > LS_MAX_WAIT_S) s = LS_MAX_WAIT_S;
  tv->tv_sec = (time_t)s;
  tv->tv_usec = (suseconds_t)((s - (lua_Number)tv->tv_sec) * 1e6);
  if (tv->tv_usec > 999999) tv->tv_usec = 999999;
  return 1;
}

/* Frees in dependency order: tasks (and their I/O) first, then the HTTP
** client, then the loop. Idempotent, so __gc after an explicit close is
** harmless. */
static int core_gc(lua_State *L) {
  ls_core *core = luaL_checkudata(L, 1, LS_CORE_MT);
  if (core->base == NULL) return 0;
  core->closing = 1;
  ls_core_cancel_all(core);
  ls_http_free(core->http);
  core->http = NULL;
  if (core->ready_ev) event_free(core->ready_ev);
  core->ready_ev = NULL;
  luaL_unref(L, LUA_REGISTRYINDEX, core->error_handler_ref);
  core->error_handler_ref = LUA_NOREF;
  if (core->own_base) event_base_free(core->base);
  core->base = NULL;
  return 0;
}

/* The loop's own base, with epoll's changelist: curl stops watching a
** connection's socket when a transfer ends and watches it again when the
** next one starts, usually in the same turn of the loop, which then costs
** one epoll_ctl (or none) instead of a delete and an add. libevent retries
** a change on an fd that was closed and reopened as an add; the flag's
** one caveat, fds cloned by dup(), does not arise here. */
static struct event_base *new_base(void) {
  struct event_config *cfg = event_config_new();
  struct event_base *b;
  if (cfg == NULL) return NULL;
  event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  b = event_base_new_with_config(cfg);
  event_config_free(cfg);
  return b;
}

ls_core *ls_core_open(lua_State *L, struct event_base *base) {
  ls_core *core;
  lua_getfield(L, LUA_REGISTRYINDEX, LS_CORE_KEY);
  core = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (core) return core;
  core = lua_newuserdatauv(L, sizeof *core, 0);
  memset(core, 0, sizeof *core); /* closed until every piece exists */
  core->error_handler_ref = LUA_NOREF;
  if (luaL_newmetatable(L, LS_CORE_MT)) {
    lua_pushcfunction(L, core_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  core->L = lua_tothread(L, -1);
  lua_pop(L, 1);
  if (base == NULL) {
    base = new_base();
    if (base == NULL) luaL_error(L, "livestation: cannot create event loop");
    core->own_base = 1;
  }
  core->base = base;
  ls_task_init(core);
  core->http = ls_http_new(base);
  if (core->ready_ev == NULL || core->http == NULL) {
    lua_pop(L, 1);
    luaL_error(L, "livestation: cannot create the HTTP client");
  }
  lua_setfield(L, LUA_REGISTRYINDEX, LS_CORE_KEY);
  ls_task_open(L);
  ls_server_open(L);
  ls_util_open(L);
  ls_store_open(L);
  ls_pg_open(L);
  return core;
}

static void add_funcs(lua_State *L, const luaL_Reg *r) {
  for (; r->name; r++) {
    lua_pushcfunction(L, r->func);
    lua_setfield(L, -2, r->name);
  }
}

int luaopen_livestation_core(lua_State *L) {
  ls_core_open(L, NULL);
  lua_newtable(L);
  add_funcs(L, ls_task_funcs);
  add_funcs(L, ls_http_funcs);
  add_funcs(L, ls_server_funcs);
  add_funcs(L, ls_util_funcs);
  add_funcs(L, ls_json_funcs);
  add_funcs(L, ls_store_funcs);
  add_funcs(L, ls_notify_funcs);
  add_funcs(L, ls_pg_funcs);
  lua_pushliteral(L, LS_VERSION);
  lua_setfield(L, -2, "version");
  /* JSON's null: the NULL light userdata, the value lua-cjson uses too */
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "json_null");
  return 1;
}
