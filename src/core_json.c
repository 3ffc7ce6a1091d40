/*
** core_json.c: core.json_decode, JSON text (RFC 8259) straight into the
** Lua values the project uses, in one pass over the text: a scalar is
** pushed as it is read, a container's items wait on the Lua stack and
** become its table, sized once, when it closes. Strings must be UTF-8 as
** RFC 3629 has it: no surrogate, overlong form or code point past
** U+10FFFF, raw or escaped.
**
**   core.json_decode(s, array_mt, null) -> value | nil, message
**
** An integer literal that fits 64 bits is an integer; any other number
** is a float, or an integer when its value is integral within +-2^53
** ("1.0", "1e3"). null is dropped from objects and is `null` in arrays.
** Arrays, empty ones too, get array_mt, so they encode back as arrays.
** At most MAX_DEPTH nested arrays and objects. Never raises on bad text;
** out of memory is raised as usual (nothing here holds memory of its own,
** so nothing leaks when it is).
**
** Written here rather than on a tokenizer library: every answer of the
** service goes through it, and on the 1 KB channel answer yajl's
** tokenizer alone cost more instructions (28,000) than this whole pass
** spends on the text; what is left is the Lua strings and tables.
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

#define TWO53 9007199254740992.0
#define MAX_DEPTH 1000
/* a container's items wait on the Lua stack until it closes; past this
** many slots they are moved into its table, so a long array does not
** need a stack as long as itself (even: an object's pairs stay whole) */
#define FLUSH_SLOTS 64

typedef const unsigned char *text;

typedef struct {
  int slot;        /* stack index of the table, nil until made */
  int is_array;
  lua_Integer n;   /* array elements already moved into the table */
} frame;

typedef struct {
  lua_State *L;
  text start, end;
  int array_mt, null;          /* stack indexes of the arguments */
  const char *why;             /* what went wrong */
  text at;                     /* where, NULL for no place */
} parser;

static int fail(parser *ps, const char *why, text at) {
  ps->why = why;
  ps->at = at;
  return 0;
}

static int at_end(parser *ps) {
  return fail(ps, "unexpected end of the text", NULL);
}

static int unexpected(parser *ps, text at) {
  return fail(ps, "unexpected", at);
}

static text skip_ws(text p, text end) {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
  return p;
}

/* ------------------------------------------------------------ tables */

/* Moves the items above f->slot into its table (made now, sized for
** them, when there is none yet); `closing` sets the array metatable. */
static void flush(parser *ps, frame *f, int closing) {
  lua_State *L = ps->L;
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
    int null_type = lua_type(L, ps->null);
    for (i = first; i < top; i += 2) {
      lua_pushvalue(L, i);
      /* the type first: most members are not null, and it is cheaper */
      if (lua_type(L, i + 1) == null_type && lua_rawequal(L, i + 1, ps->null)) {
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
    lua_pushvalue(L, ps->array_mt);
    lua_setmetatable(L, f->slot);
  }
}

/* ----------------------------------------------------------- strings */

/* 1 for the bytes a string holds as they are: printable ASCII but '"'
** and '\\' */
static const unsigned char plain[256] = {
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Length of the UTF-8 sequence at p (its first byte >= 0x80) when it is
** well-formed (RFC 3629, table 3-7 of The Unicode Standard), else 0. */
static size_t utf8_seq(text p, text end) {
  unsigned c = p[0], lo = 0x80, hi = 0xBF; /* the range of the second byte */
  size_t n, k;
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
  if ((size_t)(end - p) <= n) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (k = 2; k <= n; k++)
    if ((p[k] & 0xC0) != 0x80) return 0;
  return n + 1;
}

/* The four hex digits at p as a number, or -1. */
static long hex4(text p, text end) {
  long v = 0;
  int i;
  if (end - p < 4) return -1;
  for (i = 0; i < 4; i++) {
    unsigned c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  return v;
}

static size_t utf8_encode(char *out, unsigned long cp) {
  if (cp < 0x80) { out[0] = (char)cp; return 1; }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* The escape at *pp (its backslash) into b; *pp moves past it. */
static int add_escape(parser *ps, luaL_Buffer *b, text *pp) {
  text p = *pp, end = ps->end;
  char out[4];
  long cp, lo;
  if (end - p < 2) return at_end(ps);
  switch (p[1]) {
    case '"': case '\\': case '/': luaL_addchar(b, (char)p[1]); *pp = p + 2; return 1;
    case 'b': luaL_addchar(b, '\b'); *pp = p + 2; return 1;
    case 'f': luaL_addchar(b, '\f'); *pp = p + 2; return 1;
    case 'n': luaL_addchar(b, '\n'); *pp = p + 2; return 1;
    case 'r': luaL_addchar(b, '\r'); *pp = p + 2; return 1;
    case 't': luaL_addchar(b, '\t'); *pp = p + 2; return 1;
    case 'u': break;
    default: return fail(ps, "an invalid escape", p);
  }
  cp = hex4(p + 2, end);
  if (cp < 0) return fail(ps, "an invalid \\u escape", p);
  if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(ps, "an escaped lone surrogate", p);
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    /* a high surrogate: the low one must follow, escaped too */
    if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || (lo = hex4(p + 8, end)) < 0xDC00 || lo > 0xDFFF)
      return fail(ps, "an escaped lone surrogate", p);
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    p += 6;
  }
  luaL_addlstring(b, out, utf8_encode(out, (unsigned long)cp));
  *pp = p + 6;
  return 1;
}

/* Pushes the string whose opening quote is at *pp; *pp moves past its
** closing quote. Without escapes it goes to Lua straight from the text. */
static int push_string(parser *ps, text *pp) {
  text p = *pp + 1, end = ps->end, run = p;
  luaL_Buffer b;
  int buffered = 0;
  for (;;) {
    unsigned c;
    while (p < end && plain[*p]) p++;
    if (p == end) return at_end(ps);
    c = *p;
    if (c == '"') break;
    if (c >= 0x80) {
      size_t n = utf8_seq(p, end);
      if (n == 0) return fail(ps, "a string that is not valid UTF-8", p);
      p += n;
    } else if (c < 0x20) {
      return fail(ps, "a control character in a string", p);
    } else { /* a backslash */
      if (!buffered) {
        luaL_buffinit(ps->L, &b);
        buffered = 1;
      }
      luaL_addlstring(&b, (const char *)run, (size_t)(p - run));
      if (!add_escape(ps, &b, &p)) return 0;
      run = p;
    }
  }
  if (buffered) {
    luaL_addlstring(&b, (const char *)run, (size_t)(p - run));
    luaL_pushresult(&b);
  } else {
    lua_pushlstring(ps->L, (const char *)run, (size_t)(p - run));
  }
  *pp = p + 1;
  return 1;
}

/* ----------------------------------------------------------- scalars */

/* The literal as an integer when it is one that fits, else nonzero. */
static int parse_integer(text s, size_t len, lua_Integer *out) {
  size_t i = 0;
  int neg = 0;
  lua_Unsigned v = 0, limit;
  if (len > 0 && s[0] == '-') { neg = 1; i = 1; }
  limit = neg ? (lua_Unsigned)LUA_MININTEGER : (lua_Unsigned)LUA_MAXINTEGER;
  for (; i < len; i++) {
    unsigned digit = (unsigned)(s[i] - '0');
    if (v > (limit - digit) / 10) return 1;
    v = v * 10 + digit;
  }
  *out = neg ? (lua_Integer)(0u - v) : (lua_Integer)v;
  return 0;
}

#define DIGIT(p, end) ((p) < (end) && *(p) >= '0' && *(p) <= '9')

/* Pushes the number at *pp (RFC 8259's grammar: no leading zeros, no
** '+', digits on both sides of a point); *pp moves past it. */
static int push_number(parser *ps, text *pp) {
  lua_State *L = ps->L;
  text s = *pp, p = s, end = ps->end;
  int integral = 1;
  lua_Integer i;
  if (*p == '-') p++;
  if (p < end && *p == '0') p++;
  else if (DIGIT(p, end)) while (DIGIT(p, end)) p++;
  else return p == end ? at_end(ps) : fail(ps, "an invalid number", s);
  if (p < end && *p == '.') {
    integral = 0;
    p++;
    if (!DIGIT(p, end)) return p == end ? at_end(ps) : fail(ps, "an invalid number", s);
    while (DIGIT(p, end)) p++;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    integral = 0;
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (!DIGIT(p, end)) return p == end ? at_end(ps) : fail(ps, "an invalid number", s);
    while (DIGIT(p, end)) p++;
  }
  *pp = p;
  if (integral && parse_integer(s, (size_t)(p - s), &i) == 0) {
    lua_pushinteger(L, i);
    return 1;
  }
  {
    /* Lua's own conversion: the grammar is checked, and it reads a '.'
    ** whatever the locale */
    char buf[64];
    size_t len = (size_t)(p - s);
    lua_Number v;
    if (len < sizeof buf) {
      memcpy(buf, s, len);
      buf[len] = '\0';
      if (lua_stringtonumber(L, buf) == 0) return fail(ps, "an invalid number", s);
    } else {
      lua_pushlstring(L, (const char *)s, len); /* terminated for us */
      if (lua_stringtonumber(L, lua_tostring(L, -1)) == 0) return fail(ps, "an invalid number", s);
      lua_remove(L, -2);
    }
    v = lua_tonumber(L, -1);
    if (v > -TWO53 && v < TWO53 && (lua_Number)(lua_Integer)v == v) {
      lua_pop(L, 1);
      lua_pushinteger(L, (lua_Integer)v);
    }
  }
  return 1;
}

/* true, false or null at *pp. */
static int push_literal(parser *ps, text *pp) {
  static const char *const words[] = {"true", "false", "null"};
  text p = *pp;
  const char *w = words[*p == 't' ? 0 : *p == 'f' ? 1 : 2];
  size_t n = strlen(w), i;
  for (i = 1; i < n; i++) {
    if (p + i == ps->end) return at_end(ps);
    if (p[i] != (unsigned char)w[i]) return unexpected(ps, p + i);
  }
  if (w[0] == 'n') lua_pushvalue(ps->L, ps->null);
  else lua_pushboolean(ps->L, w[0] == 't');
  *pp = p + n;
  return 1;
}

/* -------------------------------------------------------------- text */

/* The value at the start of the text, left on the stack; returns the
** byte after it, or NULL with ps->why set. Iterative: the nesting lives
** in frames, not in the C stack. */
static text parse(parser *ps) {
  frame frames[MAX_DEPTH];
  lua_State *L = ps->L;
  text p = ps->start, end = ps->end;
  int depth = 0;
  frame *f;
  for (;;) {
    /* a value */
    p = skip_ws(p, end);
    if (p == end) { at_end(ps); return NULL; }
    switch (*p) {
      case '{': case '[':
        if (depth == MAX_DEPTH) {
          fail(ps, "more than 1000 nested arrays and objects", NULL);
          return NULL;
        }
        luaL_checkstack(L, FLUSH_SLOTS + 8, "JSON nested too deeply");
        lua_pushnil(L);
        f = &frames[depth++];
        f->slot = lua_gettop(L);
        f->is_array = *p == '[';
        f->n = 0;
        p = skip_ws(p + 1, end);
        if (p < end && *p == (f->is_array ? ']' : '}')) {
          p++;
          flush(ps, f, 1);
          depth--;
          break;
        }
        if (f->is_array) continue;
        goto name;
      case '"':
        if (!push_string(ps, &p)) return NULL;
        break;
      case 't': case 'f': case 'n':
        if (!push_literal(ps, &p)) return NULL;
        break;
      default:
        if (*p == '-' || (*p >= '0' && *p <= '9')) {
          if (!push_number(ps, &p)) return NULL;
          break;
        }
        { unexpected(ps, p); return NULL; }
    }
    /* after a value: the next one, or the end of containers */
    for (;;) {
      if (depth == 0) return p;
      f = &frames[depth - 1];
      if (lua_gettop(L) - f->slot >= FLUSH_SLOTS) flush(ps, f, 0);
      p = skip_ws(p, end);
      if (p == end) { at_end(ps); return NULL; }
      if (*p == ',') {
        p++;
        break;
      }
      if (*p != (f->is_array ? ']' : '}')) { unexpected(ps, p); return NULL; }
      p++;
      flush(ps, f, 1);
      depth--;
    }
    if (f->is_array) continue;
  name:
    /* a member's name and its colon; its value follows */
    p = skip_ws(p, end);
    if (p == end) { at_end(ps); return NULL; }
    if (*p != '"') { unexpected(ps, p); return NULL; }
    if (!push_string(ps, &p)) return NULL;
    p = skip_ws(p, end);
    if (p == end) { at_end(ps); return NULL; }
    if (*p != ':') { unexpected(ps, p); return NULL; }
    p++;
  }
}

/* ps->why, and where: a byte's number counts from 1 */
static void push_error(parser *ps) {
  lua_State *L = ps->L;
  int byte = ps->at ? (int)(ps->at - ps->start) + 1 : 0;
  if (ps->at == NULL) {
    lua_pushstring(L, ps->why);
  } else if (strcmp(ps->why, "unexpected") != 0) {
    lua_pushfstring(L, "%s at byte %d", ps->why, byte);
  } else if (*ps->at > 0x20 && *ps->at < 0x7F) {
    lua_pushfstring(L, "unexpected '%c' at byte %d", (int)*ps->at, byte);
  } else {
    char hex[8];
    snprintf(hex, sizeof hex, "0x%02X", (unsigned)*ps->at);
    lua_pushfstring(L, "unexpected byte %s at byte %d", hex, byte);
  }
}

static int l_json_decode(lua_State *L) {
  parser ps;
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  text after;
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checkany(L, 3);
  lua_settop(L, 3);
  luaL_checkstack(L, FLUSH_SLOTS + 8, "JSON");
  ps.L = L;
  ps.start = (text)s;
  ps.end = ps.start + len;
  ps.array_mt = 2;
  ps.null = 3;
  ps.why = NULL;
  ps.at = NULL;
  after = parse(&ps);
  if (after != NULL) {
    after = skip_ws(after, ps.end);
    if (after == ps.end) return 1;
    fail(&ps, "text after the value", after);
  }
  lua_settop(L, 3);
  lua_pushnil(L);
  push_error(&ps);
  return 2;
}

const luaL_Reg ls_json_funcs[] = {
  {"json_decode", l_json_decode},
  {NULL, NULL}
};
