/*
** fuzz_http.c: a libFuzzer target for the C request and header handling
** (make fuzz; a bounded run is part of make test when clang is there).
** The first byte chooses what the rest is:
**   even: a raw response header block for ls_push_headers (the client);
**         every name in the table must come out lower-case;
**   odd:  bytes a client sends to core.http_server on 127.0.0.1 (evhttp's
**         parser, core_guard's head scan, the Content-Length check, the
**         request table and the reply), then closes its sending side; the
**         server must answer or close (within 10 s), and go on serving
**         (at most MAX_CONNECTIONS such inputs a run).
** Built with AddressSanitizer and UndefinedBehaviorSanitizer; run from
** the checkout's root.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <lauxlib.h>

#include "core.h"
#include "livestation.h"

static ls_runtime *rt;
static struct event_base *base;
static int port;
static int refused; /* connects that failed in a row */
/* Each server input is a TCP connection whose closing side waits in
** TIME_WAIT for a minute: a run makes at most this many, so it never uses
** up the ports of a machine that other suites share. */
#define MAX_CONNECTIONS 3000
static int connections;

static const char *server_script =
  "local core = require 'livestation.core'\n"
  "srv = core.http_server{ port = 0, head_timeout = 1, idle_timeout = 1,\n"
  "  handler = function(req)\n"
  "    local n = #req.method + #req.target + #req.path + #req.query + #req.body\n"
  "    for k, v in pairs(req.headers) do n = n + #k + #v end\n"
  "    return 200, { ['X-N'] = tostring(n) }, req.body\n"
  "  end }\n"
  "port = srv:port()\n";

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void setup(void) {
  lua_State *L;
  int i;
  base = event_base_new();
  rt = ls_runtime_new(".", base);
  if (rt == NULL || ls_runtime_spawn_string(rt, server_script, "=fuzz") != 0) abort();
  L = ls_runtime_state(rt);
  for (i = 0; i < 100 && port == 0; i++) {
    ls_runtime_step(rt, 1);
    lua_getglobal(L, "port");
    port = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
  }
  if (port == 0) abort();
}

static int headers_p(lua_State *L) {
  const char *p = lua_touserdata(L, 1);
  size_t n = (size_t)lua_tointeger(L, 2);
  ls_push_headers(L, p, n);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    const char *k = lua_tostring(L, -2);
    for (; *k; k++) if (*k >= 'A' && *k <= 'Z') abort(); /* names are lower-case */
    lua_pop(L, 1);
  }
  return 0;
}

static void fuzz_headers(const uint8_t *data, size_t size) {
  lua_State *L = ls_runtime_state(rt);
  lua_pushcfunction(L, headers_p);
  lua_pushlightuserdata(L, (void *)data);
  lua_pushinteger(L, (lua_Integer)size);
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) lua_pop(L, 1); /* only out of memory */
}

/* Sends the bytes, then reads until the server closes (or 10 s pass:
** the head and idle timeouts are 1 s, so a server that neither answers
** nor closes is a failure; the margin is for a loaded machine). */
static void fuzz_server(const uint8_t *data, size_t size) {
  struct sockaddr_in sa;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  double deadline;
  char buf[4096];
  if (connections >= MAX_CONNECTIONS) { if (fd >= 0) close(fd); return; }
  connections++;
  if (fd < 0) abort();
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd); /* a busy machine may lack ports for a moment; not forever */
    if (++refused >= 200) {
      fprintf(stderr, "fuzz_http: cannot connect to the server: %s\n", strerror(errno));
      abort();
    }
    usleep(10000);
    return;
  }
  refused = 0;
  fcntl(fd, F_SETFL, O_NONBLOCK);
  deadline = now_s() + 10.0;
  while (size > 0 && now_s() < deadline) {
    ssize_t w = send(fd, data, size, MSG_NOSIGNAL);
    if (w > 0) { data += w; size -= (size_t)w; }
    else if (errno != EAGAIN && errno != EWOULDBLOCK) break; /* it closed on us */
    ls_runtime_step(rt, 1);
  }
  shutdown(fd, SHUT_WR);
  for (;;) {
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) break;
    if (now_s() > deadline) {
      fprintf(stderr, "fuzz_http: the server neither answered nor closed\n");
      abort();
    }
    if (r < 0) ls_runtime_step(rt, 1);
  }
  close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (rt == NULL) setup();
  if (size == 0) return 0;
  if (data[0] % 2 == 0) fuzz_headers(data + 1, size - 1);
  else fuzz_server(data + 1, size - 1);
  return 0;
}
