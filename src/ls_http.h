/*
** ls_http.h: an HTTP client on libcurl's multi socket interface, driven
** by a libevent event_base. Many transfers in flight on one thread,
** connections kept alive and reused. Pure C: no Lua here.
*/
#ifndef LS_HTTP_H
#define LS_HTTP_H

#include <stddef.h>

struct event_base;
typedef struct ls_http ls_http;
typedef struct ls_xfer ls_xfer;

/* How a transfer ended. */
typedef enum {
  LS_XFER_OK = 0,       /* a response arrived (any HTTP status) */
  LS_XFER_TIMEOUT,      /* connect or total timeout */
  LS_XFER_NETWORK,      /* refused, DNS, reset, TLS, ... */
  LS_XFER_TOO_LARGE,    /* the body passed max_size, or the headers 64 KB */
  LS_XFER_TLS           /* the server's certificate was refused */
} ls_xfer_result;

typedef struct ls_request {
  const char *method;           /* GET, POST, PUT, DELETE, ... */
  const char *url;
  const char *const *headers;   /* "Name: value" lines, NULL-terminated */
  const char *body;             /* may be NULL; sent with any method */
  size_t body_len;
  long timeout_ms;              /* whole transfer; 0 = none */
  long connect_timeout_ms;      /* 0 = libcurl's default */
  size_t max_size;              /* response body cap; 0 = none */
  int tls_verify;               /* 0 only when a person turned it off */
  const char *ca_file;          /* NULL = system store */
} ls_request;

/* Called once when a transfer ends, from the loop (never from inside a
** libcurl callback). The transfer is freed after the callback returns. */
typedef void (*ls_xfer_done)(ls_xfer *x, void *ud);

ls_http *ls_http_new(struct event_base *base);
/* Caps on connections per scheme://host:port and in total (0 = none;
** 16 and 64 by default). Transfers beyond them wait in a queue, oldest
** first; their timeouts start when they leave it. */
void ls_http_set_limits(ls_http *h, int max_host, int max_total);
void ls_http_limits(const ls_http *h, int *max_host, int *max_total);
/* Cancels every transfer still in flight (no callbacks) and frees. */
void ls_http_free(ls_http *h);

/* Starts a transfer, or queues it for a connection; the request is
** copied. Returns NULL (and sets err) when it cannot. A method that is not
** idempotent (POST, PATCH, ...) is sent at most once, on a fresh
** connection. */
ls_xfer *ls_http_start(ls_http *h, const ls_request *req, ls_xfer_done done,
                       void *ud, char *err, size_t errlen);
/* Stops a transfer in flight; its callback will not be called. */
void ls_xfer_cancel(ls_xfer *x);

/* Results, valid inside the done callback. */
ls_xfer_result ls_xfer_result_of(const ls_xfer *x);
long ls_xfer_status(const ls_xfer *x);
const char *ls_xfer_body(const ls_xfer *x, size_t *len);
/* Raw response header block of the final response ("Name: value\r\n"...). */
const char *ls_xfer_headers(const ls_xfer *x, size_t *len);
/* The body and the header block handed over to the caller, who frees
** them (NUL-terminated; NULL when empty): an answer is not copied once
** more on its way out. The transfer holds them no longer. */
char *ls_xfer_take_body(ls_xfer *x, size_t *len);
char *ls_xfer_take_headers(ls_xfer *x, size_t *len);
const char *ls_xfer_error(const ls_xfer *x);
/* 1 when request bytes went out on the wire (a POST may have been seen);
** 0 when the request provably never left (no connection was made). */
int ls_xfer_sent(const ls_xfer *x);
double ls_xfer_seconds(const ls_xfer *x);
/* Time spent waiting in the queue for a connection. */
double ls_xfer_queue_seconds(const ls_xfer *x);
int ls_http_in_flight(const ls_http *h);

#endif
