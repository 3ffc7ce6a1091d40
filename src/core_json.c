/*
** core_json.c: core.json_normalize, the pass json.decode makes over what
** lua-cjson returns. In Lua it cost more than cjson's own decode of a
** 1 KB answer; here it is one walk with no allocation.
**
**   core.json_normalize(t, array_mt, null[, sentinel]) -> t
**
** Integral floats within +-2^53 become integers; null (cjson.null) is
** dropped from objects and kept in arrays; arrays (tables whose first
** key is a number, as cjson makes them) get array_mt; an array holding
** only the sentinel string stands for "[]" and is emptied.
*/
#include "core.h"

#define TWO53 9007199254740992.0

/* Arguments: 2 array_mt, 3 null, 4 sentinel (or nil); t at index t. */
static void normalize(lua_State *L, int t) {
  int is_array = 0;
  luaL_checkstack(L, 4, "JSON nested too deeply");
  lua_pushnil(L);
  if (lua_next(L, t)) { /* cjson gives arrays integer keys */
    is_array = lua_type(L, -2) == LUA_TNUMBER;
    lua_pop(L, 2);
  }
  if (is_array && !lua_isnil(L, 4)) {
    int only_sentinel;
    lua_rawgeti(L, t, 1);
    lua_rawgeti(L, t, 2);
    only_sentinel = lua_isnil(L, -1) && lua_rawequal(L, -2, 4);
    lua_pop(L, 2);
    if (only_sentinel) {
      lua_pushnil(L);
      lua_rawseti(L, t, 1);
      lua_pushvalue(L, 2);
      lua_setmetatable(L, t);
      return;
    }
  }
  lua_pushnil(L);
  while (lua_next(L, t)) {
    switch (lua_type(L, -1)) {
      case LUA_TNUMBER:
        if (!lua_isinteger(L, -1)) {
          lua_Number v = lua_tonumber(L, -1);
          if (v > -TWO53 && v < TWO53 && (lua_Number)(lua_Integer)v == v) {
            /* replacing an existing field's value is allowed in lua_next */
            lua_pushvalue(L, -2);
            lua_pushinteger(L, (lua_Integer)v);
            lua_rawset(L, t);
          }
        }
        break;
      case LUA_TTABLE:
        normalize(L, lua_gettop(L));
        break;
      case LUA_TLIGHTUSERDATA:
        if (!is_array && lua_rawequal(L, -1, 3)) {
          lua_pushvalue(L, -2);
          lua_pushnil(L);
          lua_rawset(L, t); /* clearing a field is allowed in lua_next */
        }
        break;
      default:
        break;
    }
    lua_pop(L, 1);
  }
  if (is_array) {
    lua_pushvalue(L, 2);
    lua_setmetatable(L, t);
  }
}

static int l_json_normalize(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checkany(L, 3);
  lua_settop(L, 4);
  normalize(L, 1);
  lua_settop(L, 1);
  return 1;
}

const luaL_Reg ls_json_funcs[] = {
  {"json_normalize", l_json_normalize},
  {NULL, NULL}
};
