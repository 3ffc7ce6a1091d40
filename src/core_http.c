/*
** core_http.c: core.http_request, the Lua face of ls_http.
**
**   resp, err = core.http_request{ method=, url=, headers={name=value},
**                 body=, timeout=, connect_timeout=, max_size=,
**                 tls_verify=, ca_file= }
**
** resp = { status=, headers={lower-case name=value}, body=, seconds=,
** queued= (seconds spent waiting for a connection) }; on failure nil and
** err = { kind="timeout"|"network"|"too_large"|"tls", message=, sent=bool }.
** sent=false means the request provably never left. Waits like every
** core operation: yields a task, or pumps the loop for a plain caller.
**
**   per_host, total = core.http_limits([{per_host=, total=}])
**
** reads (and with a table, sets) the process-wide connection caps.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "ls_http.h"

#define DEFAULT_TIMEOUT_S 30.0
#define DEFAULT_CONNECT_TIMEOUT_S 10.0
#define DEFAULT_MAX_SIZE (8u * 1024u * 1024u)
#define MAX_HEADERS 64

typedef struct http_data {
  ls_xfer *x;
  ls_xfer_result result;
  long status;
  char *body, *head, *err;
  size_t body_len, head_len;
  int sent;
  double seconds, queued;
} http_data;

static char *dup_mem(const char *p, size_t n) {
  char *d = malloc(n + 1);
  if (d) { memcpy(d, p, n); d[n] = '\0'; }
  return d;
}

static void on_done(ls_xfer *x, void *ud) {
  ls_op *op = ud;
  http_data *d = op->data;
  const char *p;
  d->x = NULL;
  d->result = ls_xfer_result_of(x);
  d->status = ls_xfer_status(x);
  d->body = ls_xfer_take_body(x, &d->body_len);
  d->head = ls_xfer_take_headers(x, &d->head_len);
  if (d->result != LS_XFER_OK) {
    p = ls_xfer_error(x);
    d->err = dup_mem(p, strlen(p));
  }
  d->sent = ls_xfer_sent(x);
  d->seconds = ls_xfer_seconds(x);
  d->queued = ls_xfer_queue_seconds(x);
  ls_op_complete(op);
}

static void http_cancel(ls_op *op) {
  http_data *d = op->data;
  if (d && d->x) {
    ls_xfer_cancel(d->x);
    d->x = NULL;
  }
}

static void http_release(ls_op *op) {
  http_data *d = op->data;
  if (d == NULL) return;
  http_cancel(op);
  free(d->body);
  free(d->head);
  free(d->err);
  free(d);
  op->data = NULL;
}

/* Parses the raw header block into t: lower-case names, repeated headers
** joined with ", ". The status line is skipped. */
void ls_push_headers(lua_State *L, const char *p, size_t n) {
  const char *end = p + n;
  lua_createtable(L, 0, 8);
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    const char *colon, *v, *ve;
    size_t kl, i;
    if (eol == NULL) eol = end;
    colon = memchr(p, ':', (size_t)(eol - p));
    if (colon && !(eol - p >= 5 && memcmp(p, "HTTP/", 5) == 0)) {
      luaL_Buffer b;
      char *d;
      kl = (size_t)(colon - p);
      d = luaL_buffinitsize(L, &b, kl);
      for (i = 0; i < kl; i++) d[i] = (char)tolower((unsigned char)p[i]);
      luaL_pushresultsize(&b, kl);
      v = colon + 1;
      ve = eol;
      while (v < ve && (*v == ' ' || *v == '\t')) v++;
      while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) ve--;
      lua_pushvalue(L, -1);
      if (lua_rawget(L, -3) == LUA_TSTRING) {
        lua_pushliteral(L, ", ");
        lua_pushlstring(L, v, (size_t)(ve - v));
        lua_concat(L, 3);
      } else {
        lua_pop(L, 1);
        lua_pushlstring(L, v, (size_t)(ve - v));
      }
      lua_rawset(L, -3);
    }
    p = eol + 1;
  }
}

static int http_push(lua_State *co, ls_op *op) {
  http_data *d = op->data;
  static const char *const kinds[] = {"ok", "timeout", "network", "too_large", "tls"};
  if (d->result == LS_XFER_OK) {
    lua_createtable(co, 0, 5);
    lua_pushinteger(co, d->status);
    lua_setfield(co, -2, "status");
    ls_push_headers(co, d->head ? d->head : "", d->head_len);
    lua_setfield(co, -2, "headers");
    lua_pushlstring(co, d->body ? d->body : "", d->body_len);
    lua_setfield(co, -2, "body");
    lua_pushnumber(co, d->seconds);
    lua_setfield(co, -2, "seconds");
    lua_pushnumber(co, d->queued);
    lua_setfield(co, -2, "queued");
    return 1;
  }
  lua_pushnil(co);
  lua_createtable(co, 0, 3);
  lua_pushstring(co, kinds[d->result]);
  lua_setfield(co, -2, "kind");
  lua_pushstring(co, d->err ? d->err : "transfer failed");
  lua_setfield(co, -2, "message");
  lua_pushboolean(co, d->sent);
  lua_setfield(co, -2, "sent");
  return 2;
}

/* A duration option in milliseconds; infinite or huge ones are clamped
** to LS_MAX_WAIT_S so the conversion never overflows. */
static long opt_ms(lua_State *L, const char *name, double dflt) {
  double s;
  lua_getfield(L, 1, name);
  s = luaL_optnumber(L, -1, dflt);
  lua_pop(L, 1);
  if (!(s >= 0)) luaL_error(L, "http_request: %s must be a number of seconds >= 0", name);
  if (s > LS_MAX_WAIT_S) s = LS_MAX_WAIT_S;
  return (long)(s * 1000.0);
}

static int no_crlf(const char *s, size_t n) {
  return memchr(s, '\r', n) == NULL && memchr(s, '\n', n) == NULL;
}

static int l_http_request(lua_State *L) {
  ls_core *core = ls_core_get(L);
  ls_request req;
  const char *lines[MAX_HEADERS + 1];
  char small[1024];
  int nh = 0;
  ls_op *op;
  http_data *d;
  char err[256] = "";
  luaL_checktype(L, 1, LUA_TTABLE);
  memset(&req, 0, sizeof req);
  lua_getfield(L, 1, "method");
  req.method = luaL_optstring(L, -1, "GET");
  if (req.method[0] == '\0' || strspn(req.method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(req.method))
    return luaL_error(L, "http_request: method must be upper-case letters");
  lua_getfield(L, 1, "url");
  req.url = luaL_checkstring(L, -1);
  lua_getfield(L, 1, "body");
  if (!lua_isnil(L, -1)) req.body = luaL_checklstring(L, -1, &req.body_len);
  lua_getfield(L, 1, "ca_file");
  req.ca_file = luaL_optstring(L, -1, NULL);
  lua_getfield(L, 1, "tls_verify");
  req.tls_verify = lua_isnil(L, -1) ? 1 : lua_toboolean(L, -1);
  lua_getfield(L, 1, "max_size");
  req.max_size = (size_t)luaL_optinteger(L, -1, DEFAULT_MAX_SIZE);
  if (lua_tointeger(L, -1) < 0) return luaL_error(L, "http_request: max_size must not be negative");
  lua_pop(L, 2);
  req.timeout_ms = opt_ms(L, "timeout", DEFAULT_TIMEOUT_S);
  req.connect_timeout_ms = opt_ms(L, "connect_timeout", DEFAULT_CONNECT_TIMEOUT_S);
  /* headers: "Name: value" lines in one block, on the C stack when they
  ** fit (the signed headers of a call do), else in a userdatum on the Lua
  ** stack, until started; sized by a first pass, filled by a second */
  lua_getfield(L, 1, "headers");
  if (!lua_isnil(L, -1)) {
    int ht = lua_gettop(L);
    size_t size = 0;
    char *p;
    luaL_checktype(L, ht, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, ht)) {
      size_t kl, vl;
      const char *k, *v;
      if (nh >= MAX_HEADERS) return luaL_error(L, "http_request: too many headers (at most %d)", MAX_HEADERS);
      /* checked before lua_tolstring, which would turn a number key into
      ** a string in place and confuse lua_next */
      if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
        return luaL_error(L, "http_request: headers must map names to strings");
      k = lua_tolstring(L, -2, &kl);
      v = lua_tolstring(L, -1, &vl);
      if (!no_crlf(k, kl) || !no_crlf(v, vl))
        return luaL_error(L, "http_request: header %s holds a line break", k);
      size += kl + vl + 3; /* ": " and the \0 */
      nh++;
      lua_pop(L, 1);
    }
    p = size <= sizeof small ? small : lua_newuserdatauv(L, size, 0);
    nh = 0;
    lua_pushnil(L);
    while (lua_next(L, ht)) {
      size_t kl, vl;
      const char *k = lua_tolstring(L, -2, &kl), *v = lua_tolstring(L, -1, &vl);
      lines[nh++] = p;
      memcpy(p, k, kl); p += kl;
      *p++ = ':'; *p++ = ' ';
      memcpy(p, v, vl); p += vl;
      *p++ = '\0';
      lua_pop(L, 1);
    }
  }
  lines[nh] = NULL;
  req.headers = lines;
  op = ls_op_new(L, core);
  d = calloc(1, sizeof *d);
  if (d == NULL) { free(op); return luaL_error(L, "out of memory"); }
  op->data = d;
  op->cancel = http_cancel;
  op->release = http_release;
  op->push = http_push;
  d->x = ls_http_start(core->http, &req, on_done, op, err, sizeof err);
  if (d->x == NULL) {
    http_release(op);
    free(op);
    return luaL_error(L, "http_request: %s", err);
  }
  /* the request is copied: its table and header lines need not outlive
  ** the wait (ten thousand waiting tasks would keep them all) */
  lua_settop(L, 0);
  return ls_op_wait(L, op);
}

static int limit_field(lua_State *L, const char *name, int current) {
  lua_Integer v;
  int isnum;
  lua_getfield(L, 1, name);
  if (lua_isnil(L, -1)) { lua_pop(L, 1); return current; }
  v = lua_tointegerx(L, -1, &isnum);
  if (!isnum || v < 0 || v > 1000000)
    luaL_error(L, "http_limits: %s must be a whole number from 0 (no cap) up", name);
  lua_pop(L, 1);
  return (int)v;
}

static int l_http_limits(lua_State *L) {
  ls_core *core = ls_core_get(L);
  int per_host, total;
  ls_http_limits(core->http, &per_host, &total);
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    per_host = limit_field(L, "per_host", per_host);
    total = limit_field(L, "total", total);
    ls_http_set_limits(core->http, per_host, total);
  }
  lua_pushinteger(L, per_host);
  lua_pushinteger(L, total);
  return 2;
}

const luaL_Reg ls_http_funcs[] = {
  {"http_limits", l_http_limits},
  {"http_request", l_http_request},
  {NULL, NULL}
};
