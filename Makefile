# livestation: `make` builds ./lsrun, the Lua C module ./livestation.so
# (require "livestation.core" finds it through the all-in-one loader) and
# the static and shared libraries for embedding. `make install` puts them
# under PREFIX (staged under DESTDIR when set); `make uninstall` removes them.

CC      ?= cc
CFLAGS  ?= -O2 -g
LUA_INC ?= -I/usr/include/lua5.4
PG_INC  ?= -I/usr/include/postgresql
LUA_LIB ?= -llua5.4
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes
ALL_CFLAGS = -std=c99 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -fPIC \
             $(WARN) $(LUA_INC) $(PG_INC) $(CFLAGS) $(SAN)
# libcurl and libpq are not linked: src/ls_curl.c opens libcurl with the
# first transfer, src/ls_pq.c libpq with the first PostgreSQL connection
LIBS     = -levent -lcrypto -lsqlite3
BUSTED   = lua5.4 /usr/bin/busted

VERSION  = 0.1.0
SOMAJOR  = 0
PREFIX  ?= /usr/local
BINDIR   = $(PREFIX)/bin
LIBDIR   = $(PREFIX)/lib
INCDIR   = $(PREFIX)/include
MANDIR   = $(PREFIX)/share/man
# where Debian's lua5.4 looks by default for /usr/local and /usr alike
LUADIR   = $(PREFIX)/share/lua/5.4
CMODDIR  = $(PREFIX)/lib/lua/5.4
# lsrun's own tree: lua/ (its command modules and a link to the module in
# LUADIR), the workflows, editor annotations, the example systemd unit
DATADIR  = $(PREFIX)/share/livestation
COMPDIR  = $(PREFIX)/share/bash-completion/completions
PCDIR    = $(LIBDIR)/pkgconfig
INSTALL ?= install

CORE = ls_sign ls_curl ls_pq ls_http core core_task core_http core_server core_guard core_preempt core_util core_json core_store core_pg core_notify runtime
OBJ  = $(CORE:%=build/%.o)

all: lsrun livestation.so liblivestation.a liblivestation.so build/meta/livestation.lua

build/%.o: src/%.c src/*.h | build
	$(CC) $(ALL_CFLAGS) $(DEFS) -c $< -o $@

build:
	mkdir -p build

# lsrun and the runtime know where the installed Lua side lives; the stamp
# changes (and they are rebuilt) only when DATADIR does
build/lsrun.o build/runtime.o: build/datadir.stamp
build/lsrun.o build/runtime.o: DEFS = -DLS_DATADIR='"$(DATADIR)"'
build/datadir.stamp: FORCE | build
	@echo '$(DATADIR) $(LIBDIR) $(INCDIR)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

liblivestation.a: $(OBJ)
	rm -f $@ && ar rcs $@ $(OBJ)

liblivestation.so: $(OBJ)
	$(CC) -shared $(SAN) -Wl,-soname,liblivestation.so.$(SOMAJOR) -o $@ $(OBJ) $(LIBS) $(LUA_LIB)

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

test_server: test/test_server.c liblivestation.a
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< liblivestation.a $(LUA_LIB) $(LIBS) -lm

# libFuzzer (clang), under ASan and UBSan: the C request and header
# handling (test/fuzz_http.c) and json.decode (test/fuzz_json.c); make
# fuzz runs each for FUZZ_SECONDS seconds
FUZZ_CC   ?= clang
FUZZ_SAN   = -fsanitize=address,undefined -fno-sanitize-recover=undefined -Wno-typedef-redefinition
FUZZ_OBJ   = $(CORE:%=build/fuzz/%.o)

build/fuzz/%.o: src/%.c src/*.h
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(ALL_CFLAGS) -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

build/fuzz/fuzz_%: test/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(ALL_CFLAGS) -O1 -Isrc -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< $(FUZZ_OBJ) \
	  $(LUA_LIB) $(LIBS) -lm

fuzz: build/fuzz/fuzz_http build/fuzz/fuzz_json
	@sh tools/fuzz.sh http && sh tools/fuzz.sh json

# a stand-in for systemd's notify socket (spec/systemd_spec.lua)
build/notify_sink: test/notify_sink.c | build
	$(CC) $(ALL_CFLAGS) -o $@ $<

deps:
	@sh tools/deps.sh

test: deps
	@$(MAKE) --no-print-directory all test_core test_embed test_server build/notify_sink
	@sh tools/run_tests.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@rm -f build/demo-state.db build/demo-state.db-wal build/demo-state.db-shm build/demo-state.db.emulator*
	@./lsrun --emulator --speed 10 --state build/demo-state.db \
		scripts/scheduled_broadcast.lua scripts/examples/demo_broadcast.lua

# the suite under AddressSanitizer and UndefinedBehaviorSanitizer
asan: deps
	@sh tools/asan.sh

# the baseline of the client-cost figure: a bare libcurl + OpenSSL loop
build/signed_get: bench/signed_get.c | build
	$(CC) $(ALL_CFLAGS) -o $@ $< -lcurl -lcrypto

bench: all build/signed_get
	@./lsrun bench/client_cost_bench.lua 200 3000
	@./lsrun bench/emulator_bench.lua 5 32
	@./lsrun bench/concurrency_bench.lua 10000
	@if [ -f bench/timers_bench.lua ]; then ./lsrun bench/timers_bench.lua; fi
	@./lsrun bench/multihost_bench.lua 10000

# written to temporary files first: a failed run leaves both tables
# untouched (the call table and the lazily loaded docs table)
API ?= api
CAT ?= lua/livestation/catalogue
catalogue:
	@lua5.4 tools/gen_catalogue.lua $(API) > $(CAT).lua.tmp \
	  && lua5.4 tools/gen_catalogue.lua --docs $(API) > $(CAT)_docs.lua.tmp \
	  || { rm -f $(CAT).lua.tmp $(CAT)_docs.lua.tmp; exit 1; }
	@mv $(CAT).lua.tmp $(CAT).lua && mv $(CAT)_docs.lua.tmp $(CAT)_docs.lua

build/livestation.pc: dist/livestation.pc.in build/datadir.stamp
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	  -e 's|@DATADIR@|$(DATADIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# the man page and the unit name the paths of this install
build/lsrun@.service: dist/systemd/lsrun@.service build/datadir.stamp
	sed -e 's|/usr/local/bin/lsrun|$(BINDIR)/lsrun|' $< > $@

build/lsrun.1: dist/lsrun.1 build/datadir.stamp
	sed -e 's|/usr/local/share/livestation|$(DATADIR)|g' $< > $@

# editor annotations from the operation table, written whole or not at all
build/meta/livestation.lua: tools/gen_meta.lua $(wildcard lua/livestation/*.lua)
	@mkdir -p build/meta
	@lua5.4 tools/gen_meta.lua > $@.tmp || { rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@

# the Lua modules, the C module and the editor annotations alone (luarocks
# installs through this, with DATADIR its rock directory)
install-lua: livestation.so build/meta/livestation.lua
	$(INSTALL) -d $(DESTDIR)$(LUADIR) $(DESTDIR)$(CMODDIR)/livestation $(DESTDIR)$(DATADIR)/meta
	cd lua && find livestation -type d -exec $(INSTALL) -d '$(DESTDIR)$(LUADIR)/{}' ';' \
	  && find livestation -type f -name '*.lua' -exec $(INSTALL) -m 644 '{}' '$(DESTDIR)$(LUADIR)/{}' ';'
	$(INSTALL) -m 755 livestation.so $(DESTDIR)$(CMODDIR)/livestation/core.so
	$(INSTALL) -m 644 build/meta/livestation.lua $(DESTDIR)$(DATADIR)/meta/livestation.lua

install: all install-lua build/livestation.pc build/lsrun@.service build/lsrun.1
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) \
	  $(DESTDIR)$(PCDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPDIR) \
	  $(DESTDIR)$(DATADIR)/systemd
	$(INSTALL) -m 755 lsrun $(DESTDIR)$(BINDIR)/lsrun
	$(INSTALL) -m 644 liblivestation.a $(DESTDIR)$(LIBDIR)/liblivestation.a
	$(INSTALL) -m 755 liblivestation.so $(DESTDIR)$(LIBDIR)/liblivestation.so.$(VERSION)
	ln -sf liblivestation.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liblivestation.so.$(SOMAJOR)
	ln -sf liblivestation.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/liblivestation.so
	$(INSTALL) -m 644 src/livestation.h $(DESTDIR)$(INCDIR)/livestation.h
	$(INSTALL) -m 644 build/livestation.pc $(DESTDIR)$(PCDIR)/livestation.pc
	$(INSTALL) -m 644 build/lsrun.1 $(DESTDIR)$(MANDIR)/man1/lsrun.1
	$(INSTALL) -m 644 dist/lsrun.bash $(DESTDIR)$(COMPDIR)/lsrun
	$(INSTALL) -m 644 build/lsrun@.service $(DESTDIR)$(DATADIR)/systemd/lsrun@.service
	$(INSTALL) -d $(DESTDIR)$(DATADIR)/lua
	ln -sfn ../../lua/5.4/livestation $(DESTDIR)$(DATADIR)/lua/livestation
	cd lua && find lsrun -type d -exec $(INSTALL) -d '$(DESTDIR)$(DATADIR)/lua/{}' ';' \
	  && find lsrun -type f -name '*.lua' -exec $(INSTALL) -m 644 '{}' '$(DESTDIR)$(DATADIR)/lua/{}' ';'
	find scripts -type d -exec $(INSTALL) -d '$(DESTDIR)$(DATADIR)/{}' ';'
	find scripts -type f -exec $(INSTALL) -m 644 '{}' '$(DESTDIR)$(DATADIR)/{}' ';'

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lsrun $(DESTDIR)$(LIBDIR)/liblivestation.a \
	  $(DESTDIR)$(LIBDIR)/liblivestation.so $(DESTDIR)$(LIBDIR)/liblivestation.so.$(SOMAJOR) \
	  $(DESTDIR)$(LIBDIR)/liblivestation.so.$(VERSION) $(DESTDIR)$(INCDIR)/livestation.h \
	  $(DESTDIR)$(PCDIR)/livestation.pc $(DESTDIR)$(MANDIR)/man1/lsrun.1 \
	  $(DESTDIR)$(COMPDIR)/lsrun
	rm -rf $(DESTDIR)$(LUADIR)/livestation $(DESTDIR)$(CMODDIR)/livestation $(DESTDIR)$(DATADIR)

clean:
	rm -rf build lsrun livestation.so liblivestation.a liblivestation.so test_core test_embed test_server

FORCE:

.PHONY: all deps test demo asan bench catalogue install install-lua uninstall clean fuzz FORCE
