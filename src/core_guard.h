/*
** core_guard.h: connection cap, request-head deadline and accept-error
** backoff for one evhttp server (core_guard.c).
*/
#ifndef LS_CORE_GUARD_H
#define LS_CORE_GUARD_H

#include <sys/time.h>

struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;
typedef struct ls_guard ls_guard;

/* Watches every connection http accepts from now on. NULL: no memory. */
ls_guard *ls_guard_new(struct event_base *base, struct evhttp *http,
                       int max_conns, const struct timeval *head_timeout);
/* Pauses accepting on errors (EMFILE...) instead of spinning; label
** (host:port) names the server in the one log line. */
void ls_guard_listen(ls_guard *g, struct evhttp_bound_socket *sock,
                     const char *label);
/* Called with each whole request: its connection's head arrived. */
void ls_guard_request(ls_guard *g, struct evhttp_request *req);
int ls_guard_connections(const ls_guard *g);
/* Before evhttp_free: the listener goes first. */
void ls_guard_close(ls_guard *g);
/* After evhttp_free. */
void ls_guard_free(ls_guard *g);

#endif
