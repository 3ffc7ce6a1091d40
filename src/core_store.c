/*
** core_store.c: a small SQLite binding for what must outlive the process
** (the emulator's world, job journals, script state).
**
**   db = core.sqlite_open(path)        -- WAL mode, 5 s busy timeout;
**                                      -- a new file is made 0600
**   db:exec(sql)                       -- one or more statements
**   rows = db:query(sql, ...)          -- binds ...; array of {col=value}
**   db:changes(), db:last_insert_id(), db:close()
**
** Failures of the world (cannot open, SQL error) return nil, message.
*/
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core.h"

#define LS_DB_MT "livestation.sqlite"

typedef struct ls_db {
  sqlite3 *db; /* NULL once closed */
} ls_db;

static ls_db *check_db(lua_State *L) {
  ls_db *d = luaL_checkudata(L, 1, LS_DB_MT);
  if (d->db == NULL) luaL_error(L, "sqlite: database is closed");
  return d;
}

static int fail(lua_State *L, sqlite3 *db) {
  luaL_pushfail(L);
  lua_pushstring(L, db ? sqlite3_errmsg(db) : "sqlite error");
  return 2;
}

/* State files hold what a script keeps (and the emulator's stream keys):
** a new one is created readable by its owner only, before SQLite opens
** it. SQLite gives the -wal and -shm files the mode of the database file,
** so they follow. An existing file keeps the mode its owner chose. */
static void create_private(const char *path) {
  int fd;
  if (path[0] == '\0' || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0) return;
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) close(fd);
}

static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  create_private(path);
  ls_db *d = lua_newuserdatauv(L, sizeof *d, 0);
  d->db = NULL;
  luaL_setmetatable(L, LS_DB_MT);
  if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                      SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
    int n = fail(L, d->db);
    sqlite3_close(d->db);
    d->db = NULL;
    return n;
  }
  sqlite3_busy_timeout(d->db, 5000);
  /* WAL: readers never block the writer; NORMAL sync is durable at each
  ** checkpoint and safe against corruption on a crash */
  sqlite3_exec(d->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
               NULL, NULL, NULL);
  return 1;
}

static int l_exec(lua_State *L) {
  ls_db *d = check_db(L);
  char *err = NULL;
  if (sqlite3_exec(d->db, luaL_checkstring(L, 2), NULL, NULL, &err) != SQLITE_OK) {
    luaL_pushfail(L);
    lua_pushstring(L, err ? err : sqlite3_errmsg(d->db));
    sqlite3_free(err);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* Binds the arguments from index first on. Returns 0, or the index of
** an argument of a type SQLite cannot hold (nothing is raised here: the
** caller finalizes the statement first), or -1 when SQLite refused. */
static int bind_args(lua_State *L, sqlite3_stmt *st, int first) {
  int i, n = lua_gettop(L);
  for (i = first; i <= n; i++) {
    int k = i - first + 1, rc;
    switch (lua_type(L, i)) {
      case LUA_TNIL: rc = sqlite3_bind_null(st, k); break;
      case LUA_TBOOLEAN: rc = sqlite3_bind_int(st, k, lua_toboolean(L, i)); break;
      case LUA_TNUMBER:
        rc = lua_isinteger(L, i) ? sqlite3_bind_int64(st, k, lua_tointeger(L, i))
                                 : sqlite3_bind_double(st, k, lua_tonumber(L, i));
        break;
      case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, i, &len);
        rc = sqlite3_bind_text64(st, k, s, (sqlite3_uint64)len, SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
        break;
      }
      default:
        return i;
    }
    if (rc != SQLITE_OK) return -1;
  }
  return 0;
}

static void push_column(lua_State *L, sqlite3_stmt *st, int c) {
  switch (sqlite3_column_type(st, c)) {
    case SQLITE_INTEGER: lua_pushinteger(L, sqlite3_column_int64(st, c)); break;
    case SQLITE_FLOAT: lua_pushnumber(L, sqlite3_column_double(st, c)); break;
    case SQLITE_NULL: lua_pushnil(L); break;
    default:
      lua_pushlstring(L, (const char *)sqlite3_column_blob(st, c),
                      (size_t)sqlite3_column_bytes(st, c));
  }
}

static int l_query(lua_State *L) {
  ls_db *d = check_db(L);
  const char *sql = luaL_checkstring(L, 2);
  sqlite3_stmt *st = NULL;
  int rc, row = 0, ncol;
  int bad;
  if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK) return fail(L, d->db);
  bad = bind_args(L, st, 3);
  if (bad != 0) {
    int n = bad < 0 ? fail(L, d->db) : 0;
    sqlite3_finalize(st); /* before raising: an open statement keeps the file open */
    if (bad > 0) return luaL_argerror(L, bad, "sqlite can bind nil, boolean, number or string");
    return n;
  }
  ncol = sqlite3_column_count(st);
  lua_newtable(L);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int c;
    lua_createtable(L, 0, ncol);
    for (c = 0; c < ncol; c++) {
      push_column(L, st, c);
      lua_setfield(L, -2, sqlite3_column_name(st, c));
    }
    lua_rawseti(L, -2, ++row);
  }
  if (rc != SQLITE_DONE) {
    lua_pop(L, 1);
    sqlite3_finalize(st);
    return fail(L, d->db);
  }
  sqlite3_finalize(st);
  return 1;
}

static int l_changes(lua_State *L) {
  lua_pushinteger(L, sqlite3_changes(check_db(L)->db));
  return 1;
}

static int l_last_insert_id(lua_State *L) {
  lua_pushinteger(L, sqlite3_last_insert_rowid(check_db(L)->db));
  return 1;
}

/* Every statement is finalized before a method returns, so the
** connection really closes here (the WAL is checkpointed and removed). */
static int l_close(lua_State *L) {
  ls_db *d = luaL_checkudata(L, 1, LS_DB_MT);
  sqlite3 *db = d->db;
  d->db = NULL;
  if (db && sqlite3_close(db) != SQLITE_OK) {
    sqlite3_stmt *st; /* cannot happen unless a statement leaked: finish them */
    while ((st = sqlite3_next_stmt(db, NULL)) != NULL) sqlite3_finalize(st);
    sqlite3_close(db);
  }
  return 0;
}

static const luaL_Reg db_methods[] = {
  {"changes", l_changes},
  {"close", l_close},
  {"exec", l_exec},
  {"last_insert_id", l_last_insert_id},
  {"query", l_query},
  {NULL, NULL}
};

const luaL_Reg ls_store_funcs[] = {
  {"sqlite_open", l_open},
  {NULL, NULL}
};

void ls_store_open(lua_State *L) {
  ls_closable_class(L, LS_DB_MT, db_methods, l_close);
}
