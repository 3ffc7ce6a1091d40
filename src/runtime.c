/*
** runtime.c: the embedding API (livestation.h) over the core.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <lualib.h>

#include "core.h"
#include "livestation.h"

/* the installed Lua side; the Makefile passes $(PREFIX)/share/livestation */
#ifndef LS_DATADIR
#define LS_DATADIR "/usr/local/share/livestation"
#endif

struct ls_runtime {
  lua_State *L;
  ls_core *core;
  char error[512];
};

static void set_error(ls_runtime *rt, const char *msg) {
  snprintf(rt->error, sizeof rt->error, "%s", msg ? msg : "unknown error");
}

/* package.path gets root/lua first, so the checkout wins over any copy
** installed elsewhere; the system paths stay for cjson and friends. */
static int setup(lua_State *L) {
  const char *root = lua_touserdata(L, 1);
  struct event_base *base = lua_touserdata(L, 2);
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  if (root) {
    lua_pushfstring(L, "%s/lua/?.lua;%s/lua/?/init.lua;", root, root);
    lua_getfield(L, -2, "path");
    lua_concat(L, 2);
    lua_setfield(L, -2, "path");
    lua_pushstring(L, root);
    lua_setfield(L, LUA_REGISTRYINDEX, "livestation.root");
  }
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_livestation_core);
  lua_setfield(L, -2, "livestation.core");
  lua_pop(L, 2);
  ls_core_open(L, base);
  return 0;
}

ls_runtime *ls_runtime_new(const char *root, struct event_base *base) {
  ls_runtime *rt = calloc(1, sizeof *rt);
  if (rt == NULL) return NULL;
  if (root == NULL) root = getenv("LIVESTATION_HOME");
  if (root == NULL) root = LS_DATADIR;
  rt->L = luaL_newstate();
  if (rt->L == NULL) { free(rt); return NULL; }
  lua_pushcfunction(rt->L, setup);
  lua_pushlightuserdata(rt->L, (void *)root);
  lua_pushlightuserdata(rt->L, base);
  if (lua_pcall(rt->L, 2, 0, 0) != LUA_OK) {
    fprintf(stderr, "livestation: %s\n", lua_tostring(rt->L, -1));
    lua_close(rt->L);
    free(rt);
    return NULL;
  }
  rt->core = ls_core_get(rt->L);
  return rt;
}

lua_State *ls_runtime_state(ls_runtime *rt) { return rt->L; }

void ls_runtime_preload(ls_runtime *rt, const char *name, lua_CFunction open) {
  lua_State *L = rt->L;
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, open);
  lua_setfield(L, -2, name);
  lua_pop(L, 2);
}

/* Queues the loaded chunk on top of the stack as a task with n args. */
static int spawn_chunk(ls_runtime *rt, int nargs) {
  ls_task_spawn(rt->L, rt->core, nargs);
  lua_pop(rt->L, 1);
  return 0;
}

int ls_runtime_spawn_file(ls_runtime *rt, const char *path, int argc,
                          char **argv) {
  lua_State *L = rt->L;
  int i;
  rt->error[0] = '\0';
  if (luaL_loadfile(L, path) != LUA_OK) {
    set_error(rt, lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
  }
  lua_createtable(L, argc, 1);
  lua_pushstring(L, path ? path : "-");
  lua_rawseti(L, -2, 0);
  for (i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setglobal(L, "arg");
  luaL_checkstack(L, argc, "too many arguments");
  for (i = 0; i < argc; i++) lua_pushstring(L, argv[i]);
  return spawn_chunk(rt, argc);
}

int ls_runtime_spawn_string(ls_runtime *rt, const char *code, const char *name) {
  lua_State *L = rt->L;
  rt->error[0] = '\0';
  if (luaL_loadbuffer(L, code, strlen(code), name ? name : "=(string)") != LUA_OK) {
    set_error(rt, lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
  }
  return spawn_chunk(rt, 0);
}

/* The chunk that opens the store: livestation.schedule's open(). */
static const char open_state[] =
  "local location = ...\n"
  "return require('livestation.schedule').open(location)\n";

int ls_runtime_set_state(ls_runtime *rt, const char *location) {
  lua_State *L = rt->L;
  rt->error[0] = '\0';
  if (luaL_loadbuffer(L, open_state, sizeof open_state - 1, "=set_state") != LUA_OK) {
    set_error(rt, lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
  }
  lua_pushstring(L, location);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) { /* the message names no password */
    set_error(rt, lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
  }
  return 0;
}

int ls_runtime_run(ls_runtime *rt) {
  ls_core_run(rt->core);
  return rt->core->failed_tasks;
}

int ls_runtime_step(ls_runtime *rt, int nonblock) {
  if (!ls_core_alive(rt->core)) return 0;
  rt->core->in_loop++;
  event_base_loop(rt->core->base, EVLOOP_ONCE | (nonblock ? EVLOOP_NONBLOCK : 0));
  rt->core->in_loop--;
  return ls_core_alive(rt->core);
}

const char *ls_runtime_error(ls_runtime *rt) { return rt->error; }

void ls_runtime_free(ls_runtime *rt) {
  if (rt == NULL) return;
  lua_close(rt->L);
  free(rt);
}
