/*
** core_pg.c: PostgreSQL through libpq's asynchronous API on the loop.
**
**   conn = core.pg_connect(conninfo [, timeout])  -- waits; nil, msg on failure
**   rows, n = conn:query(sql, ...)    -- $1, $2 ... bound to ...; rows is an
**                                        array of {column = value}, n the
**                                        rows the command touched
**   conn:ok(), conn:close()
**
** Nothing blocks the loop: the connection is made with PQconnectStart and
** PQconnectPoll, a query is sent with PQsendQueryParams and its result read
** with PQconsumeInput/PQgetResult, each step when libevent says the socket
** is ready. The calling task yields meanwhile (a plain caller pumps the
** loop, as for HTTP).
**
** One limit of libpq: a host *name* in the URL is resolved before
** PQconnectStart returns (getaddrinfo blocks); a Unix socket path, an IP
** address or hostaddr= does not wait.
**
** One operation at a time per connection; the Lua side queues its users.
** One cancel path: a task cancelled while it waits, or a wait that passes
** its timeout, drops the connection (PQfinish). The server then rolls back
** whatever was open; conn:ok() turns false and the owner reconnects.
** Failures of the world return nil, message, code: code is the SQLSTATE
** when the server gave one, else "connection".
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "ls_pq.h"

#include "core.h"

#define LS_PG_MT "livestation.pg"
#define DEFAULT_TIMEOUT 10.0

/* type oids of pg_type.h, to hand back numbers and booleans as such */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

typedef struct ls_pg {
  ls_core *core;
  PGconn *conn;          /* NULL once dropped or closed */
  struct event *ev;      /* the socket watch of the step in progress */
  ls_op *op;             /* the connect or query waiting, or NULL */
  int connecting;
  int flushing;          /* the query is not all sent yet */
  double timeout;        /* seconds each wait may last */
  PGresult *res;         /* the result kept for the waiting task */
  char *err;             /* why the operation failed, or NULL */
  char code[16];         /* its SQLSTATE, or "connection" */
  int self_ref;          /* anchors the userdata while it connects */
} ls_pg;

/* ----------------------------------------------------------- helpers */

static void unwatch(ls_pg *pg) {
  if (pg->ev) event_free(pg->ev);
  pg->ev = NULL;
}

static void forget_result(ls_pg *pg) {
  if (pg->res) PQclear(pg->res);
  pg->res = NULL;
  free(pg->err);
  pg->err = NULL;
}

/* Drops the connection: the one way to stop a step in progress. */
static void drop(ls_pg *pg) {
  unwatch(pg);
  if (pg->conn) PQfinish(pg->conn);
  pg->conn = NULL;
  pg->connecting = pg->flushing = 0;
}

/* Records why the operation failed; libpq's messages end with "\n". */
static void set_error(ls_pg *pg, const char *msg, const char *code) {
  size_t n;
  free(pg->err);
  pg->err = strdup(msg && *msg ? msg : "postgresql: unknown error");
  if (pg->err) {
    n = strlen(pg->err);
    while (n > 0 && (pg->err[n - 1] == '\n' || pg->err[n - 1] == ' ')) pg->err[--n] = '\0';
  }
  snprintf(pg->code, sizeof pg->code, "%s", code ? code : "connection");
}

/* Ends the operation in progress: its task is resumed at the safe point. */
static void finish(ls_pg *pg) {
  ls_op *op = pg->op;
  unwatch(pg);
  pg->op = NULL;
  if (op) ls_op_complete(op);
}

static void fail_and_drop(ls_pg *pg, const char *msg) {
  set_error(pg, msg, NULL);
  drop(pg);
  finish(pg);
}

static void on_socket(evutil_socket_t fd, short what, void *arg);

/* Watches the connection's socket for `what` (EV_READ or EV_WRITE), with
** the timeout; the socket may change while connecting. */
static int watch(ls_pg *pg, short what) {
  struct timeval tv;
  unwatch(pg);
  pg->ev = event_new(pg->core->base, PQsocket(pg->conn), what, on_socket, pg);
  if (pg->ev == NULL) return -1;
  tv.tv_sec = (time_t)pg->timeout;
  tv.tv_usec = (suseconds_t)((pg->timeout - (double)tv.tv_sec) * 1e6);
  return event_add(pg->ev, &tv);
}

/* ----------------------------------------------------------- steps */

static void connect_step(ls_pg *pg) {
  switch (PQconnectPoll(pg->conn)) {
    case PGRES_POLLING_OK:
      pg->connecting = 0;
      finish(pg);
      return;
    case PGRES_POLLING_READING:
      if (watch(pg, EV_READ) != 0) fail_and_drop(pg, "postgresql: cannot watch the socket");
      return;
    case PGRES_POLLING_WRITING:
      if (watch(pg, EV_WRITE) != 0) fail_and_drop(pg, "postgresql: cannot watch the socket");
      return;
    default:
      fail_and_drop(pg, PQerrorMessage(pg->conn));
  }
}

/* Keeps the first error result, else the last result; the rest is
** cleared. */
static void keep_result(ls_pg *pg, PGresult *r) {
  ExecStatusType st = PQresultStatus(r);
  int failed = st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE;
  if (pg->err) { PQclear(r); return; }
  if (failed) {
    set_error(pg, PQresultErrorMessage(r), PQresultErrorField(r, PG_DIAG_SQLSTATE));
    PQclear(r);
    if (pg->res) PQclear(pg->res);
    pg->res = NULL;
    return;
  }
  if (pg->res) PQclear(pg->res);
  pg->res = r;
}

static void read_step(ls_pg *pg) {
  PGresult *r;
  if (!PQconsumeInput(pg->conn)) {
    fail_and_drop(pg, PQerrorMessage(pg->conn));
    return;
  }
  while (!PQisBusy(pg->conn)) {
    r = PQgetResult(pg->conn);
    if (r == NULL) { finish(pg); return; }
    keep_result(pg, r);
  }
  if (watch(pg, EV_READ) != 0) fail_and_drop(pg, "postgresql: cannot watch the socket");
}

static void flush_step(ls_pg *pg) {
  int r = PQflush(pg->conn);
  if (r < 0) { fail_and_drop(pg, PQerrorMessage(pg->conn)); return; }
  pg->flushing = r == 1;
  /* while sending, also read: the server may answer (or fail) early */
  if (watch(pg, pg->flushing ? EV_WRITE | EV_READ : EV_READ) != 0)
    fail_and_drop(pg, "postgresql: cannot watch the socket");
}

/* The loop's callback: never calls Lua, only libpq, then marks the op. */
static void on_socket(evutil_socket_t fd, short what, void *arg) {
  ls_pg *pg = arg;
  (void)fd;
  if (what & EV_TIMEOUT) {
    fail_and_drop(pg, pg->connecting ? "postgresql: timed out connecting"
                                     : "postgresql: timed out waiting for the server");
    return;
  }
  if (pg->connecting) connect_step(pg);
  else if (pg->flushing && (what & EV_WRITE)) flush_step(pg);
  else read_step(pg);
}

/* ----------------------------------------------------------- ops */

static void op_cancel(ls_op *op) {
  ls_pg *pg = op->data;
  if (pg == NULL) return;
  if (pg->op == op) {
    pg->op = NULL;
    drop(pg); /* the server rolls back what was open */
  }
  forget_result(pg);
  op->data = NULL;
}

/* pg is NULL when the connection was closed under the waiting task */
static int push_error(lua_State *co, ls_pg *pg) {
  luaL_pushfail(co);
  lua_pushstring(co, pg && pg->err ? pg->err : "postgresql: connection closed");
  lua_pushstring(co, pg && pg->err ? pg->code : "connection");
  return 3;
}

/* Pushes the connection (the userdata), or fail, message, code. */
static int connect_push(lua_State *co, ls_op *op) {
  ls_pg *pg = op->data;
  int n = 1;
  if (pg == NULL) return push_error(co, NULL);
  if (pg->err || pg->conn == NULL) n = push_error(co, pg);
  else lua_rawgeti(co, LUA_REGISTRYINDEX, pg->self_ref);
  forget_result(pg);
  luaL_unref(co, LUA_REGISTRYINDEX, pg->self_ref);
  pg->self_ref = LUA_NOREF;
  return n;
}

static void push_value(lua_State *L, const PGresult *r, int row, int col) {
  const char *v = PQgetvalue(r, row, col);
  if (PQgetisnull(r, row, col)) { lua_pushnil(L); return; }
  switch (PQftype(r, col)) {
    case OID_BOOL: lua_pushboolean(L, v[0] == 't'); break;
    case OID_INT2: case OID_INT4: case OID_INT8:
      lua_pushinteger(L, (lua_Integer)strtoll(v, NULL, 10));
      break;
    case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC:
      lua_pushnumber(L, (lua_Number)strtod(v, NULL));
      break;
    default: lua_pushlstring(L, v, (size_t)PQgetlength(r, row, col));
  }
}

static int query_push(lua_State *co, ls_op *op) {
  ls_pg *pg = op->data;
  const PGresult *r;
  int i, c, nrows, ncols;
  if (pg == NULL) return push_error(co, NULL);
  r = pg->res;
  if (pg->err || r == NULL) {
    int n = push_error(co, pg);
    forget_result(pg);
    return n;
  }
  nrows = PQntuples(r);
  ncols = PQnfields(r);
  luaL_checkstack(co, 4, "postgresql result");
  lua_createtable(co, nrows, 0);
  for (i = 0; i < nrows; i++) {
    lua_createtable(co, 0, ncols);
    for (c = 0; c < ncols; c++) {
      push_value(co, r, i, c);
      lua_setfield(co, -2, PQfname(r, c));
    }
    lua_rawseti(co, -2, i + 1);
  }
  lua_pushinteger(co, (lua_Integer)strtoll(PQcmdTuples((PGresult *)r), NULL, 10));
  forget_result(pg);
  return 2;
}

static ls_op *new_op(lua_State *L, ls_pg *pg, int (*push)(lua_State *, ls_op *)) {
  ls_op *op = ls_op_new(L, pg->core);
  op->data = pg;
  op->cancel = op_cancel;
  op->release = op_cancel;
  op->push = push;
  pg->op = op;
  return op;
}

/* ----------------------------------------------------------- Lua API */

/* Server notices ("relation already exists, skipping") are not errors. */
static void ignore_notice(void *arg, const char *message) {
  (void)arg; (void)message;
}

static ls_pg *check_pg(lua_State *L) {
  return luaL_checkudata(L, 1, LS_PG_MT);
}

/* pg_connect(conninfo [, timeout]) -> conn | nil, message, code */
static int l_connect(lua_State *L) {
  ls_core *core = ls_core_get(L);
  const char *info = luaL_checkstring(L, 1);
  double timeout = luaL_optnumber(L, 2, DEFAULT_TIMEOUT);
  ls_pg *pg;
  ls_op *op;
  int n;
  char msg[256];
  luaL_argcheck(L, timeout > 0 && timeout < 1e9, 2, "must be seconds > 0");
  if (ls_pq_load(msg, sizeof msg) != 0) { /* a world failure: nil, message */
    luaL_pushfail(L);
    lua_pushfstring(L, "postgresql: %s", msg);
    return 2;
  }
  pg = lua_newuserdatauv(L, sizeof *pg, 0); /* closed until connected */
  memset(pg, 0, sizeof *pg);
  pg->core = core;
  pg->timeout = timeout;
  pg->self_ref = LUA_NOREF;
  luaL_setmetatable(L, LS_PG_MT);
  pg->conn = PQconnectStart(info);
  if (pg->conn == NULL) return luaL_error(L, "postgresql: out of memory");
  PQsetNoticeProcessor(pg->conn, ignore_notice, NULL);
  if (PQstatus(pg->conn) == CONNECTION_BAD || PQsetnonblocking(pg->conn, 1) != 0) {
    set_error(pg, PQerrorMessage(pg->conn), NULL);
    drop(pg);
    n = push_error(L, pg);
    forget_result(pg);
    return n;
  }
  pg->connecting = 1;
  lua_pushvalue(L, -1);
  pg->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  op = new_op(L, pg, connect_push);
  if (watch(pg, EV_WRITE) != 0) fail_and_drop(pg, "postgresql: cannot watch the socket");
  return ls_op_wait(L, op); /* the connection, or fail, message, code */
}

/* Turns the arguments from `first` on into text parameters; NULL for nil. */
static const char **params(lua_State *L, int first, int n) {
  const char **v;
  char *num;
  int i;
  if (n == 0) return NULL;
  v = lua_newuserdatauv(L, (size_t)n * (sizeof *v + 32), 0); /* freed by GC */
  num = (char *)(v + n);
  for (i = 0; i < n; i++) {
    int idx = first + i;
    char *buf = num + (size_t)i * 32;
    switch (lua_type(L, idx)) {
      case LUA_TNIL: v[i] = NULL; break;
      case LUA_TBOOLEAN: v[i] = lua_toboolean(L, idx) ? "true" : "false"; break;
      case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) snprintf(buf, 32, "%lld", (long long)lua_tointeger(L, idx));
        else snprintf(buf, 32, "%.17g", (double)lua_tonumber(L, idx));
        v[i] = buf;
        break;
      case LUA_TSTRING: v[i] = lua_tostring(L, idx); break;
      default:
        luaL_argerror(L, idx, "postgresql can bind nil, boolean, number or string");
    }
  }
  return v;
}

/* conn:query(sql, ...) -> rows, count | nil, message, code */
static int l_query(lua_State *L) {
  ls_pg *pg = check_pg(L);
  const char *sql = luaL_checkstring(L, 2);
  int n = lua_gettop(L) - 2;
  const char **v;
  ls_op *op;
  if (pg->op) return luaL_error(L, "postgresql: the connection is busy with another query");
  v = params(L, 3, n);
  if (pg->conn == NULL || PQstatus(pg->conn) != CONNECTION_OK) {
    set_error(pg, "postgresql: not connected", NULL);
    n = push_error(L, pg);
    forget_result(pg);
    return n;
  }
  forget_result(pg);
  if (!PQsendQueryParams(pg->conn, sql, n, NULL, v, NULL, NULL, 0)) {
    set_error(pg, PQerrorMessage(pg->conn), NULL);
    if (PQstatus(pg->conn) != CONNECTION_OK) drop(pg);
    n = push_error(L, pg);
    forget_result(pg);
    return n;
  }
  op = new_op(L, pg, query_push);
  flush_step(pg);
  return ls_op_wait(L, op);
}

/* conn:ok() -> true while the connection is up (as far as libpq knows) */
static int l_ok(lua_State *L) {
  ls_pg *pg = check_pg(L);
  lua_pushboolean(L, pg->conn != NULL && !pg->connecting && PQstatus(pg->conn) == CONNECTION_OK);
  return 1;
}

static int l_close(lua_State *L) {
  ls_pg *pg = check_pg(L);
  ls_op *op = pg->op;
  if (op) { /* a task still waits: it gets "connection closed" */
    pg->op = NULL;
    op->data = NULL;
    ls_op_complete(op);
  }
  drop(pg);
  forget_result(pg);
  if (pg->self_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, pg->self_ref);
  pg->self_ref = LUA_NOREF;
  return 0;
}

static const luaL_Reg pg_methods[] = {
  {"close", l_close},
  {"ok", l_ok},
  {"query", l_query},
  {NULL, NULL}
};

const luaL_Reg ls_pg_funcs[] = {
  {"pg_connect", l_connect},
  {NULL, NULL}
};

void ls_pg_open(lua_State *L) {
  ls_closable_class(L, LS_PG_MT, pg_methods, l_close);
}
