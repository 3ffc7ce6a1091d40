/*
** core_guard.c: what keeps an evhttp server standing against its clients:
** a cap on open connections, a deadline for each request head, and a
** pause in accepting when the process runs out of file descriptors.
**
** libevent 2.1 has no hook when a server connection opens, so the guard
** makes each connection's bufferevent itself (evhttp_set_bevcb), learns
** the connection one loop turn later from the bufferevent's callback
** argument and watches it close with evhttp_connection_set_closecb. The
** head deadline runs from the first byte of a request until the blank
** line ending its head, seen by a callback on the input buffer: a
** slowloris client trickling bytes is closed; an idle one meets evhttp's
** idle timeout.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "core_guard.h"

#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 1000

typedef struct conn conn;

struct ls_guard {
  struct event_base *base;
  struct evhttp *http;
  struct evconnlistener *listener;  /* NULL until listening */
  struct event *resume_ev;          /* re-enables accepting after a pause */
  char label[96];                   /* host:port, for the log */
  int max_conns, nconns;
  struct timeval head_timeout;
  int backoff_ms;                   /* the last pause; 0 once accepts work */
  int paused;                       /* pausing after an accept error */
  int full;                         /* at the connection cap */
  int warned;                       /* one log line per episode */
  conn *conns;
  ls_guard *next_guard;
};

enum { HEAD, BODY };                /* what the connection is reading */

struct conn {
  ls_guard *g;
  struct bufferevent *bev;
  struct evhttp_connection *evcon;  /* NULL until learnt */
  struct event *deadline;           /* the head deadline (a timer) */
  struct event *learn;              /* one-shot: learns evcon */
  struct evbuffer_cb_entry *scan;   /* the head scan on the input buffer */
  int phase;
  int started, newlines;            /* head scan: a line seen, blank lines */
  conn *prev, *next;
};

static ls_guard *guards; /* every guard, for the listener's error callback */

/* ----------------------------------------------------------- accepting */

static void set_accepting(ls_guard *g) {
  if (g->listener == NULL) return;
  if (!g->paused && !g->full) evconnlistener_enable(g->listener);
  else evconnlistener_disable(g->listener);
}

static void on_resume(evutil_socket_t fd, short what, void *arg) {
  ls_guard *g = arg;
  (void)fd; (void)what;
  if (g->listener == NULL) return;
  g->paused = 0; /* the next error pauses again, for longer */
  set_accepting(g);
}

/* accept() failed for a reason other than a retriable one (EMFILE,
** ENFILE, ENOBUFS): libevent would retry at once, forever, logging each
** time. Pause instead, doubling the pause up to a second; log once. */
static void on_accept_error(struct evconnlistener *lev, void *arg) {
  ls_guard *g;
  int err = errno;
  struct timeval tv;
  (void)arg;
  for (g = guards; g && g->listener != lev; g = g->next_guard) {}
  if (g == NULL) return;
  g->paused = 1;
  set_accepting(g);
  g->backoff_ms = g->backoff_ms ? g->backoff_ms * 2 : BACKOFF_FIRST_MS;
  if (g->backoff_ms > BACKOFF_MAX_MS) g->backoff_ms = BACKOFF_MAX_MS;
  if (!g->warned) {
    g->warned = 1;
    fprintf(stderr, "livestation: server %s: cannot accept connections (%s); "
            "pausing, then trying again\n", g->label, strerror(err));
    fflush(stderr);
  }
  tv.tv_sec = g->backoff_ms / 1000;
  tv.tv_usec = (g->backoff_ms % 1000) * 1000;
  if (g->resume_ev) evtimer_add(g->resume_ev, &tv);
}

/* ----------------------------------------------------------- connections */

static void conn_free(conn *c) {
  ls_guard *g = c->g;
  if (c->prev) c->prev->next = c->next; else g->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  if (c->deadline) event_free(c->deadline);
  if (c->learn) event_free(c->learn);
  if (c->scan) evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->scan);
  free(c);
  g->nconns--;
  if (g->full && g->nconns < g->max_conns) {
    g->full = 0;
    set_accepting(g);
  }
}

static void on_close(struct evhttp_connection *evcon, void *arg) {
  conn *c = arg;
  evhttp_connection_set_closecb(evcon, NULL, NULL);
  conn_free(c);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg) {
  conn *c = arg;
  (void)fd; (void)what;
  if (c->evcon) evhttp_connection_free(c->evcon); /* its closecb frees c */
}

/* Waits for the next head; its deadline starts with its first byte. */
static void next_head(conn *c) {
  c->phase = HEAD;
  c->started = c->newlines = 0;
  evtimer_del(c->deadline);
}

static void head_done(conn *c) {
  c->phase = BODY;
  evtimer_del(c->deadline);
}

/* Scans the bytes just read for the blank line that ends a head. */
static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info,
                     void *arg) {
  conn *c = arg;
  struct evbuffer_ptr pos;
  size_t left = info->n_added;
  if (c->phase != HEAD || left == 0 || info->n_deleted != 0) return;
  if (!evtimer_pending(c->deadline, NULL)) evtimer_add(c->deadline, &c->g->head_timeout);
  if (evbuffer_ptr_set(buf, &pos, info->orig_size, EVBUFFER_PTR_SET) != 0) return;
  while (left > 0) {
    struct evbuffer_iovec v;
    const unsigned char *p, *end;
    if (evbuffer_peek(buf, (ev_ssize_t)left, &pos, &v, 1) < 1 || v.iov_len == 0) return;
    if (v.iov_len > left) v.iov_len = left;
    for (p = v.iov_base, end = p + v.iov_len; p < end; p++) {
      if (*p == '\n') {
        if (c->started && ++c->newlines == 2) { head_done(c); return; }
      } else if (*p != '\r') {
        c->started = 1;
        c->newlines = 0;
      }
    }
    left -= v.iov_len;
    if (evbuffer_ptr_set(buf, &pos, v.iov_len, EVBUFFER_PTR_ADD) != 0) return;
  }
}

/* One loop turn after the accept: evhttp has made the connection around
** our bufferevent (its callback argument), or already dropped it. */
static void on_learn(evutil_socket_t fd, short what, void *arg) {
  conn *c = arg;
  struct bufferevent *bev = c->bev;
  bufferevent_event_cb eventcb = NULL;
  void *cbarg = NULL;
  (void)fd; (void)what;
  bufferevent_getcb(bev, NULL, NULL, &eventcb, &cbarg);
  event_free(c->learn);
  c->learn = NULL;
  if (eventcb == NULL || cbarg == NULL) { /* freed by evhttp meanwhile */
    conn_free(c);
  } else {
    c->evcon = cbarg;
    evhttp_connection_set_closecb(c->evcon, on_close, c);
  }
  bufferevent_decref(bev); /* the reference taken at accept */
}

/* evhttp's bufferevent maker: one per accepted connection. */
static struct bufferevent *make_bev(struct event_base *base, void *arg) {
  ls_guard *g = arg;
  conn *c = calloc(1, sizeof *c);
  struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
  if (c == NULL || bev == NULL) goto fail;
  c->g = g;
  c->bev = bev;
  c->deadline = evtimer_new(base, on_deadline, c);
  c->learn = event_new(base, -1, 0, on_learn, c);
  if (c->deadline == NULL || c->learn == NULL) goto fail;
  c->scan = evbuffer_add_cb(bufferevent_get_input(bev), on_input, c);
  if (c->scan == NULL) goto fail;
  bufferevent_incref(bev); /* valid until on_learn, whatever evhttp does */
  c->next = g->conns;
  if (g->conns) g->conns->prev = c;
  g->conns = c;
  g->nconns++;
  g->backoff_ms = 0; /* accepting works again */
  g->warned = 0;
  next_head(c);
  event_active(c->learn, EV_TIMEOUT, 0);
  if (g->nconns >= g->max_conns) {
    g->full = 1;
    set_accepting(g); /* the listener's loop stops accepting */
  }
  return bev;
fail:
  if (c && c->deadline) event_free(c->deadline);
  if (c && c->learn) event_free(c->learn);
  free(c);
  return bev; /* evhttp uses it unwatched (or makes its own when NULL) */
}

/* ----------------------------------------------------------- interface */

ls_guard *ls_guard_new(struct event_base *base, struct evhttp *http,
                       int max_conns, const struct timeval *head_timeout) {
  ls_guard *g = calloc(1, sizeof *g);
  if (g == NULL) return NULL;
  g->base = base;
  g->http = http;
  g->max_conns = max_conns > 0 ? max_conns : 1;
  g->head_timeout = *head_timeout;
  g->resume_ev = evtimer_new(base, on_resume, g);
  if (g->resume_ev == NULL) {
    free(g);
    return NULL;
  }
  evhttp_set_bevcb(http, make_bev, g);
  g->next_guard = guards;
  guards = g;
  return g;
}

void ls_guard_listen(ls_guard *g, struct evhttp_bound_socket *sock,
                     const char *label) {
  g->listener = evhttp_bound_socket_get_listener(sock);
  snprintf(g->label, sizeof g->label, "%s", label);
  evconnlistener_set_error_cb(g->listener, on_accept_error);
}

static conn *find(ls_guard *g, struct evhttp_connection *evcon) {
  conn *c;
  for (c = g->conns; c && c->evcon != evcon; c = c->next) {}
  return c;
}

/* A whole request arrived: no deadline while its handler runs; the next
** head's deadline starts when the answer has been sent. */
static void on_answered(struct evhttp_request *req, void *arg) {
  ls_guard *g = arg;
  conn *c = find(g, evhttp_request_get_connection(req));
  if (c) next_head(c);
}

void ls_guard_request(ls_guard *g, struct evhttp_request *req) {
  conn *c = find(g, evhttp_request_get_connection(req));
  if (c == NULL) return;
  head_done(c);
  evhttp_request_set_on_complete_cb(req, on_answered, g);
}

int ls_guard_connections(const ls_guard *g) {
  return g->nconns;
}

/* Before evhttp_free, which frees the listener first and then closes the
** connections (their closecbs run): nothing may touch the listener then. */
void ls_guard_close(ls_guard *g) {
  if (g == NULL) return;
  g->listener = NULL;
  evtimer_del(g->resume_ev);
}

/* After evhttp_free, which closed every connection (their closecbs ran). */
void ls_guard_free(ls_guard *g) {
  ls_guard **pp;
  if (g == NULL) return;
  for (pp = &guards; *pp && *pp != g; pp = &(*pp)->next_guard) {}
  if (*pp) *pp = g->next_guard;
  while (g->conns) { /* not learnt yet: the bufferevent is ours to drop */
    conn *c = g->conns;
    struct bufferevent *bev = c->bev;
    int learning = c->learn != NULL;
    conn_free(c);
    if (learning) bufferevent_decref(bev);
  }
  event_free(g->resume_ev);
  free(g);
}
