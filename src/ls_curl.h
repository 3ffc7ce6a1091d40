/*
** ls_curl.h: libcurl, loaded on first use. Linking libcurl pulls some
** thirty shared libraries into every process at exec (about four
** milliseconds, more than Lua itself needs to start), while most runs of
** lsrun (--help, ops, help, a script that only schedules) never send a
** request. So libcurl is opened with dlopen when the first transfer
** starts, and the curl_* names used by ls_http.c resolve to the loaded
** functions through the macros below.
**
** Include after <curl/curl.h>. A curl function not listed here would
** reach for libcurl at link time and fail there: add it to the table.
*/
#ifndef LS_CURL_H
#define LS_CURL_H

#include <curl/curl.h>

typedef struct ls_curl_api {
  CURLcode (*global_init)(long flags);
  CURLM *(*multi_init)(void);
  CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
  CURLMcode (*multi_cleanup)(CURLM *m);
  CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
  CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
  CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int mask,
                                   int *running);
  CURLMcode (*multi_assign)(CURLM *m, curl_socket_t s, void *p);
  CURLMsg *(*multi_info_read)(CURLM *m, int *left);
  const char *(*multi_strerror)(CURLMcode c);
  CURL *(*easy_init)(void);
  CURLcode (*easy_setopt)(CURL *e, CURLoption opt, ...);
  CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
  void (*easy_cleanup)(CURL *e);
  void (*easy_reset)(CURL *e);
  const char *(*easy_strerror)(CURLcode c);
  struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
  void (*slist_free_all)(struct curl_slist *l);
} ls_curl_api;

extern ls_curl_api ls_curl;

/* Opens libcurl and runs curl_global_init once. 0 on success; -1 with a
** message in err (which library could not be opened, and why). */
int ls_curl_load(char *err, size_t errlen);

/* The variadic calls forward their one argument with the type the
** option's number range says (long, pointer, function, curl_off_t). */
CURLcode ls_curl_easy_setopt(CURL *e, CURLoption opt, ...);
CURLMcode ls_curl_multi_setopt(CURLM *m, CURLMoption opt, ...);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init       (ls_curl.global_init)
#define curl_multi_init        (ls_curl.multi_init)
#define curl_multi_setopt      ls_curl_multi_setopt
#define curl_multi_cleanup     (ls_curl.multi_cleanup)
#define curl_multi_add_handle  (ls_curl.multi_add_handle)
#define curl_multi_remove_handle (ls_curl.multi_remove_handle)
#define curl_multi_socket_action (ls_curl.multi_socket_action)
#define curl_multi_assign      (ls_curl.multi_assign)
#define curl_multi_info_read   (ls_curl.multi_info_read)
#define curl_multi_strerror    (ls_curl.multi_strerror)
#define curl_easy_init         (ls_curl.easy_init)
#define curl_easy_setopt       ls_curl_easy_setopt
#define curl_easy_getinfo      (ls_curl.easy_getinfo)
#define curl_easy_cleanup      (ls_curl.easy_cleanup)
#define curl_easy_reset        (ls_curl.easy_reset)
#define curl_easy_strerror     (ls_curl.easy_strerror)
#define curl_slist_append      (ls_curl.slist_append)
#define curl_slist_free_all    (ls_curl.slist_free_all)

#endif
