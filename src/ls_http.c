/*
** ls_http.c: libcurl multi on a libevent loop (after curl's
** docs/examples/multi-event.c and ephiperfifo.c).
** Two levels of context: the loop-wide ls_http (multi handle, timer) and
** one ls_sock per socket; per-transfer state rides on the easy handle as
** CURLOPT_PRIVATE. cb_* are called by curl, on_* by the loop.
*/
#include "ls_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ls_curl.h"

typedef struct buf {
  char *data;
  size_t len, cap;
} buf;

struct ls_http {
  struct event_base *base;
  CURLM *multi;
  struct event *timer;
  ls_xfer *head;              /* transfers in flight, for ls_http_free */
  int in_flight;
};

struct ls_xfer {
  ls_http *h;
  CURL *easy;
  struct curl_slist *headers;
  ls_xfer_done done;
  void *ud;
  buf body, head;
  size_t max_size;
  int too_large;
  CURLcode code;
  long status;
  char errbuf[CURL_ERROR_SIZE];
  ls_xfer *prev, *next;
};

typedef struct ls_sock {
  struct event *ev;
  ls_http *h;
} ls_sock;

/* ----------------------------------------------------------- buffers */

static int buf_add(buf *b, const char *p, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    char *d;
    while (cap < b->len + n + 1) cap *= 2;
    d = realloc(b->data, cap);
    if (d == NULL) return -1;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

/* ----------------------------------------------------------- transfers */

static void xfer_unlink(ls_xfer *x) {
  ls_http *h = x->h;
  if (x->prev) x->prev->next = x->next; else h->head = x->next;
  if (x->next) x->next->prev = x->prev;
  x->prev = x->next = NULL;
  h->in_flight--;
}

static void xfer_free(ls_xfer *x) {
  curl_multi_remove_handle(x->h->multi, x->easy);
  curl_easy_cleanup(x->easy);
  curl_slist_free_all(x->headers);
  free(x->body.data);
  free(x->head.data);
  free(x);
}

/* Collects every finished transfer. Called after each socket_action,
** unconditionally, so a transfer that ends on a timeout is not missed. */
static void check_multi_info(ls_http *h) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
    ls_xfer *x;
    if (msg->msg != CURLMSG_DONE) continue;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    x->code = msg->data.result;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
    curl_multi_remove_handle(h->multi, x->easy);
    xfer_unlink(x);
    if (x->done) x->done(x, x->ud);
    xfer_free(x);
  }
}

static size_t cb_write(char *p, size_t size, size_t n, void *ud) {
  ls_xfer *x = ud;
  size_t len = size * n;
  if (x->max_size && x->body.len + len > x->max_size) {
    x->too_large = 1;
    return 0; /* makes curl fail the transfer with CURLE_WRITE_ERROR */
  }
  return buf_add(&x->body, p, len) == 0 ? len : 0;
}

static size_t cb_header(char *p, size_t size, size_t n, void *ud) {
  ls_xfer *x = ud;
  size_t len = size * n;
  /* a new status line starts a new response (100 Continue, redirects) */
  if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) x->head.len = 0;
  return buf_add(&x->head, p, len) == 0 ? len : 0;
}

/* ----------------------------------------------------------- loop glue */

static void on_timeout(evutil_socket_t fd, short what, void *arg) {
  ls_http *h = arg;
  int running;
  (void)fd; (void)what;
  curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_multi_info(h);
}

static void on_socket(evutil_socket_t fd, short what, void *arg) {
  ls_http *h = arg;
  int running, flags = 0;
  if (what & EV_READ) flags |= CURL_CSELECT_IN;
  if (what & EV_WRITE) flags |= CURL_CSELECT_OUT;
  curl_multi_socket_action(h->multi, fd, flags, &running);
  check_multi_info(h);
  if (running <= 0 && evtimer_pending(h->timer, NULL)) evtimer_del(h->timer);
}

/* curl asks for a timer: -1 stops it; 0 means act soon, but not inside
** this callback, so it becomes a zero timeout handled by the loop. */
static int cb_timer(CURLM *multi, long timeout_ms, void *arg) {
  ls_http *h = arg;
  (void)multi;
  if (timeout_ms < 0) {
    evtimer_del(h->timer);
  } else {
    struct timeval tv;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    evtimer_add(h->timer, &tv);
  }
  return 0;
}

static int cb_socket(CURL *easy, curl_socket_t s, int what, void *arg,
                     void *sockp) {
  ls_http *h = arg;
  ls_sock *sk = sockp;
  (void)easy;
  if (what == CURL_POLL_REMOVE) {
    if (sk) {
      if (sk->ev) event_free(sk->ev);
      free(sk);
      curl_multi_assign(h->multi, s, NULL);
    }
    return 0;
  }
  if (sk == NULL) {
    sk = calloc(1, sizeof *sk);
    if (sk == NULL) return -1;
    sk->h = h;
    curl_multi_assign(h->multi, s, sk);
  } else if (sk->ev) {
    event_free(sk->ev);
  }
  {
    short kind = EV_PERSIST;
    if (what & CURL_POLL_IN) kind |= EV_READ;
    if (what & CURL_POLL_OUT) kind |= EV_WRITE;
    sk->ev = event_new(h->base, s, kind, on_socket, h);
    /* no event: curl fails this transfer rather than waiting forever */
    if (sk->ev == NULL || event_add(sk->ev, NULL) != 0) return -1;
  }
  return 0;
}

/* ----------------------------------------------------------- public */

static void set_err(char *err, size_t errlen, const char *msg) {
  if (err && errlen) snprintf(err, errlen, "%s", msg);
}

ls_http *ls_http_new(struct event_base *base) {
  ls_http *h = calloc(1, sizeof *h);
  if (h == NULL) return NULL;
  h->base = base;
  h->timer = evtimer_new(base, on_timeout, h);
  if (h->timer == NULL) {
    ls_http_free(h);
    return NULL;
  }
  return h;
}

/* The multi handle, made with the first transfer: a process that sends
** nothing never loads libcurl (ls_curl.h). */
static int ensure_multi(ls_http *h, char *err, size_t errlen) {
  char msg[256];
  if (h->multi) return 0;
  if (ls_curl_load(msg, sizeof msg) != 0) {
    set_err(err, errlen, msg);
    return -1;
  }
  h->multi = curl_multi_init();
  if (h->multi == NULL) {
    set_err(err, errlen, "cannot create the HTTP client");
    return -1;
  }
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, cb_socket);
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, cb_timer);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
  return 0;
}

void ls_http_free(ls_http *h) {
  if (h == NULL) return;
  while (h->head) {
    ls_xfer *x = h->head;
    xfer_unlink(x);
    xfer_free(x);
  }
  if (h->multi) curl_multi_cleanup(h->multi);
  if (h->timer) event_free(h->timer);
  free(h);
}

ls_xfer *ls_http_start(ls_http *h, const ls_request *req, ls_xfer_done done,
                       void *ud, char *err, size_t errlen) {
  ls_xfer *x = calloc(1, sizeof *x);
  CURL *e;
  CURLMcode mc;
  const char *const *hp;
  if (ensure_multi(h, err, errlen) != 0) { free(x); return NULL; }
  if (x == NULL) { set_err(err, errlen, "out of memory"); return NULL; }
  x->h = h;
  x->done = done;
  x->ud = ud;
  x->max_size = req->max_size;
  x->easy = e = curl_easy_init();
  if (e == NULL) { free(x); set_err(err, errlen, "cannot create transfer"); return NULL; }
  for (hp = req->headers; hp && *hp; hp++) {
    struct curl_slist *n = curl_slist_append(x->headers, *hp);
    if (n == NULL) goto fail;
    x->headers = n;
  }
  /* no "Expect: 100-continue" round trip for small JSON bodies */
  x->headers = curl_slist_append(x->headers, "Expect:");
  curl_easy_setopt(e, CURLOPT_URL, req->url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
  curl_easy_setopt(e, CURLOPT_PRIVATE, x);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, cb_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, cb_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  if (req->timeout_ms > 0) curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, req->timeout_ms);
  if (req->connect_timeout_ms > 0)
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
  if (!req->tls_verify) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (req->ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file);
  if (strcmp(req->method, "GET") == 0 && req->body == NULL) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else if (strcmp(req->method, "HEAD") == 0) {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else {
    /* any method may carry a body: record.delete sends one on DELETE */
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(req->body ? req->body_len : 0));
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
    if (strcmp(req->method, "POST") != 0)
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
  }
  mc = curl_multi_add_handle(h->multi, e);
  if (mc != CURLM_OK) {
    set_err(err, errlen, curl_multi_strerror(mc));
    goto fail;
  }
  x->next = h->head;
  if (h->head) h->head->prev = x;
  h->head = x;
  h->in_flight++;
  return x;
fail:
  curl_easy_cleanup(e);
  curl_slist_free_all(x->headers);
  free(x);
  if (err && errlen && err[0] == '\0') set_err(err, errlen, "cannot start transfer");
  return NULL;
}

void ls_xfer_cancel(ls_xfer *x) {
  xfer_unlink(x);
  xfer_free(x);
}

ls_xfer_result ls_xfer_result_of(const ls_xfer *x) {
  if (x->too_large) return LS_XFER_TOO_LARGE;
  switch (x->code) {
    case CURLE_OK: return LS_XFER_OK;
    case CURLE_OPERATION_TIMEDOUT: return LS_XFER_TIMEOUT;
    default: return LS_XFER_NETWORK;
  }
}

long ls_xfer_status(const ls_xfer *x) { return x->status; }

const char *ls_xfer_body(const ls_xfer *x, size_t *len) {
  *len = x->body.len;
  return x->body.data ? x->body.data : "";
}

const char *ls_xfer_headers(const ls_xfer *x, size_t *len) {
  *len = x->head.len;
  return x->head.data ? x->head.data : "";
}

const char *ls_xfer_error(const ls_xfer *x) {
  if (x->too_large) return "response body too large";
  return x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->code);
}

int ls_xfer_sent(const ls_xfer *x) {
  long n = 0;
  switch (x->code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return 0;
    default:
      break;
  }
  curl_easy_getinfo(x->easy, CURLINFO_REQUEST_SIZE, &n);
  return n > 0;
}

double ls_xfer_seconds(const ls_xfer *x) {
  double t = 0;
  curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME, &t);
  return t;
}

int ls_http_in_flight(const ls_http *h) { return h->in_flight; }
