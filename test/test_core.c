/*
** test_core.c: the core's pure parts, without Lua: the NCP signature
** (COMMON.md's vector byte for byte), HMAC-SHA256 and Base64 vectors, and
** the libcurl-on-libevent client against an evhttp server on 127.0.0.1.
** Prints "test_core: N passed, N failed"; exits non-zero on a failure.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "ls_http.h"
#include "ls_sign.h"

static int passed, failed;

#define CHECK(cond, what) do { \
    if (cond) passed++; \
    else { failed++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, what); } \
  } while (0)

static void hex(const unsigned char *p, size_t n, char *out) {
  size_t i;
  for (i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_signature_vector(void) {
  char sig[LS_SIGNATURE_SIZE];
  const char *secret = "NCPTESTSECRETKEY00000000000000000000SK01";
  int rc = ls_sign(secret, strlen(secret), "GET",
                   "/api/v2/channels/ls-20240101000000-AbCdE/serviceUrls?serviceUrlType=GENERAL",
                   "1700000000000", "NCPTESTACCESSKEY0001", sig);
  CHECK(rc == 0, "ls_sign succeeds");
  CHECK(strcmp(sig, "DYoyEBckpxqEeApLYfbZE/Z/1JBmrY4sU2fLmcPzaqc=") == 0,
        "COMMON.md test vector reproduces byte for byte");
  CHECK(strlen(sig) == 44, "signature is 44 characters");
  rc = ls_sign(secret, strlen(secret), "POST",
               "/api/v2/channels/ls-20240101000000-AbCdE/serviceUrls?serviceUrlType=GENERAL",
               "1700000000000", "NCPTESTACCESSKEY0001", sig);
  CHECK(strcmp(sig, "DYoyEBckpxqEeApLYfbZE/Z/1JBmrY4sU2fLmcPzaqc=") != 0,
        "the method is part of what is signed");
}

static void test_hmac_and_base64(void) {
  unsigned char mac[32];
  char h[65], b[16];
  /* RFC 4231 test case 2 */
  const char *msg = "what do ya want for nothing?";
  CHECK(ls_hmac_sha256("Jefe", 4, msg, strlen(msg), mac) == 0, "hmac succeeds");
  hex(mac, 32, h);
  CHECK(strcmp(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") == 0,
        "RFC 4231 case 2");
  {
    /* RFC 4231 test case 6: a key longer than the block is hashed first */
    unsigned char key[131];
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    memset(key, 0xaa, sizeof key);
    CHECK(ls_hmac_sha256(key, sizeof key, m6, strlen(m6), mac) == 0, "hmac with a long key");
    hex(mac, 32, h);
    CHECK(strcmp(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54") == 0,
          "RFC 4231 case 6");
    /* RFC 4231 test case 1: a 20-byte key */
    memset(key, 0x0b, 20);
    CHECK(ls_hmac_sha256(key, 20, "Hi There", 8, mac) == 0, "hmac with a short key");
    hex(mac, 32, h);
    CHECK(strcmp(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7") == 0,
          "RFC 4231 case 1");
  }
  CHECK(ls_base64((const unsigned char *)"", 0, b) == 0 && b[0] == '\0', "base64 of nothing");
  ls_base64((const unsigned char *)"f", 1, b);
  CHECK(strcmp(b, "Zg==") == 0, "base64 pads one byte");
  ls_base64((const unsigned char *)"fo", 2, b);
  CHECK(strcmp(b, "Zm8=") == 0, "base64 pads two bytes");
  ls_base64((const unsigned char *)"foobar", 6, b);
  CHECK(strcmp(b, "Zm9vYmFy") == 0, "base64 of six bytes");
}

/* ---------------------------------------------------------------- HTTP */

static void on_echo(struct evhttp_request *req, void *arg) {
  struct evbuffer *out = evbuffer_new();
  struct evbuffer *in = evhttp_request_get_input_buffer(req);
  const char *uri = evhttp_request_get_uri(req);
  (void)arg;
  if (strcmp(uri, "/big") == 0) {
    static char chunk[4096];
    int i;
    memset(chunk, 'x', sizeof chunk);
    for (i = 0; i < 64; i++) evbuffer_add(out, chunk, sizeof chunk);
  } else {
    evbuffer_add_printf(out, "%d %s ", (int)evhttp_request_get_command(req), uri);
    evbuffer_add_buffer(out, in);
  }
  evhttp_add_header(evhttp_request_get_output_headers(req), "X-Test", "one");
  evhttp_send_reply(req, strcmp(uri, "/teapot") == 0 ? 418 : 200, NULL, out);
  evbuffer_free(out);
}

typedef struct result {
  int done;
  ls_xfer_result r;
  long status;
  char body[256];
  int has_header, sent;
} result;

static void on_done(ls_xfer *x, void *ud) {
  result *res = ud;
  size_t n, hn;
  const char *b = ls_xfer_body(x, &n);
  const char *h = ls_xfer_headers(x, &hn);
  res->done = 1;
  res->r = ls_xfer_result_of(x);
  res->status = ls_xfer_status(x);
  snprintf(res->body, sizeof res->body, "%.*s", (int)(n < 200 ? n : 200), b);
  res->has_header = strstr(h, "X-Test: one") != NULL;
  res->sent = ls_xfer_sent(x);
}

static void run_until(struct event_base *base, result *r) {
  while (!r->done) event_base_loop(base, EVLOOP_ONCE);
}

static void test_http(void) {
  struct event_base *base = event_base_new();
  struct evhttp *srv = evhttp_new(base);
  struct evhttp_bound_socket *sock;
  ls_http *h = ls_http_new(base);
  char url[128], err[128];
  int port;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  const char *hdrs[] = {"Content-Type: application/json", "x-ncp-region_code: KR", NULL};
  ls_request req;
  result a = {0}, b = {0}, c = {0}, d = {0}, e = {0};
  evhttp_set_gencb(srv, on_echo, NULL);
  evhttp_set_allowed_methods(srv, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
  sock = evhttp_bind_socket_with_handle(srv, "127.0.0.1", 0);
  getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &len);
  port = ntohs(((struct sockaddr_in *)&ss)->sin_port);

  memset(&req, 0, sizeof req);
  req.headers = hdrs;
  req.tls_verify = 1;
  req.timeout_ms = 5000;

  /* a DELETE with a JSON body (record.delete needs one) */
  snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v2/channels/x/records", port);
  req.method = "DELETE";
  req.url = url;
  req.body = "{\"recordIds\":[1]}";
  req.body_len = strlen(req.body);
  CHECK(ls_http_start(h, &req, on_done, &a, err, sizeof err) != NULL, "start DELETE");
  /* two at once on the same loop */
  req.method = "PUT";
  req.body = NULL;
  req.body_len = 0;
  snprintf(url, sizeof url, "http://127.0.0.1:%d/teapot", port);
  CHECK(ls_http_start(h, &req, on_done, &b, err, sizeof err) != NULL, "start PUT");
  CHECK(ls_http_in_flight(h) == 2, "two transfers in flight");
  run_until(base, &a);
  run_until(base, &b);
  CHECK(a.r == LS_XFER_OK && a.status == 200, "DELETE answered 200");
  CHECK(strcmp(a.body, "16 /api/v2/channels/x/records {\"recordIds\":[1]}") == 0,
        "DELETE body arrives");
  CHECK(a.has_header, "response headers are kept");
  CHECK(b.r == LS_XFER_OK && b.status == 418, "any status is a response");
  CHECK(strncmp(b.body, "8 /teapot", 9) == 0, "PUT without a body");

  /* the response size cap */
  req.method = "GET";
  req.max_size = 10000;
  snprintf(url, sizeof url, "http://127.0.0.1:%d/big", port);
  ls_http_start(h, &req, on_done, &c, err, sizeof err);
  run_until(base, &c);
  CHECK(c.r == LS_XFER_TOO_LARGE, "a body over max_size fails as too large");

  /* nothing listens: refused, and provably not sent */
  req.max_size = 0;
  evhttp_free(srv);
  ls_http_start(h, &req, on_done, &d, err, sizeof err);
  run_until(base, &d);
  CHECK(d.r == LS_XFER_NETWORK && d.sent == 0, "refused connection is not sent");

  /* cancel: no callback afterwards */
  ls_xfer_cancel(ls_http_start(h, &req, on_done, &e, err, sizeof err));
  event_base_loop(base, EVLOOP_NONBLOCK);
  CHECK(e.done == 0 && ls_http_in_flight(h) == 0, "a cancelled transfer never calls back");

  ls_http_free(h);
  event_base_free(base);
}

int main(void) {
  test_signature_vector();
  test_hmac_and_base64();
  test_http();
  printf("test_core: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
