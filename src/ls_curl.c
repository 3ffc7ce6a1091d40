/*
** ls_curl.c: opens libcurl on first use (see ls_curl.h for why).
*/
#include "ls_curl.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* the runtime library of Debian's libcurl4-openssl-dev */
#define LS_CURL_SONAME "libcurl.so.4"

ls_curl_api ls_curl;

static int loaded = 0;

typedef void (*any_fn)(void);

static const struct { const char *name; size_t offset; } SYMBOLS[] = {
#define S(f) { "curl_" #f, offsetof(ls_curl_api, f) }
  S(global_init), S(multi_init), S(multi_setopt), S(multi_cleanup),
  S(multi_add_handle), S(multi_remove_handle), S(multi_socket_action),
  S(multi_assign), S(multi_info_read), S(multi_strerror), S(easy_init),
  S(easy_setopt), S(easy_getinfo), S(easy_cleanup), S(easy_reset), S(easy_strerror),
  S(slist_append), S(slist_free_all),
#undef S
};

int ls_curl_load(char *err, size_t errlen) {
  void *lib;
  size_t i;
  ls_curl_api api;
  if (loaded) return 0;
  lib = dlopen(LS_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    snprintf(err, errlen, "cannot load %s: %s", LS_CURL_SONAME, dlerror());
    return -1;
  }
  for (i = 0; i < sizeof SYMBOLS / sizeof SYMBOLS[0]; i++) {
    void *sym = dlsym(lib, SYMBOLS[i].name);
    any_fn fn;
    if (sym == NULL) {
      snprintf(err, errlen, "%s has no %s", LS_CURL_SONAME, SYMBOLS[i].name);
      dlclose(lib);
      return -1;
    }
    /* POSIX guarantees a function's address fits a void * */
    memcpy(&fn, &sym, sizeof fn);
    memcpy((char *)&api + SYMBOLS[i].offset, &fn, sizeof fn);
  }
  if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    snprintf(err, errlen, "curl_global_init failed");
    dlclose(lib);
    return -1;
  }
  ls_curl = api;
  loaded = 1; /* the library stays open for the life of the process */
  return 0;
}

CURLcode ls_curl_easy_setopt(CURL *e, CURLoption opt, ...) {
  va_list ap;
  CURLcode rc;
  va_start(ap, opt);
  if (opt < CURLOPTTYPE_OBJECTPOINT)
    rc = ls_curl.easy_setopt(e, opt, va_arg(ap, long));
  else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
    rc = ls_curl.easy_setopt(e, opt, va_arg(ap, void *));
  else if (opt < CURLOPTTYPE_OFF_T)
    rc = ls_curl.easy_setopt(e, opt, va_arg(ap, any_fn));
  else if (opt < CURLOPTTYPE_BLOB)
    rc = ls_curl.easy_setopt(e, opt, va_arg(ap, curl_off_t));
  else
    rc = ls_curl.easy_setopt(e, opt, va_arg(ap, void *));
  va_end(ap);
  return rc;
}

CURLMcode ls_curl_multi_setopt(CURLM *m, CURLMoption opt, ...) {
  va_list ap;
  CURLMcode rc;
  va_start(ap, opt);
  if (opt < CURLOPTTYPE_OBJECTPOINT)
    rc = ls_curl.multi_setopt(m, opt, va_arg(ap, long));
  else if (opt < CURLOPTTYPE_FUNCTIONPOINT)
    rc = ls_curl.multi_setopt(m, opt, va_arg(ap, void *));
  else if (opt < CURLOPTTYPE_OFF_T)
    rc = ls_curl.multi_setopt(m, opt, va_arg(ap, any_fn));
  else
    rc = ls_curl.multi_setopt(m, opt, va_arg(ap, curl_off_t));
  va_end(ap);
  return rc;
}
