/*
** ls_pq.c: opens libpq on first use (see ls_pq.h for why).
*/
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ls_pq.h"

/* the runtime library of Debian's libpq-dev */
#define LS_PQ_SONAME "libpq.so.5"

ls_pq_api ls_pq;

static int loaded = 0;

typedef void (*any_fn)(void);

static const struct { const char *name; size_t offset; } SYMBOLS[] = {
#define S(f) { "PQ" #f, offsetof(ls_pq_api, f) }
  S(clear), S(cmdTuples), S(connectPoll), S(connectStart), S(consumeInput),
  S(errorMessage), S(finish), S(flush), S(fname), S(ftype), S(getResult),
  S(getisnull), S(getlength), S(getvalue), S(isBusy), S(nfields), S(ntuples),
  S(resultErrorField), S(resultErrorMessage), S(resultStatus), S(sendQueryParams),
  S(setNoticeProcessor), S(setnonblocking), S(socket), S(status),
#undef S
};

int ls_pq_load(char *err, size_t errlen) {
  void *lib;
  size_t i;
  ls_pq_api api;
  if (loaded) return 0;
  lib = dlopen(LS_PQ_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    snprintf(err, errlen, "cannot load %s: %s", LS_PQ_SONAME, dlerror());
    return -1;
  }
  for (i = 0; i < sizeof SYMBOLS / sizeof SYMBOLS[0]; i++) {
    void *sym = dlsym(lib, SYMBOLS[i].name);
    any_fn fn;
    if (sym == NULL) {
      snprintf(err, errlen, "%s has no %s", LS_PQ_SONAME, SYMBOLS[i].name);
      dlclose(lib);
      return -1;
    }
    /* POSIX guarantees a function's address fits a void * */
    memcpy(&fn, &sym, sizeof fn);
    memcpy((char *)&api + SYMBOLS[i].offset, &fn, sizeof fn);
  }
  ls_pq = api;
  loaded = 1; /* the library stays open for the life of the process */
  return 0;
}
