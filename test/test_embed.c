/*
** test_embed.c: a C program of its own embedding the runtime through
** livestation.h: its own event loop, an extra C module for scripts, a
** script that uses tasks, a server and the HTTP client, a failing task,
** and the loop driven step by step. Run from the checkout's root.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <lauxlib.h>

#include "livestation.h"

static int passed, failed;

#define CHECK(cond, what) do { \
    if (cond) passed++; \
    else { failed++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, what); } \
  } while (0)

static int host_add(lua_State *L) {
  lua_pushinteger(L, luaL_checkinteger(L, 1) + luaL_checkinteger(L, 2));
  return 1;
}

static int open_host(lua_State *L) {
  lua_newtable(L);
  lua_pushcfunction(L, host_add);
  lua_setfield(L, -2, "add");
  return 1;
}

static const char *script =
  "local livestation = require 'livestation'\n"
  "local core = require 'livestation.core'\n"
  "local host = require 'host'\n"
  "local srv = core.http_server{ port = 0, handler = function(req)\n"
  "  return 200, {}, 'hello ' .. req.path end }\n"
  "local t = livestation.spawn(function()\n"
  "  livestation.sleep(0.01)\n"
  "  return core.http_request{ url = srv:url() .. '/embed' }.body\n"
  "end)\n"
  "local ok, body = t:join()\n"
  "srv:close()\n"
  "result = body .. ' ' .. host.add(40, 2)\n";

int main(void) {
  struct event_base *base = event_base_new();
  ls_runtime *rt = ls_runtime_new(".", base);
  lua_State *L;
  int steps = 0;
  CHECK(rt != NULL, "runtime created on the host's loop");
  if (rt == NULL) return 1;
  L = ls_runtime_state(rt);
  ls_runtime_preload(rt, "host", open_host);
  CHECK(ls_runtime_spawn_string(rt, script, "=embed") == 0, "script loads");
  CHECK(ls_runtime_run(rt) == 0, "no task failed");
  lua_getglobal(L, "result");
  CHECK(lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "hello /embed 42") == 0,
        "script ran tasks, server, client and the host's module");
  lua_pop(L, 1);

  CHECK(ls_runtime_spawn_string(rt, "x = (", "=bad") == -1, "a syntax error is refused");
  CHECK(strstr(ls_runtime_error(rt), "bad") != NULL, "the load error names the chunk");

  /* the host drives the loop itself, one iteration at a time */
  ls_runtime_spawn_string(rt,
    "require('livestation.core').set_error_handler(function() end)\n"
    "require('livestation').sleep(0.02) stepped = true error('expected')", "=step");
  while (ls_runtime_step(rt, 0) && steps < 1000) steps++;
  lua_getglobal(L, "stepped");
  CHECK(lua_toboolean(L, -1), "stepping runs the task to its end");
  lua_pop(L, 1);
  CHECK(ls_runtime_run(rt) == 1, "the failed task is counted");

  /* an error object whose __tostring fails ends that task only: the
  ** host's loop goes on (before, the error escaped the loop: PANIC) */
  ls_runtime_spawn_string(rt,
    "require('livestation').spawn(function() require('livestation').sleep(0.01) after = true end)\n"
    "error(setmetatable({}, { __tostring = function() error('no text') end }))", "=tostring");
  CHECK(ls_runtime_run(rt) == 2, "a task with an unprintable error fails alone");
  lua_getglobal(L, "after");
  CHECK(lua_toboolean(L, -1), "the other task ran to its end");
  lua_pop(L, 1);

  {
    char path[] = "/tmp/ls-embed-state-XXXXXX";
    char file[64];
    int fd = mkstemp(path);
    CHECK(fd >= 0, "a temporary name");
    close(fd);
    unlink(path);
    snprintf(file, sizeof file, "%s", path);
    CHECK(ls_runtime_set_state(rt, file) == 0, "the state store is chosen and opened");
    CHECK(access(file, F_OK) == 0, "a state file path opens a SQLite file there");
    unlink(file);
    snprintf(file, sizeof file, "%s-wal", path);
    unlink(file);
    snprintf(file, sizeof file, "%s-shm", path);
    unlink(file);
    CHECK(ls_runtime_set_state(rt, "postgresql://ls:s3cr3t@/nodb?host=/nonexistent") == -1,
          "an unreachable database is refused");
    CHECK(strstr(ls_runtime_error(rt), "state database postgresql://ls:***@") != NULL,
          "the error names the database");
    CHECK(strstr(ls_runtime_error(rt), "s3cr3t") == NULL, "and not its password");
  }

  ls_runtime_free(rt);
  event_base_free(base);
  printf("test_embed: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
