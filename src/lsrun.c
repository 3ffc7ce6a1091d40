/*
** lsrun.c: the host, a thin one over the embedding API (livestation.h)
** as lua.c is over liblua. main only finds the checkout, creates the
** runtime and protected-calls pmain. The Lua side (lsrun.host) reads the
** command line and answers with an exit status or a plan; the script of
** a plan is loaded and queued through ls_runtime_spawn_*, the loop runs
** through ls_runtime_run, and the plan's finish turns the outcome into
** the exit status. Errors print as "lsrun: message" and set the status.
*/
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>

#include "livestation.h"

#ifndef LS_DATADIR
#define LS_DATADIR "/usr/local/share/livestation"
#endif

static const char *progname = "lsrun";

static int has_lua_side(const char *dir) {
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/lua/livestation/init.lua", dir);
  return access(path, R_OK) == 0;
}

/* The checkout lsrun was built in (lua/ beside the binary), else
** $LIVESTATION_HOME, else the share directory of the prefix it was
** installed to (compiled in), else share/livestation beside the bin
** directory it sits in (an installed tree moved or staged elsewhere). */
static const char *find_root(char *buf, size_t len) {
  const char *env = getenv("LIVESTATION_HOME");
  ssize_t n = readlink("/proc/self/exe", buf, len - 1);
  char *slash = NULL;
  if (n > 0) {
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (slash) *slash = '\0';
    if (has_lua_side(buf)) return buf;
  }
  if (env && has_lua_side(env)) return env;
  if (has_lua_side(LS_DATADIR)) return LS_DATADIR;
  if (slash && (slash = strrchr(buf, '/')) != NULL &&
      (size_t)(slash - buf) + sizeof "/share/livestation" <= len) {
    strcpy(slash, "/share/livestation");
    if (has_lua_side(buf)) return buf;
  }
  return LS_DATADIR;
}

static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) msg = luaL_tolstring(L, 1, NULL);
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Calls plan[name](plan, ...) with the nargs values on top; leaves one
** result. */
static void call_plan(lua_State *L, int plan, const char *name, int nargs) {
  lua_getfield(L, plan, name);
  lua_insert(L, -1 - nargs);                     /* function below args */
  lua_pushvalue(L, plan);
  lua_insert(L, -1 - nargs);                     /* plan as self */
  lua_call(L, nargs + 1, 1);
}

/* Queues the plan's script (plan.script, a path or "-" for stdin, with
** plan.args) or chunk (plan.code) as a task. Returns 0, or -1 when it
** cannot be loaded (the message is printed). */
static int spawn(lua_State *L, ls_runtime *rt, int plan) {
  int rc = 0;
  if (lua_getfield(L, plan, "code") == LUA_TSTRING) {
    rc = ls_runtime_spawn_string(rt, lua_tostring(L, -1), "=(command line)");
  } else if (lua_getfield(L, plan, "script") == LUA_TSTRING) {
    const char *path = lua_tostring(L, -1);
    int argc, i;
    char **argv;
    lua_getfield(L, plan, "args");
    argc = (int)luaL_len(L, -1);
    luaL_checkstack(L, argc + 1, "too many arguments");
    argv = lua_newuserdatauv(L, sizeof *argv * (size_t)(argc + 1), 0);
    for (i = 0; i < argc; i++) {
      lua_geti(L, -2 - i, i + 1);                 /* stays on the stack */
      argv[i] = (char *)luaL_checkstring(L, -1);
    }
    argv[argc] = NULL;
    rc = ls_runtime_spawn_file(rt, strcmp(path, "-") ? path : NULL, argc, argv);
  }
  if (rc != 0) fprintf(stderr, "%s: %s\n", progname, ls_runtime_error(rt));
  return rc;
}

/* require("lsrun.host").main(argv): an exit status, or a plan to run. */
static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = lua_touserdata(L, 2);
  ls_runtime *rt = lua_touserdata(L, 3);
  int i, plan, failed;
  lua_getglobal(L, "require");
  lua_pushliteral(L, "lsrun.host");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "main");
  lua_createtable(L, argc, 0);
  for (i = 1; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  lua_call(L, 1, 1);
  if (!lua_istable(L, -1)) return 1;             /* done: the exit status */
  plan = lua_gettop(L);
  if (spawn(L, rt, plan) != 0) {
    lua_pushinteger(L, 1);
    return 1;
  }
  lua_settop(L, plan);
  call_plan(L, plan, "start", 0);
  if (!lua_isnil(L, -1)) return 1;               /* could not start */
  lua_pop(L, 1);
  failed = ls_runtime_run(rt);
  lua_pushinteger(L, failed);
  call_plan(L, plan, "finish", 1);
  return 1;
}

int main(int argc, char **argv) {
  char buf[PATH_MAX];
  const char *root = find_root(buf, sizeof buf);
  ls_runtime *rt = ls_runtime_new(root, NULL);
  lua_State *L;
  int status;
  if (rt == NULL) {
    fprintf(stderr, "%s: cannot start the runtime\n", progname);
    return 1;
  }
  L = ls_runtime_state(rt);
  lua_pushcfunction(L, msghandler);
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  lua_pushlightuserdata(L, rt);
  if (lua_pcall(L, 3, 1, 1) != LUA_OK) {
    fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
    status = 1;
  } else {
    status = (int)luaL_optinteger(L, -1, 0);
  }
  lua_settop(L, 0);
  ls_runtime_free(rt);
  return status;
}
