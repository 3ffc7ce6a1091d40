/*
** ls_http.c: libcurl multi on a libevent loop (after curl's
** docs/examples/multi-event.c and ephiperfifo.c).
** Two levels of context: the loop-wide ls_http (multi handle, timer) and
** one ls_sock per socket; per-transfer state rides on the easy handle as
** CURLOPT_PRIVATE. cb_* are called by curl, on_* by the loop.
**
** Connections are capped per host and in total. A transfer beyond the cap
** waits in a queue of our own, holding only a copy of its request: no
** easy handle, no curl buffers, no socket, and no timeout running.
** libcurl's own pending state (CURLMOPT_MAX_HOST_CONNECTIONS) would queue
** too, but every handle waiting there holds its easy handle and receive
** buffer, CURLOPT_TIMEOUT counts the waiting time, and its documentation
** warns that CURLOPT_CONNECTTIMEOUT may expire before a connection is
** even permitted. The same caps are still given to libcurl, so that no
** path of its own (a fresh connection for a POST) opens more.
*/
#include "ls_http.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ls_curl.h"

#define DEFAULT_MAX_HOST 16
#define DEFAULT_MAX_TOTAL 64
#define MAX_HEADER_BYTES (64u * 1024u)
/* the most a Content-Length may reserve ahead of the bytes themselves */
#define MAX_RESERVE (16u * 1024u * 1024u)

typedef struct buf {
  char *data;
  size_t len, cap;
} buf;

/* One scheme://host:port: its running transfers and its queue. */
typedef struct ls_host {
  char *key;
  int running;
  ls_xfer *queue, *queue_tail;  /* waiting for a connection, oldest first */
  struct ls_host *next;
} ls_host;

/* Easy handles kept for reuse: making one per transfer costs more CPU
** than the rest of a keep-alive GET on 127.0.0.1. */
#define LS_SPARE_EASY 16

struct ls_http {
  struct event_base *base;
  CURLM *multi;
  struct event *timer;
  struct event *pump;         /* starts queued transfers, from the loop */
  ls_xfer *head;              /* transfers running, for ls_http_free */
  ls_host *hosts;
  int in_flight;              /* running + queued */
  int running, queued;
  int max_host, max_total;    /* 0 = no cap */
  CURL *spare[LS_SPARE_EASY]; /* finished handles, for reuse */
  unsigned spare_shape[LS_SPARE_EASY]; /* what each was set up for */
  int nspare;
};

/* A transfer. While it waits in the queue it holds only the copy of its
** request (one block); the easy handle, the header list and the error
** buffer come when it starts: ten thousand waiting transfers cost about
** their requests' size. */
struct ls_xfer {
  ls_http *h;
  CURL *easy;                 /* NULL while queued */
  ls_host *host;
  ls_xfer_done done;
  void *ud;
  /* the request, copied in one block: "method\0url\0ca_file\0" then
  ** each header line and its \0; the body follows (it may hold \0) */
  char *block;
  const char *method, *url, *ca_file, *lines, *body;
  int nlines;
  size_t body_len, max_size;
  long timeout_ms, connect_timeout_ms;
  unsigned tls_verify : 1;
  unsigned once : 1;          /* not idempotent: at most one send */
  unsigned resend_refused : 1;
  unsigned too_large : 1, head_too_large : 1;
  unsigned queued : 1;
  int sends;                  /* requests started on a connection */
  struct curl_slist *headers; /* over lines, when started: one array */
  char *errbuf;               /* CURL_ERROR_SIZE, when started */
  const char *fail;           /* why it could not start */
  buf body_in, head;
  CURLcode code;
  long status;
  double queued_at, queue_seconds;
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

static double now_s(ls_http *h) {
  struct timeval tv;
  event_base_gettimeofday_cached(h->base, &tv);
  return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* ----------------------------------------------------------- hosts */

/* The scheme://authority part of a URL: what connections are kept per. */
static ls_host *host_of(ls_http *h, const char *url) {
  const char *p = strstr(url, "://");
  size_t n;
  ls_host *e;
  p = p ? p + 3 : url;
  n = (size_t)(p - url) + strcspn(p, "/?#");
  for (e = h->hosts; e; e = e->next)
    if (strlen(e->key) == n && memcmp(e->key, url, n) == 0) return e;
  e = calloc(1, sizeof *e);
  if (e == NULL) return NULL;
  e->key = malloc(n + 1);
  if (e->key == NULL) { free(e); return NULL; }
  memcpy(e->key, url, n);
  e->key[n] = '\0';
  e->next = h->hosts;
  h->hosts = e;
  return e;
}

static int has_room(ls_http *h, ls_host *host) {
  if (h->max_total > 0 && h->running >= h->max_total) return 0;
  if (h->max_host > 0 && host->running >= h->max_host) return 0;
  return 1;
}

/* ----------------------------------------------------------- transfers */

static void list_unlink(ls_xfer **head, ls_xfer **tail, ls_xfer *x) {
  if (x->prev) x->prev->next = x->next; else *head = x->next;
  if (x->next) x->next->prev = x->prev; else if (tail) *tail = x->prev;
  x->prev = x->next = NULL;
}

static void schedule_pump(ls_http *h) {
  static const struct timeval zero = {0, 0};
  if (h->queued > 0 && h->pump && !evtimer_pending(h->pump, NULL)) evtimer_add(h->pump, &zero);
}

/* Takes x off the running list or the queue; a freed connection slot
** lets the next queued transfer start (from the loop, not from here). */
static void xfer_unlink(ls_xfer *x) {
  ls_http *h = x->h;
  if (x->queued) {
    list_unlink(&x->host->queue, &x->host->queue_tail, x);
    x->queued = 0;
    h->queued--;
  } else {
    list_unlink(&h->head, NULL, x);
    h->running--;
    if (x->host) x->host->running--;
    schedule_pump(h);
  }
  h->in_flight--;
}

/* Whether x goes out with a body (POSTFIELDS): all but a GET without
** one and a HEAD. Any method may carry one: record.delete sends one on
** DELETE. */
static int takes_body(const ls_xfer *x) {
  if (strcmp(x->method, "HEAD") == 0) return 0;
  return !(strcmp(x->method, "GET") == 0 && x->body == NULL);
}

/* The options a transfer sets beyond the values every transfer sets
** anew (set_shape), as a number: a spare handle last used with the same
** shape has them all already, so it needs neither curl_easy_reset (which
** costs more than the rest of setting it up) nor set_shape. 0, "always
** reset", for a method of our own or a CA file. */
static unsigned shape_of(const ls_xfer *x) {
  static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", NULL};
  unsigned m;
  if (x->ca_file[0]) return 0;
  for (m = 0; methods[m]; m++)
    if (strcmp(x->method, methods[m]) == 0) break;
  if (methods[m] == NULL) return 0;
  /* once-only follows from the method */
  return 1u | m << 1 | (x->body != NULL) << 4 | x->tls_verify << 5 | (x->timeout_ms > 0) << 6 |
         (x->connect_timeout_ms > 0) << 7;
}

static void xfer_free(ls_xfer *x) {
  ls_http *h = x->h;
  if (x->easy) {
    curl_multi_remove_handle(h->multi, x->easy);
    if (h->nspare < LS_SPARE_EASY) {
      /* its options still point into x: the next transfer sets those
      ** again (same shape) or resets the handle first */
      h->spare_shape[h->nspare] = shape_of(x);
      h->spare[h->nspare++] = x->easy;
    } else {
      curl_easy_cleanup(x->easy);
    }
  }
  free(x->headers);
  free(x->errbuf);
  free(x->block);
  free(x->body_in.data);
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

/* Room for the whole body at its first piece when the answer says how
** long it is (and that is within max_size): one allocation, no copy as
** it grows. */
static void body_reserve(ls_xfer *x) {
  curl_off_t cl = -1;
  char *d;
  if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) != CURLE_OK || cl <= 0) return;
  if ((x->max_size && (size_t)cl > x->max_size) || (uint64_t)cl > MAX_RESERVE) return;
  d = malloc((size_t)cl + 1);
  if (d == NULL) return; /* buf_add will try again as it goes */
  x->body_in.data = d;
  x->body_in.cap = (size_t)cl + 1;
}

static size_t cb_write(char *p, size_t size, size_t n, void *ud) {
  ls_xfer *x = ud;
  size_t len = size * n;
  if (x->max_size && x->body_in.len + len > x->max_size) {
    x->too_large = 1;
    return 0; /* makes curl fail the transfer with CURLE_WRITE_ERROR */
  }
  if (x->body_in.data == NULL) body_reserve(x);
  return buf_add(&x->body_in, p, len) == 0 ? len : 0;
}

static size_t cb_header(char *p, size_t size, size_t n, void *ud) {
  ls_xfer *x = ud;
  size_t len = size * n;
  /* a new status line starts a new response (100 Continue, redirects) */
  if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) x->head.len = 0;
  if (x->head.len + len > MAX_HEADER_BYTES) {
    x->head_too_large = 1;
    return 0;
  }
  return buf_add(&x->head, p, len) == 0 ? len : 0;
}

/* Called by curl each time a request is about to go out on a connection.
** libcurl sends a request again by itself when a reused connection dies
** before any answer byte ("Connection died, retrying a fresh connect"):
** harmless for a GET, a second create for a POST the server had read.
** A request that is not idempotent goes out once; a second start is
** refused and the transfer fails as possibly processed. */
static int cb_prereq(void *ud, char *ip, char *local_ip, int port, int local_port) {
  ls_xfer *x = ud;
  (void)ip; (void)local_ip; (void)port; (void)local_port;
  x->sends++;
  if (x->once && x->sends > 1) {
    x->resend_refused = 1;
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
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

/* ----------------------------------------------------------- starting */

static void set_err(char *err, size_t errlen, const char *msg) {
  if (err && errlen) snprintf(err, errlen, "%s", msg);
}

/* The header list of x, from its copied lines: the nodes in one array of
** our own, pointing into x's block (curl only reads the list, which must
** outlive the transfer: it lives as long as x), where curl_slist_append
** would copy each line into two allocations of its own. */
static int build_headers(ls_xfer *x) {
  /* no "Expect: 100-continue" round trip for small JSON bodies (curl adds
  ** none to a request without a body) */
  static char expect[] = "Expect:";
  const char *p = x->lines;
  int i, n = x->nlines + (x->body != NULL);
  if (n == 0) return 0;
  x->headers = malloc((size_t)n * sizeof *x->headers);
  if (x->headers == NULL) return -1;
  for (i = 0; i < x->nlines; i++) {
    x->headers[i].data = (char *)p;
    x->headers[i].next = &x->headers[i + 1];
    p += strlen(p) + 1;
  }
  if (x->body != NULL) x->headers[i++].data = expect;
  x->headers[i - 1].next = NULL;
  return 0;
}

/* The options that make a transfer's shape (shape_of): set on a new or
** reset handle only, a reused one of the same shape has them already. */
static void set_shape(ls_xfer *x, CURL *e) {
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, cb_write);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, cb_header);
  curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, cb_prereq);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!x->tls_verify) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (x->ca_file[0]) curl_easy_setopt(e, CURLOPT_CAINFO, x->ca_file);
  /* A request that is not idempotent gets a connection of its own: on a
  ** reused one, an idle close racing with the send would make it fail
  ** as "possibly processed" (see cb_prereq). The cost is one handshake
  ** per create; the connection then serves later requests. */
  if (x->once) curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
  if (strcmp(x->method, "HEAD") == 0) curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  else if (!takes_body(x)) curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  else if (strcmp(x->method, "POST") != 0) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
}

/* Creates the easy handle of x and hands it to the multi handle. On
** failure returns -1 with a static message in x->fail. */
static int xfer_launch(ls_xfer *x) {
  ls_http *h = x->h;
  CURL *e;
  CURLMcode mc;
  int fresh = 1;
  x->errbuf = calloc(1, CURL_ERROR_SIZE);
  if (x->errbuf == NULL || build_headers(x) != 0) { x->fail = "out of memory"; return -1; }
  if (h->nspare > 0) {
    unsigned shape = h->spare_shape[--h->nspare];
    x->easy = e = h->spare[h->nspare];
    if (shape != 0 && shape == shape_of(x)) fresh = 0;
    else curl_easy_reset(e);
  } else {
    x->easy = e = curl_easy_init();
    if (e == NULL) { x->fail = "cannot create transfer"; return -1; }
  }
  if (fresh) set_shape(x, e);
  /* what every transfer sets anew */
  curl_easy_setopt(e, CURLOPT_URL, x->url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
  curl_easy_setopt(e, CURLOPT_PRIVATE, x);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(e, CURLOPT_PREREQDATA, x);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
  if (x->timeout_ms > 0) curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, x->timeout_ms);
  if (x->connect_timeout_ms > 0)
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, x->connect_timeout_ms);
  if (takes_body(x)) {
    /* POSTFIELDS points at our copy, which lives as long as x */
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body ? x->body : "");
  }
  mc = curl_multi_add_handle(h->multi, e);
  if (mc != CURLM_OK) {
    x->fail = curl_multi_strerror(mc);
    curl_easy_cleanup(e);
    x->easy = NULL;
    return -1;
  }
  x->next = h->head;
  if (h->head) h->head->prev = x;
  h->head = x;
  h->running++;
  x->host->running++;
  return 0;
}

/* Starts queued transfers, oldest first per host, while there is room.
** A transfer that cannot start ends with its callback, here in the loop. */
static void on_pump(evutil_socket_t fd, short what, void *arg) {
  ls_http *h = arg;
  ls_host *host;
  (void)fd; (void)what;
  for (host = h->hosts; host; host = host->next) {
    while (host->queue && has_room(h, host)) {
      ls_xfer *x = host->queue;
      list_unlink(&host->queue, &host->queue_tail, x);
      x->queued = 0;
      h->queued--;
      x->queue_seconds = now_s(h) - x->queued_at;
      if (xfer_launch(x) != 0) {
        h->in_flight--;
        x->code = CURLE_FAILED_INIT;
        if (x->done) x->done(x, x->ud);
        xfer_free(x);
      }
    }
  }
}

/* ----------------------------------------------------------- public */

ls_http *ls_http_new(struct event_base *base) {
  ls_http *h = calloc(1, sizeof *h);
  if (h == NULL) return NULL;
  h->base = base;
  h->timer = evtimer_new(base, on_timeout, h);
  h->pump = evtimer_new(base, on_pump, h);
  if (h->timer == NULL || h->pump == NULL) {
    ls_http_free(h);
    return NULL;
  }
  h->max_host = DEFAULT_MAX_HOST;
  h->max_total = DEFAULT_MAX_TOTAL;
  return h;
}

/* libcurl keeps to the same caps, so no path of its own opens more. */
static void apply_limits(ls_http *h) {
  if (h->multi == NULL) return;
  curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)h->max_host);
  curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)h->max_total);
  if (h->max_total > 0) curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)h->max_total);
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
  apply_limits(h);
  return 0;
}

void ls_http_set_limits(ls_http *h, int max_host, int max_total) {
  h->max_host = max_host > 0 ? max_host : 0;
  h->max_total = max_total > 0 ? max_total : 0;
  apply_limits(h);
  schedule_pump(h);
}

void ls_http_limits(const ls_http *h, int *max_host, int *max_total) {
  *max_host = h->max_host;
  *max_total = h->max_total;
}

void ls_http_free(ls_http *h) {
  if (h == NULL) return;
  while (h->head) {
    ls_xfer *x = h->head;
    xfer_unlink(x);
    xfer_free(x);
  }
  while (h->hosts) {
    ls_host *e = h->hosts;
    while (e->queue) {
      ls_xfer *x = e->queue;
      xfer_unlink(x);
      xfer_free(x);
    }
    h->hosts = e->next;
    free(e->key);
    free(e);
  }
  while (h->nspare > 0) curl_easy_cleanup(h->spare[--h->nspare]);
  if (h->multi) curl_multi_cleanup(h->multi);
  if (h->timer) event_free(h->timer);
  if (h->pump) event_free(h->pump);
  free(h);
}

/* Methods that may be sent again without a second effect (RFC 9110 9.2.2). */
static int idempotent(const char *method) {
  static const char *const safe[] = {"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", NULL};
  const char *const *m;
  for (m = safe; *m; m++) if (strcmp(method, *m) == 0) return 1;
  return 0;
}

static char *put_str(char *p, const char *s) {
  size_t n = strlen(s) + 1;
  memcpy(p, s, n);
  return p + n;
}

/* Copies what the transfer needs of req into one block, so that it may
** wait in the queue. */
static int xfer_copy(ls_xfer *x, const ls_request *req) {
  const char *const *hp;
  const char *ca = req->ca_file ? req->ca_file : "";
  size_t size = strlen(req->method) + strlen(req->url) + strlen(ca) + 3;
  char *p;
  for (hp = req->headers; hp && *hp; hp++) size += strlen(*hp) + 1;
  if (req->body) size += req->body_len + 1;
  x->block = p = malloc(size);
  if (p == NULL) return -1;
  x->method = p; p = put_str(p, req->method);
  x->url = p; p = put_str(p, req->url);
  x->ca_file = p; p = put_str(p, ca);
  x->lines = p;
  for (hp = req->headers; hp && *hp; hp++) { p = put_str(p, *hp); x->nlines++; }
  if (req->body) {
    memcpy(p, req->body, req->body_len);
    p[req->body_len] = '\0';
    x->body = p;
    x->body_len = req->body_len;
  }
  x->timeout_ms = req->timeout_ms;
  x->connect_timeout_ms = req->connect_timeout_ms;
  x->tls_verify = req->tls_verify != 0;
  x->max_size = req->max_size;
  x->once = !idempotent(x->method);
  return 0;
}

/* Lets curl start what was just added, at once: the request goes out
** before its caller waits rather than on the loop's next turn (curl's
** zero timeout), which saves every call a turn of the loop. Its caller
** is never a curl callback. A transfer that ends right here (a refused
** connection) is collected on the loop's next turn, not here: no done
** callback runs inside ls_http_start. */
static void kick(ls_http *h) {
  static const struct timeval zero = {0, 0};
  int running = 0;
  curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  if (running < h->running) evtimer_add(h->timer, &zero);
}

ls_xfer *ls_http_start(ls_http *h, const ls_request *req, ls_xfer_done done,
                       void *ud, char *err, size_t errlen) {
  ls_xfer *x;
  if (ensure_multi(h, err, errlen) != 0) return NULL;
  x = calloc(1, sizeof *x);
  if (x == NULL) { set_err(err, errlen, "out of memory"); return NULL; }
  x->h = h;
  x->done = done;
  x->ud = ud;
  if (xfer_copy(x, req) != 0 || (x->host = host_of(h, x->url)) == NULL) {
    set_err(err, errlen, "out of memory");
    xfer_free(x);
    return NULL;
  }
  if (x->host->queue == NULL && has_room(h, x->host)) {
    if (xfer_launch(x) != 0) {
      set_err(err, errlen, x->fail);
      xfer_free(x);
      return NULL;
    }
    kick(h);
  } else {
    ls_host *host = x->host;
    x->queued = 1;
    x->queued_at = now_s(h);
    x->prev = host->queue_tail;
    if (host->queue_tail) host->queue_tail->next = x; else host->queue = x;
    host->queue_tail = x;
    h->queued++;
    schedule_pump(h);
  }
  h->in_flight++;
  return x;
}

void ls_xfer_cancel(ls_xfer *x) {
  xfer_unlink(x);
  xfer_free(x);
}

static int tls_certificate_error(CURLcode c) {
  switch (c) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
      return 1;
    default:
      return 0;
  }
}

ls_xfer_result ls_xfer_result_of(const ls_xfer *x) {
  if (x->too_large || x->head_too_large) return LS_XFER_TOO_LARGE;
  if (tls_certificate_error(x->code)) return LS_XFER_TLS;
  switch (x->code) {
    case CURLE_OK: return LS_XFER_OK;
    case CURLE_OPERATION_TIMEDOUT: return LS_XFER_TIMEOUT;
    default: return LS_XFER_NETWORK;
  }
}

long ls_xfer_status(const ls_xfer *x) { return x->status; }

const char *ls_xfer_body(const ls_xfer *x, size_t *len) {
  *len = x->body_in.len;
  return x->body_in.data ? x->body_in.data : "";
}

const char *ls_xfer_headers(const ls_xfer *x, size_t *len) {
  *len = x->head.len;
  return x->head.data ? x->head.data : "";
}

static char *take(buf *b, size_t *len) {
  char *d = b->data;
  *len = d ? b->len : 0;
  b->data = NULL;
  b->len = b->cap = 0;
  return d;
}

char *ls_xfer_take_body(ls_xfer *x, size_t *len) {
  return take(&x->body_in, len);
}

char *ls_xfer_take_headers(ls_xfer *x, size_t *len) {
  return take(&x->head, len);
}

const char *ls_xfer_error(const ls_xfer *x) {
  if (x->too_large) return "response body too large";
  if (x->head_too_large) return "response headers too large";
  if (x->resend_refused)
    return "the connection closed after the request was sent; not sent again (it may have been processed)";
  if (x->fail) return x->fail;
  return x->errbuf && x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->code);
}

int ls_xfer_sent(const ls_xfer *x) {
  long n = 0;
  if (x->resend_refused || x->sends > 1) return 1;
  if (x->easy == NULL || x->sends == 0) return 0;
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
  if (x->easy) curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME, &t);
  return t;
}

double ls_xfer_queue_seconds(const ls_xfer *x) { return x->queue_seconds; }

int ls_http_in_flight(const ls_http *h) { return h->in_flight; }
