/*
** core_json.c: core.json_decode, JSON text straight into the Lua values
** the project uses, in one pass: yajl tokenizes, each of its events
** pushes a value, and a container becomes a table, sized once, when it
** closes. Strings must be UTF-8 as RFC 3629 has it (yajl's own check lets
** surrogates, overlong forms and code points past U+10FFFF through, and
** decodes an escaped lone surrogate to one), so we check them here.
**
**   core.json_decode(s, array_mt, null) -> value | nil, message
**
** An integer literal that fits 64 bits is an integer; any other number
** is a float, or an integer when its value is integral within +-2^53
** ("1.0", "1e3"). null is dropped from objects and is `null` in arrays.
** Arrays, empty ones too, get array_mt, so they encode back as arrays.
** At most MAX_DEPTH nested arrays and objects. Never raises on bad text;
** out of memory is raised as usual.
*/
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "core.h"

#define TWO53 9007199254740992.0
#define MAX_DEPTH 1000
/* a container's items wait on the Lua stack until it closes; past this
** many slots they are moved into its table, so a long array does not
** need a stack as long as itself */
#define FLUSH_SLOTS 64

typedef struct {
  int slot;        /* stack index of the table, nil until made */
  int is_array;
  lua_Integer n;   /* array elements already moved into the table */
} frame;

typedef struct {
  lua_State *L;
  int array_mt, null;          /* stack indexes of the arguments */
  int depth;
  int too_deep;
  int bad_utf8;
  yajl_handle h;
  /* where the top-level value ended, when it ended inside yajl_parse: yajl
  ** takes an unterminated string after it for a token still to come */
  size_t value_end;
  int finishing;               /* in yajl_complete_parse */
  frame frames[MAX_DEPTH];
} decoder;

/* Moves the items above f->slot into its table (made now, sized for
** them, when there is none yet); `closing` sets the array metatable. */
static void flush(decoder *d, frame *f, int closing) {
  lua_State *L = d->L;
  int top = lua_gettop(L), first = f->slot + 1, i;
  int items = top - f->slot;
  if (lua_isnil(L, f->slot)) {
    if (f->is_array) lua_createtable(L, items, 0);
    else lua_createtable(L, 0, items / 2);
    lua_replace(L, f->slot);
  }
  if (f->is_array) {
    for (i = first; i <= top; i++) {
      lua_pushvalue(L, i);
      lua_rawseti(L, f->slot, ++f->n);
    }
  } else {
    /* in document order: of two equal keys the later one wins, and a
    ** null member is no member (it removes an earlier one) */
    for (i = first; i < top; i += 2) {
      lua_pushvalue(L, i);
      if (lua_rawequal(L, i + 1, d->null)) {
        int present = lua_rawget(L, f->slot) != LUA_TNIL;
        lua_pop(L, 1);
        if (!present) continue;
        lua_pushvalue(L, i);
        lua_pushnil(L);
      } else {
        lua_pushvalue(L, i + 1);
      }
      lua_rawset(L, f->slot);
    }
  }
  lua_settop(L, f->slot);
  if (closing && f->is_array) {
    lua_pushvalue(L, d->array_mt);
    lua_setmetatable(L, f->slot);
  }
}

/* After a value was pushed: a long container gets its items moved. */
static int pushed(decoder *d) {
  if (d->depth == 0) {
    if (!d->finishing) d->value_end = yajl_get_bytes_consumed(d->h);
  } else {
    frame *f = &d->frames[d->depth - 1];
    if (lua_gettop(d->L) - f->slot >= FLUSH_SLOTS) flush(d, f, 0);
  }
  return 1;
}

static int on_null(void *ctx) {
  decoder *d = ctx;
  lua_pushvalue(d->L, d->null); /* in an object, flush() drops the member */
  return pushed(d);
}

static int on_boolean(void *ctx, int b) {
  decoder *d = ctx;
  lua_pushboolean(d->L, b);
  return pushed(d);
}

/* The literal as an integer when it is one that fits, else nonzero. */
static int parse_integer(const char *s, size_t len, lua_Integer *out) {
  size_t i = 0;
  int neg = 0;
  lua_Unsigned v = 0, limit;
  if (len > 0 && s[0] == '-') { neg = 1; i = 1; }
  if (i == len) return 1;
  limit = neg ? (lua_Unsigned)LUA_MININTEGER : (lua_Unsigned)LUA_MAXINTEGER;
  for (; i < len; i++) {
    unsigned digit;
    if (s[i] < '0' || s[i] > '9') return 1; /* a fraction or an exponent */
    digit = (unsigned)(s[i] - '0');
    if (v > (limit - digit) / 10) return 1;
    v = v * 10 + digit;
  }
  *out = neg ? (lua_Integer)(0u - v) : (lua_Integer)v;
  return 0;
}

static int on_number(void *ctx, const char *s, size_t len) {
  decoder *d = ctx;
  lua_Integer i;
  if (parse_integer(s, len, &i) == 0) {
    lua_pushinteger(d->L, i);
  } else {
    char buf[64], *copy = buf, *end;
    double v;
    /* yajl's text is not terminated; numbers are short but need not be */
    if (len >= sizeof buf) copy = malloc(len + 1);
    if (copy == NULL) return 0;
    memcpy(copy, s, len);
    copy[len] = '\0';
    v = strtod(copy, &end);
    if (copy != buf) free(copy);
    if (v > -TWO53 && v < TWO53 && (double)(lua_Integer)v == v) lua_pushinteger(d->L, (lua_Integer)v);
    else lua_pushnumber(d->L, (lua_Number)v);
  }
  return pushed(d);
}

/* Whether s[0..len) is well-formed UTF-8 (RFC 3629, table 3-7 of The
** Unicode Standard): no overlong form, no surrogate, nothing past
** U+10FFFF. */
static int utf8_valid(const unsigned char *s, size_t len) {
  size_t i = 0;
  while (i < len) {
    unsigned c = s[i];
    size_t n, k;
    unsigned lo = 0x80, hi = 0xBF; /* the range of the second byte */
    if (c < 0x80) {
      uint64_t w;
      /* ASCII, most of every answer: eight bytes at a time */
      while (len - i >= 8 && (memcpy(&w, s + i, 8), (w & 0x8080808080808080u) == 0)) i += 8;
      while (i < len && s[i] < 0x80) i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;      /* overlong */
      else if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;      /* overlong */
      else if (c == 0xF4) hi = 0x8F; /* past U+10FFFF */
    } else return 0;
    if (len - i <= n) return 0;
    if (s[i + 1] < lo || s[i + 1] > hi) return 0;
    for (k = 2; k <= n; k++)
      if ((s[i + k] & 0xC0) != 0x80) return 0;
    i += n + 1;
  }
  return 1;
}

static int push_text(decoder *d, const unsigned char *s, size_t len) {
  if (!utf8_valid(s, len)) { d->bad_utf8 = 1; return 0; }
  lua_pushlstring(d->L, (const char *)s, len);
  return 1;
}

static int on_string(void *ctx, const unsigned char *s, size_t len) {
  decoder *d = ctx;
  if (!push_text(d, s, len)) return 0;
  return pushed(d);
}

static int on_key(void *ctx, const unsigned char *s, size_t len) {
  /* its value follows: no flush between the two */
  return push_text(ctx, s, len);
}

static int open_container(decoder *d, int is_array) {
  frame *f;
  if (d->depth == MAX_DEPTH) { d->too_deep = 1; return 0; }
  luaL_checkstack(d->L, FLUSH_SLOTS + 8, "JSON nested too deeply");
  lua_pushnil(d->L);
  f = &d->frames[d->depth++];
  f->slot = lua_gettop(d->L);
  f->is_array = is_array;
  f->n = 0;
  return 1;
}

static int close_container(decoder *d) {
  flush(d, &d->frames[--d->depth], 1);
  return pushed(d);
}

static int on_start_map(void *ctx) { return open_container(ctx, 0); }
static int on_start_array(void *ctx) { return open_container(ctx, 1); }
static int on_end(void *ctx) { return close_container(ctx); }

static const yajl_callbacks callbacks = {
  on_null, on_boolean, NULL, NULL, on_number, on_string,
  on_start_map, on_key, on_end, on_start_array, on_end,
};

typedef struct {
  decoder *d;
  const unsigned char *text;
  size_t len;
  yajl_status status;
  int got_value;
} parse_args;

/* Under lua_pcall, so that a memory error in a callback does not leave
** yajl's handle behind. Arguments: 1 the parse_args, 2 array_mt, 3 null;
** the value decoded is left at 4. */
static int parse_protected(lua_State *L) {
  parse_args *a = lua_touserdata(L, 1);
  a->d->L = L;
  a->d->array_mt = 2;
  a->d->null = 3;
  a->status = yajl_parse(a->d->h, a->text, a->len);
  if (a->status == yajl_status_ok) {
    /* a value completed now took the whole text; an error now is at its end */
    a->d->finishing = 1;
    a->status = yajl_complete_parse(a->d->h);
  }
  a->got_value = a->status == yajl_status_ok && lua_gettop(L) == 4;
  return a->got_value;
}

/* yajl's message, without its picture of the text, and where */
static void push_error(lua_State *L, parse_args *a) {
  unsigned char *msg = yajl_get_error(a->d->h, 0, a->text, a->len);
  const char *m = (const char *)msg;
  size_t n = strcspn(m, "\n");
  while (n > 0 && (m[n - 1] == '.' || m[n - 1] == ' ')) n--;
  lua_pushlstring(L, m, n);
  /* the bytes consumed end with the one that was refused */
  if (a->d->finishing) lua_pushliteral(L, " at the end of the text");
  else lua_pushfstring(L, " at byte %d", (int)yajl_get_bytes_consumed(a->d->h));
  lua_concat(L, 2);
  yajl_free_error(a->d->h, msg);
}

static int l_json_decode(lua_State *L) {
  decoder d; /* on the C stack: the pcall below returns here either way */
  parse_args a;
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checkany(L, 3);
  d.depth = 0;
  d.too_deep = 0;
  d.bad_utf8 = 0;
  d.value_end = len;
  d.finishing = 0;
  d.h = yajl_alloc(&callbacks, NULL, &d);
  if (d.h == NULL) return luaL_error(L, "json_decode: out of memory");
  yajl_config(d.h, yajl_dont_validate_strings, 1); /* utf8_valid does */
  a.d = &d;
  a.got_value = 0;
  a.text = (const unsigned char *)s;
  a.len = len;
  lua_settop(L, 3);
  lua_pushcfunction(L, parse_protected);
  lua_pushlightuserdata(L, &a);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
    yajl_free(d.h);
    return lua_error(L);
  }
  if (a.got_value) {
    size_t i = d.value_end;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    yajl_free(d.h);
    if (i == len) return 1;
    lua_pushnil(L);
    lua_pushfstring(L, "parse error: trailing garbage at byte %d", (int)i + 1);
    return 2;
  }
  lua_pushnil(L);
  if (d.too_deep) lua_pushfstring(L, "more than %d nested arrays and objects", MAX_DEPTH);
  else if (d.bad_utf8)
    lua_pushfstring(L, "a string that is not valid UTF-8 ends at byte %d", (int)yajl_get_bytes_consumed(d.h));
  else if (a.status == yajl_status_ok) lua_pushliteral(L, "no value in the text");
  else push_error(L, &a);
  yajl_free(d.h);
  return 2;
}

const luaL_Reg ls_json_funcs[] = {
  {"json_decode", l_json_decode},
  {NULL, NULL}
};
