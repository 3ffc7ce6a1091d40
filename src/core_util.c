/*
** core_util.c: small pure helpers exposed to Lua: the NCP signature,
** HMAC and Base64, percent-encoding, clocks, file permission bits, private files, and
** signal handlers.
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core.h"
#include "ls_sign.h"

#define LS_SIGNAL_MT "livestation.signal"

/* sign(secret, method, target, timestamp, access_key) -> base64 */
static int l_sign(lua_State *L) {
  size_t sl;
  const char *secret = luaL_checklstring(L, 1, &sl);
  const char *method = luaL_checkstring(L, 2);
  const char *target = luaL_checkstring(L, 3);
  const char *ts = luaL_checkstring(L, 4);
  const char *ak = luaL_checkstring(L, 5);
  char out[LS_SIGNATURE_SIZE];
  if (ls_sign(secret, sl, method, target, ts, ak, out) != 0)
    return luaL_error(L, "sign: HMAC failed");
  lua_pushstring(L, out);
  return 1;
}

static int l_hmac_sha256(lua_State *L) {
  size_t kl, ml;
  const char *k = luaL_checklstring(L, 1, &kl);
  const char *m = luaL_checklstring(L, 2, &ml);
  unsigned char mac[32];
  if (ls_hmac_sha256(k, kl, m, ml, mac) != 0) return luaL_error(L, "hmac_sha256 failed");
  lua_pushlstring(L, (const char *)mac, sizeof mac);
  return 1;
}

static int l_base64(lua_State *L) {
  size_t n;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, 4 * ((n + 2) / 3) + 1);
  luaL_pushresultsize(&b, ls_base64(s, n, out));
  return 1;
}

static int unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

/* url_escape(s): every byte outside RFC 3986's unreserved characters as
** %XX with upper-case hex digits (what the gateway signs); s itself when
** none is. Here and not in Lua: every request path and query value goes
** through it, and the gsub it replaces cost 8,000 instructions for one
** channel id. */
static int l_url_escape(lua_State *L) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n, i, extra = 0;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
  luaL_Buffer b;
  char *d;
  for (i = 0; i < n; i++)
    if (!unreserved(s[i])) extra += 2;
  if (extra == 0) {
    lua_settop(L, 1);
    return 1;
  }
  d = luaL_buffinitsize(L, &b, n + extra);
  for (i = 0; i < n; i++) {
    if (unreserved(s[i])) {
      *d++ = (char)s[i];
    } else {
      *d++ = '%';
      *d++ = hex[s[i] >> 4];
      *d++ = hex[s[i] & 15];
    }
  }
  luaL_pushresultsize(&b, n + extra);
  return 1;
}

/* now() -> wall-clock seconds since the epoch, with a fraction */
static int l_now(lua_State *L) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  lua_pushnumber(L, (lua_Number)tv.tv_sec + (lua_Number)tv.tv_usec / 1e6);
  return 1;
}

static int l_now_ms(lua_State *L) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  lua_pushinteger(L, (lua_Integer)tv.tv_sec * 1000 + tv.tv_usec / 1000);
  return 1;
}

/* monotonic() -> seconds on a clock that never jumps, for durations */
static int l_monotonic(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

/* file_mode(path) -> permission bits, or nil, message */
static int l_file_mode(lua_State *L) {
  struct stat st;
  const char *path = luaL_checkstring(L, 1);
  if (stat(path, &st) != 0) {
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: cannot stat", path);
    return 2;
  }
  lua_pushinteger(L, st.st_mode & 07777);
  return 1;
}

/* private_file(path) -> true, or nil, message: creates path readable and
** writable by its owner only (0600), or narrows an existing file to 0600,
** so what Lua then opens there is never readable by others. */
static int l_private_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0 || fchmod(fd, 0600) != 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    luaL_pushfail(L);
    lua_pushfstring(L, "%s: %s", path, strerror(e));
    return 2;
  }
  close(fd);
  lua_pushboolean(L, 1);
  return 1;
}

/* ----------------------------------------------------------- signals */

typedef struct sig_handle {
  ls_core *core;
  struct event *ev;
  int fn_ref;
  int self_ref;
  const char *name;
  int no;
} sig_handle;

static const struct { const char *name; int no; } signals[] = {
  {"INT", SIGINT}, {"TERM", SIGTERM}, {"HUP", SIGHUP},
  {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {NULL, 0}
};

/* The loop delivers signals as ordinary events; the handler runs in a
** task of its own like everything else. */
static int spawn_signal_task(lua_State *L) {
  sig_handle *h = lua_touserdata(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->fn_ref);
  lua_pushstring(L, h->name);
  ls_task_spawn(L, h->core, 1);
  return 0;
}

static void on_signal(evutil_socket_t fd, short what, void *arg) {
  sig_handle *h = arg;
  (void)fd; (void)what;
  if (ls_core_pcall(h->core, spawn_signal_task, h) != LUA_OK) {
    fprintf(stderr, "livestation: SIG%s: cannot start its handler: %s\n", h->name,
            ls_core_message(h->core->L, -1));
    lua_pop(h->core->L, 1);
  }
}

static void sig_close(lua_State *L, sig_handle *h) {
  if (h->ev == NULL) return;
  event_free(h->ev);
  h->ev = NULL;
  if (h->no == SIGINT) h->core->sigint_handlers--;
  luaL_unref(L, LUA_REGISTRYINDEX, h->fn_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, h->self_ref);
  h->fn_ref = h->self_ref = LUA_NOREF;
}

static int sig_close_l(lua_State *L) {
  sig_close(L, luaL_checkudata(L, 1, LS_SIGNAL_MT));
  return 0;
}

/* on_signal(name, fn) -> handle with :close(); fn(name) runs in a task */
static int l_on_signal(lua_State *L) {
  ls_core *core = ls_core_get(L);
  const char *name = luaL_checkstring(L, 1);
  sig_handle *h;
  int i;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  for (i = 0; signals[i].name && strcmp(signals[i].name, name) != 0; i++) {}
  if (signals[i].name == NULL) return luaL_argerror(L, 1, "unknown signal name");
  h = lua_newuserdatauv(L, sizeof *h, 0);
  memset(h, 0, sizeof *h);
  h->fn_ref = h->self_ref = LUA_NOREF;
  luaL_setmetatable(L, LS_SIGNAL_MT);
  h->core = core;
  h->name = signals[i].name;
  h->ev = evsignal_new(core->base, signals[i].no, on_signal, h);
  if (h->ev == NULL || evsignal_add(h->ev, NULL) != 0) {
    if (h->ev) event_free(h->ev);
    h->ev = NULL;
    return luaL_error(L, "on_signal: cannot watch SIG%s", name);
  }
  h->no = signals[i].no;
  if (h->no == SIGINT) core->sigint_handlers++;
  /* a stop signal also interrupts a task that never yields */
  if (h->no == SIGINT || h->no == SIGTERM) ls_preempt_watch_signal(h->no);
  lua_pushvalue(L, 2);
  h->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, -1);
  h->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 1;
}

const luaL_Reg ls_util_funcs[] = {
  {"base64", l_base64},
  {"file_mode", l_file_mode},
  {"hmac_sha256", l_hmac_sha256},
  {"monotonic", l_monotonic},
  {"now", l_now},
  {"now_ms", l_now_ms},
  {"on_signal", l_on_signal},
  {"private_file", l_private_file},
  {"sign", l_sign},
  {"url_escape", l_url_escape},
  {NULL, NULL}
};

void ls_util_open(lua_State *L) {
  if (luaL_newmetatable(L, LS_SIGNAL_MT)) {
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, sig_close_l);
    lua_setfield(L, -2, "close");
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, sig_close_l);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
}
