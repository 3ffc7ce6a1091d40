# livestation: `make` builds ./lsrun, the Lua C module ./livestation.so
# (require "livestation.core" finds it through the all-in-one loader) and
# the static and shared libraries for embedding.

CC      ?= cc
CFLAGS  ?= -O2 -g
LUA_INC ?= -I/usr/include/lua5.4
LUA_LIB ?= -llua5.4
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes
ALL_CFLAGS = -std=c99 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -fPIC \
             $(WARN) $(LUA_INC) $(CFLAGS) $(SAN)
# libcurl is not linked: src/ls_curl.c opens it with the first transfer
LIBS     = -levent -lcrypto -lsqlite3
BUSTED   = lua5.4 /usr/bin/busted

CORE = ls_sign ls_curl ls_http core core_task core_http core_server core_util core_store runtime
OBJ  = $(CORE:%=build/%.o)

all: lsrun livestation.so liblivestation.a liblivestation.so

build/%.o: src/%.c src/*.h | build
	$(CC) $(ALL_CFLAGS) -c $< -o $@

build:
	mkdir -p build

liblivestation.a: $(OBJ)
	rm -f $@ && ar rcs $@ $(OBJ)

liblivestation.so: $(OBJ)
	$(CC) -shared $(SAN) -o $@ $(OBJ) $(LIBS) $(LUA_LIB)

# the module borrows the Lua API from the interpreter that loads it
livestation.so: $(OBJ)
	$(CC) -shared $(SAN) -o $@ $(OBJ) $(LIBS)

# -Wl,-E: C modules that scripts require (cjson) find the Lua API in lsrun
lsrun: build/lsrun.o liblivestation.a
	$(CC) $(SAN) -Wl,-E -o $@ build/lsrun.o liblivestation.a $(LUA_LIB) $(LIBS) -lm

test_core: test/test_core.c liblivestation.a
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< liblivestation.a $(LUA_LIB) $(LIBS) -lm

test_embed: test/test_embed.c liblivestation.a
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< liblivestation.a $(LUA_LIB) $(LIBS) -lm

deps:
	@sh tools/deps.sh

test: deps
	@$(MAKE) --no-print-directory all test_core test_embed
	@sh tools/run_tests.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@rm -f build/demo-state.db build/demo-state.db-wal build/demo-state.db-shm
	@./lsrun --emulator --speed 10 --state build/demo-state.db \
		scripts/scheduled_broadcast.lua scripts/examples/demo_broadcast.lua

# the suite under AddressSanitizer and UndefinedBehaviorSanitizer
asan: deps
	@sh tools/asan.sh

bench: all
	@./lsrun bench/emulator_bench.lua 5 32
	@if [ -f bench/timers_bench.lua ]; then ./lsrun bench/timers_bench.lua; fi

# written to a temporary file first: a failed run leaves the table untouched
catalogue:
	@lua5.4 tools/gen_catalogue.lua api > lua/livestation/catalogue.lua.tmp \
	  || { rm -f lua/livestation/catalogue.lua.tmp; exit 1; }
	@mv lua/livestation/catalogue.lua.tmp lua/livestation/catalogue.lua

clean:
	rm -rf build lsrun livestation.so liblivestation.a liblivestation.so test_core test_embed

.PHONY: all deps test demo asan bench catalogue clean
