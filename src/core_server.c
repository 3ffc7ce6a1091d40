/*
** core_server.c: core.http_server, an HTTP server on libevent's evhttp.
**
**   srv = core.http_server{ host="127.0.0.1", port=0, handler=fn,
**                           max_body=1048576, idle_timeout=60,
**                           head_timeout=10, max_connections=1024 }
**   srv:port(), srv:url(), srv:close()
**
** Each request runs handler(req) in a task of its own, so a handler may
** sleep or make HTTP calls. req = { method=, target= (the raw request
** target as received), path=, query=, headers={lower-case=value}, body=,
** peer= }. The handler returns status, headers, body; returning the
** string "drop" closes the connection without an answer (fault tests).
** The reply is sent when the task ends, from the scheduler's safe point.
** core_guard.c caps connections, closes a client whose request head is
** not whole head_timeout seconds after its first byte, and pauses
** accepting when out of descriptors. A request with conflicting
** Content-Length headers gets 400 and the connection is closed.
*/
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core.h"
#include "core_guard.h"

#define LS_SERVER_MT "livestation.server"

typedef struct pending pending;

typedef struct ls_server {
  ls_core *core;
  struct evhttp *http;       /* NULL once closed */
  ls_guard *guard;
  int handler_ref;
  int self_ref;              /* an open server is anchored: no need to keep it */
  int unref;                 /* it and its handlers do not keep run() going */
  int port;
  char host[64];
  pending *inflight;         /* requests whose handler is still running */
} ls_server;

/* One request in flight. Owned by its task's hook, which frees it; a
** closed server only detaches it (req = NULL) so nothing is sent. */
struct pending {
  struct evhttp_request *req;
  ls_server *srv;
  ls_task *task;             /* the handler's task, alive while this is */
  pending *prev, *next;
};

static void pending_unlink(pending *p) {
  if (p->srv == NULL) return;
  if (p->prev) p->prev->next = p->next; else p->srv->inflight = p->next;
  if (p->next) p->next->prev = p->prev;
  p->prev = p->next = NULL;
  p->srv = NULL;
}

static const char *method_name(enum evhttp_cmd_type t) {
  switch (t) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_PATCH: return "PATCH";
    default: return "OTHER";
  }
}

static void push_request(lua_State *L, struct evhttp_request *req) {
  const char *uri = evhttp_request_get_uri(req);
  const char *q = strchr(uri, '?');
  struct evkeyvalq *hs = evhttp_request_get_input_headers(req);
  struct evkeyval *h;
  struct evbuffer *in = evhttp_request_get_input_buffer(req);
  struct evhttp_connection *conn = evhttp_request_get_connection(req);
  size_t n = evbuffer_get_length(in);
  lua_createtable(L, 0, 8);
  lua_pushstring(L, method_name(evhttp_request_get_command(req)));
  lua_setfield(L, -2, "method");
  lua_pushstring(L, uri);
  lua_setfield(L, -2, "target");
  if (q) lua_pushlstring(L, uri, (size_t)(q - uri)); else lua_pushstring(L, uri);
  lua_setfield(L, -2, "path");
  lua_pushstring(L, q ? q + 1 : "");
  lua_setfield(L, -2, "query");
  lua_newtable(L);
  TAILQ_FOREACH(h, hs, next) {
    luaL_Buffer b;
    const char *k;
    luaL_buffinit(L, &b);
    for (k = h->key; *k; k++) luaL_addchar(&b, (char)tolower((unsigned char)*k));
    luaL_pushresult(&b);
    lua_pushvalue(L, -1);
    lua_rawget(L, -3);
    if (lua_isstring(L, -1)) {
      lua_pushliteral(L, ", ");
      lua_pushstring(L, h->value);
      lua_concat(L, 3);
    } else {
      lua_pop(L, 1);
      lua_pushstring(L, h->value);
    }
    lua_rawset(L, -3);
  }
  lua_setfield(L, -2, "headers");
  lua_pushlstring(L, (const char *)evbuffer_pullup(in, (ev_ssize_t)n), n);
  lua_setfield(L, -2, "body");
  if (conn) {
    char *addr = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(conn, &addr, &port);
    lua_pushstring(L, addr ? addr : "");
    lua_setfield(L, -2, "peer");
  }
}

static void send_plain(struct evhttp_request *req, int status, const char *text) {
  struct evbuffer *b = evbuffer_new();
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                    "text/plain; charset=utf-8");
  if (b) evbuffer_add(b, text, strlen(text));
  evhttp_send_reply(req, status, NULL, b);
  if (b) evbuffer_free(b);
}

/* The task hook: reads what the handler returned and answers. */
static void reply_hook(ls_task *t, lua_State *co, int status, int nres, void *ud) {
  pending *p = ud;
  struct evhttp_request *req = p->req;
  (void)t;
  pending_unlink(p);
  free(p);
  if (req == NULL) return; /* server closed meanwhile */
  if (status == LS_TASK_CANCELLED_STATUS) {
    send_plain(req, 503, "cancelled\n");
    return;
  }
  if (status != LUA_OK || nres < 1) {
    send_plain(req, 500, status != LUA_OK ? "internal error\n"
                                          : "handler returned nothing\n");
    return;
  }
  {
    int base = lua_gettop(co) - nres + 1;
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    struct evbuffer *b;
    size_t len = 0;
    const char *body;
    int code;
    if (lua_type(co, base) == LUA_TSTRING && strcmp(lua_tostring(co, base), "drop") == 0) {
      struct evhttp_connection *conn = evhttp_request_get_connection(req);
      /* a client that already left detached the request: replying frees it */
      if (conn) evhttp_connection_free(conn);
      else evhttp_send_reply(req, 500, NULL, NULL);
      return;
    }
    code = (int)lua_tointeger(co, base);
    if (code < 100 || code > 599) code = 500;
    if (nres >= 2 && lua_istable(co, base + 1)) {
      lua_pushnil(co);
      while (lua_next(co, base + 1)) {
        if (lua_type(co, -2) == LUA_TSTRING && lua_isstring(co, -1)) {
          const char *v = lua_tostring(co, -1);
          if (!strchr(v, '\r') && !strchr(v, '\n'))
            evhttp_add_header(out, lua_tostring(co, -2), v);
        }
        lua_pop(co, 1);
      }
    }
    body = nres >= 3 ? lua_tolstring(co, base + 2, &len) : NULL;
    b = evbuffer_new();
    if (b && body) evbuffer_add(b, body, len);
    evhttp_send_reply(req, code, NULL, b);
    if (b) evbuffer_free(b);
  }
}

/* Spawns the handler's task; runs under ls_core_pcall. */
static int spawn_handler(lua_State *L) {
  pending *p = lua_touserdata(L, 1);
  ls_server *srv = p->srv;
  ls_task *t;
  lua_rawgeti(L, LUA_REGISTRYINDEX, srv->handler_ref);
  push_request(L, p->req);
  t = ls_task_spawn(L, srv->core, 1);
  if (srv->unref) ls_task_set_unref(t, 1);
  t->hook = reply_hook;
  t->hook_ud = p;
  p->task = t;
  return 0;
}

/* Two Content-Length headers that disagree make the body's end
** ambiguous (request smuggling): evhttp reads by the first one. */
static int conflicting_length(struct evhttp_request *req) {
  struct evkeyvalq *hs = evhttp_request_get_input_headers(req);
  struct evkeyval *h;
  const char *first = NULL;
  TAILQ_FOREACH(h, hs, next) {
    if (evutil_ascii_strcasecmp(h->key, "Content-Length") != 0) continue;
    if (first == NULL) first = h->value;
    else if (strcmp(first, h->value) != 0) return 1;
  }
  return 0;
}

static void on_request(struct evhttp_request *req, void *arg) {
  ls_server *srv = arg;
  ls_core *core = srv->core;
  pending *p;
  ls_guard_request(srv->guard, req);
  if (conflicting_length(req)) {
    evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
    send_plain(req, 400, "conflicting Content-Length headers\n");
    return;
  }
  p = calloc(1, sizeof *p);
  if (p == NULL) {
    send_plain(req, 503, "out of memory\n");
    return;
  }
  p->req = req;
  p->srv = srv;
  p->next = srv->inflight;
  if (srv->inflight) srv->inflight->prev = p;
  srv->inflight = p;
  if (ls_core_pcall(core, spawn_handler, p) != LUA_OK) {
    fprintf(stderr, "livestation: server: cannot start a handler: %s\n",
            ls_core_message(core->L, -1));
    lua_pop(core->L, 1);
    pending_unlink(p);
    free(p);
    send_plain(req, 503, "cannot start a handler\n");
  }
}

static ls_server *check_server(lua_State *L) {
  return luaL_checkudata(L, 1, LS_SERVER_MT);
}

static void server_close(ls_server *srv) {
  if (srv->http == NULL) return;
  /* handlers still running have no one to answer: cancel them (their
  ** hook frees the pending record); evhttp frees the requests */
  while (srv->inflight) {
    pending *p = srv->inflight;
    ls_task *t = p->task;
    p->req = NULL;
    pending_unlink(p);
    ls_task_cancel(t);
  }
  ls_guard_close(srv->guard);
  evhttp_free(srv->http);
  srv->http = NULL;
  ls_guard_free(srv->guard);
  srv->guard = NULL;
  srv->core->servers--;
  if (srv->unref) srv->core->unref_servers--;
  srv->unref = 0;
  luaL_unref(srv->core->L, LUA_REGISTRYINDEX, srv->handler_ref);
  srv->handler_ref = LUA_NOREF;
  luaL_unref(srv->core->L, LUA_REGISTRYINDEX, srv->self_ref);
  srv->self_ref = LUA_NOREF;
}

static int srv_close(lua_State *L) {
  server_close(check_server(L));
  return 0;
}

/* server:unref() / server:ref(): whether the open server (and the tasks
** that answer its requests) keep run() going */
static int srv_set_unref(lua_State *L, int unref) {
  ls_server *srv = check_server(L);
  if (srv->http && srv->unref != unref) {
    srv->unref = unref;
    srv->core->unref_servers += unref ? 1 : -1;
  }
  lua_settop(L, 1);
  return 1;
}

static int srv_unref(lua_State *L) { return srv_set_unref(L, 1); }
static int srv_ref(lua_State *L) { return srv_set_unref(L, 0); }

static int srv_port(lua_State *L) {
  lua_pushinteger(L, check_server(L)->port);
  return 1;
}

static int srv_url(lua_State *L) {
  ls_server *srv = check_server(L);
  lua_pushfstring(L, "http://%s:%d", srv->host, srv->port);
  return 1;
}

static int get_bound_port(struct evhttp_bound_socket *s) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  evutil_socket_t fd = evhttp_bound_socket_get_fd(s);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  return -1;
}

static int l_http_server(lua_State *L) {
  ls_core *core = ls_core_get(L);
  ls_server *srv;
  struct evhttp_bound_socket *sock;
  const char *host;
  lua_Integer port, max_body, max_conns;
  struct timeval idle, head;
  char label[96];
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "host");
  host = luaL_optstring(L, -1, "127.0.0.1");
  lua_getfield(L, 1, "port");
  port = luaL_optinteger(L, -1, 0);
  lua_getfield(L, 1, "max_body");
  max_body = luaL_optinteger(L, -1, 1024 * 1024);
  lua_getfield(L, 1, "idle_timeout");
  luaL_argcheck(L, ls_seconds_tv(luaL_optnumber(L, -1, 60), &idle), 1,
                "idle_timeout must be seconds >= 0");
  lua_getfield(L, 1, "head_timeout");
  luaL_argcheck(L, ls_seconds_tv(luaL_optnumber(L, -1, 10), &head) &&
                (head.tv_sec > 0 || head.tv_usec > 0), 1, "head_timeout must be seconds > 0");
  lua_getfield(L, 1, "max_connections");
  max_conns = luaL_optinteger(L, -1, 1024);
  lua_getfield(L, 1, "handler");
  luaL_checktype(L, -1, LUA_TFUNCTION);
  luaL_argcheck(L, port >= 0 && port <= 65535, 1, "port out of range");
  luaL_argcheck(L, max_body >= 0, 1, "max_body must not be negative");
  luaL_argcheck(L, max_conns > 0 && max_conns <= 1000000, 1,
                "max_connections must be between 1 and 1000000");
  luaL_argcheck(L, strlen(host) < sizeof srv->host, 1, "host name too long");
  srv = lua_newuserdatauv(L, sizeof *srv, 0);
  memset(srv, 0, sizeof *srv); /* closed state until the socket is bound */
  srv->core = core;
  srv->handler_ref = srv->self_ref = LUA_NOREF;
  luaL_setmetatable(L, LS_SERVER_MT);
  srv->http = evhttp_new(core->base);
  if (srv->http == NULL) return luaL_error(L, "http_server: cannot create server");
  core->servers++;
  lua_pushvalue(L, -2);
  srv->handler_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  strcpy(srv->host, host);
  evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
      EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
      EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
  evhttp_set_max_body_size(srv->http, (ev_ssize_t)max_body);
  evhttp_set_max_headers_size(srv->http, 64 * 1024);
  evhttp_set_timeout_tv(srv->http, &idle);
  evhttp_set_gencb(srv->http, on_request, srv);
  srv->guard = ls_guard_new(core->base, srv->http, (int)max_conns, &head);
  if (srv->guard == NULL) {
    server_close(srv);
    return luaL_error(L, "http_server: out of memory");
  }
  sock = evhttp_bind_socket_with_handle(srv->http, host, (ev_uint16_t)port);
  if (sock == NULL) {
    server_close(srv);
    lua_pushnil(L);
    lua_pushfstring(L, "cannot listen on %s:%d", host, (int)port);
    return 2;
  }
  srv->port = get_bound_port(sock);
  snprintf(label, sizeof label, "%s:%d", host, srv->port);
  ls_guard_listen(srv->guard, sock, label);
  lua_pushvalue(L, -1);
  srv->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 1;
}

static int srv_gc(lua_State *L) {
  server_close(check_server(L));
  return 0;
}

const luaL_Reg ls_server_funcs[] = {
  {"http_server", l_http_server},
  {NULL, NULL}
};

static const luaL_Reg srv_methods[] = {
  {"close", srv_close},
  {"port", srv_port},
  {"ref", srv_ref},
  {"unref", srv_unref},
  {"url", srv_url},
  {NULL, NULL}
};

void ls_server_open(lua_State *L) {
  ls_closable_class(L, LS_SERVER_MT, srv_methods, srv_gc);
}
