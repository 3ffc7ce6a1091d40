/*
** fuzz_json.c: a libFuzzer target for json.decode (src/core_json.c),
** the parser every answer and every request to the emulator goes
** through. Each input is decoded; what decodes must encode again, and
** that text must decode to a value that encodes the same (a number too
** large for JSON's encoder aside). Built with AddressSanitizer and
** UndefinedBehaviorSanitizer; run from the checkout's root.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <lauxlib.h>

#include "core.h"
#include "livestation.h"

static ls_runtime *rt;
static lua_State *L;

static const char *check_script =
  "local json = require 'livestation.json'\n"
  "return function(s)\n"
  "  local v, err = json.decode(s)\n"
  "  if v == nil then\n"
  "    assert(type(err) == 'string' and err:find('^json.decode: '), 'no message')\n"
  "    return\n"
  "  end\n"
  "  local ok, e = pcall(json.encode, v)\n"
  "  if not ok then\n"
  "    assert(tostring(e):find('infinite'), e)\n"
  "    return\n"
  "  end\n"
  "  local v2, err2 = json.decode(e)\n"
  "  assert(err2 == nil, err2)\n"
  "  assert(json.encode(v2) == e, 'a value that does not encode the same twice')\n"
  "end\n";

static void setup(void) {
  struct event_base *base = event_base_new();
  rt = ls_runtime_new(".", base);
  if (rt == NULL) abort();
  L = ls_runtime_state(rt);
  if (luaL_loadstring(L, check_script) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    abort();
  }
  lua_setfield(L, LUA_REGISTRYINDEX, "fuzz_json_check");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int top;
  if (rt == NULL) setup();
  top = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, "fuzz_json_check");
  lua_pushlstring(L, (const char *)data, size);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_json: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_settop(L, top);
  return 0;
}
