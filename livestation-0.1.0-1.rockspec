-- luarocks: `luarocks make --lua-version 5.4` in the checkout builds the
-- C module with the project's Makefile and installs it with the Lua
-- modules and the editor annotations into a luarocks tree (lsrun and the C
-- library are `make install`'s).
rockspec_format = "3.0"
package = "livestation"
version = "0.1.0-1"
-- built from the checkout it sits in (luarocks make); no upstream archive
source = { url = "." }
description = {
   summary = "Automate NAVER Cloud Live Station from Lua 5.4",
   detailed = [[
Every Live Station operation signed and sent for you, with safe retries,
waiters, pagination, a scheduler that survives restarts, and a local
emulator of the service.]],
   -- no license has been chosen for the project yet
   license = "UNLICENSED",
   labels = { "ncloud", "livestation", "streaming" },
}
supported_platforms = { "linux" }
dependencies = {
   "lua >= 5.4, < 5.5",
}
external_dependencies = {
   -- Debian keeps curl's headers under the multiarch include directory
   CURL = { library = "curl" },
   EVENT = { header = "event2/event.h" },
   OPENSSL = { header = "openssl/hmac.h" },
   SQLITE = { header = "sqlite3.h" },
}
build = {
   type = "make",
   build_target = "livestation.so",
   build_variables = {
      CFLAGS = "$(CFLAGS)",
      LUA_INC = "-I$(LUA_INCDIR)",
   },
   install_target = "install-lua",
   install_variables = {
      LUADIR = "$(LUADIR)",
      CMODDIR = "$(LIBDIR)",
      -- the editor annotations land in the rock's directory, meta/
      DATADIR = "$(PREFIX)",
   },
}
