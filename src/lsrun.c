/*
** lsrun.c: the host. Like lua.c: main only finds the checkout, creates
** the runtime and protected-calls the Lua side (livestation.host), which
** parses the command line, runs the script as a task and drives the loop.
** Errors print as "lsrun: message" and set the exit status.
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

static int has_lua_side(const char *dir) {
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/lua/livestation/init.lua", dir);
  return access(path, R_OK) == 0;
}

/* The checkout lsrun was built in (lua/ beside the binary), else
** $LIVESTATION_HOME, else the installed share directory. */
static const char *find_root(char *buf, size_t len) {
  const char *env = getenv("LIVESTATION_HOME");
  ssize_t n = readlink("/proc/self/exe", buf, len - 1);
  if (n > 0) {
    char *slash;
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (slash) *slash = '\0';
    if (has_lua_side(buf)) return buf;
  }
  if (env && has_lua_side(env)) return env;
  return LS_DATADIR;
}

static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) msg = luaL_tolstring(L, 1, NULL);
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Calls require("livestation.host").main(argv) and returns its status. */
static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = lua_touserdata(L, 2);
  int i;
  lua_getglobal(L, "require");
  lua_pushliteral(L, "livestation.host");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "main");
  lua_createtable(L, argc, 0);
  for (i = 1; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  lua_call(L, 1, 1);
  return 1;
}

int main(int argc, char **argv) {
  char buf[PATH_MAX];
  const char *root = find_root(buf, sizeof buf);
  ls_runtime *rt = ls_runtime_new(root, NULL);
  lua_State *L;
  int status;
  if (rt == NULL) {
    fprintf(stderr, "lsrun: cannot start the runtime\n");
    return 1;
  }
  L = ls_runtime_state(rt);
  lua_pushcfunction(L, msghandler);
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  if (lua_pcall(L, 2, 1, 1) != LUA_OK) {
    fprintf(stderr, "lsrun: %s\n", lua_tostring(L, -1));
    status = 1;
  } else {
    status = (int)luaL_optinteger(L, -1, 0);
  }
  lua_settop(L, 0);
  ls_runtime_free(rt);
  return status;
}
