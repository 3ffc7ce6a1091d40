/*
** signed_get.c: the baseline of make bench's client-cost figure. A bare
** libcurl + OpenSSL loop doing what ls:call does for a GET: sign the
** request (HMAC-SHA256 of "METHOD target\ntimestamp\naccess-key", Base64),
** send it on one keep-alive connection, read the whole body (it does not
** parse it: a JSON decode is no part of this figure). HMAC and SHA-256
** are fetched from OpenSSL's provider once, as src/ls_sign.c does: the
** one-shot HMAC() looks them up on every call, which would make the
** baseline slower than a careful C client. It prints the requests done
** and the CPU seconds this process spent on them.
**
**   build/signed_get URL TARGET ACCESS_KEY SECRET_KEY COUNT
**
** URL is the server (http://127.0.0.1:PORT), TARGET the path and query.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

typedef struct body {
  char *data;
  size_t len, cap;
} body;

static size_t on_write(char *p, size_t size, size_t n, void *ud) {
  body *b = ud;
  size_t len = size * n;
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    char *d;
    while (cap < b->len + len) cap *= 2;
    d = realloc(b->data, cap);
    if (d == NULL) return 0;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, len);
  b->len += len;
  return len;
}

/* The process's CPU time (user + system) on the clock Lua's os.clock
** reads (CLOCK_PROCESS_CPUTIME_ID), which measures the other side: the
** two figures of a ratio come from one clock. getrusage's split into
** user and system time is sampled at ticks and once gave a round of
** 600 requests less than half its time. */
static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long now_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int main(int argc, char **argv) {
  const char *url, *target, *ak, *sk;
  char full[2048], msg[2048], ts[32], hdr[3][256];
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned char sig[128];
  size_t maclen;
  EVP_MAC *hmac;
  EVP_MAC_CTX *mc;
  OSSL_PARAM params[2];
  long count, i, status = 0;
  body b = { NULL, 0, 0 };
  CURL *e;
  double t0;
  if (argc != 6 || (count = atol(argv[5])) <= 0) {
    fprintf(stderr, "usage: signed_get URL TARGET ACCESS_KEY SECRET_KEY COUNT\n");
    return 2;
  }
  url = argv[1]; target = argv[2]; ak = argv[3]; sk = argv[4];
  snprintf(full, sizeof full, "%s%s", url, target);
  hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  mc = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
  params[1] = OSSL_PARAM_construct_end();
  if (mc == NULL || !EVP_MAC_CTX_set_params(mc, params)) {
    fprintf(stderr, "signed_get: no HMAC in OpenSSL\n");
    return 1;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  e = curl_easy_init();
  curl_easy_setopt(e, CURLOPT_URL, full);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  t0 = cpu_seconds();
  for (i = 0; i < count; i++) {
    struct curl_slist *h = NULL;
    CURLcode rc;
    snprintf(ts, sizeof ts, "%lld", now_ms());
    snprintf(msg, sizeof msg, "GET %s\n%s\n%s", target, ts, ak);
    /* the key each time, as ls_sign does */
    if (!EVP_MAC_init(mc, (const unsigned char *)sk, strlen(sk), NULL) ||
        !EVP_MAC_update(mc, (unsigned char *)msg, strlen(msg)) ||
        !EVP_MAC_final(mc, mac, &maclen, sizeof mac)) {
      fprintf(stderr, "signed_get: HMAC failed\n");
      return 1;
    }
    EVP_EncodeBlock(sig, mac, (int)maclen);
    snprintf(hdr[0], sizeof hdr[0], "x-ncp-apigw-timestamp: %s", ts);
    snprintf(hdr[1], sizeof hdr[1], "x-ncp-iam-access-key: %s", ak);
    snprintf(hdr[2], sizeof hdr[2], "x-ncp-apigw-signature-v2: %s", (char *)sig);
    h = curl_slist_append(h, hdr[0]);
    h = curl_slist_append(h, hdr[1]);
    h = curl_slist_append(h, hdr[2]);
    h = curl_slist_append(h, "x-ncp-region_code: KR");
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    b.len = 0;
    rc = curl_easy_perform(e);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
      fprintf(stderr, "signed_get: %s\n", curl_easy_strerror(rc));
      return 1;
    }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
      fprintf(stderr, "signed_get: HTTP %ld\n", status);
      return 1;
    }
  }
  printf("%ld %.6f\n", count, cpu_seconds() - t0);
  curl_easy_cleanup(e);
  curl_global_cleanup();
  EVP_MAC_CTX_free(mc);
  EVP_MAC_free(hmac);
  free(b.data);
  return 0;
}
