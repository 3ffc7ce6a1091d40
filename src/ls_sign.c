/*
** ls_sign.c: the NCP API Gateway signature v2.
** See api/COMMON.md §a: three lines joined by LF, no final LF,
** HMAC-SHA256 under the secret key, standard Base64.
*/
#include "ls_sign.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* SHA-256, fetched from OpenSSL's provider once: OpenSSL 3's one-shot
** HMAC() looks the algorithm up on every call, which cost more than the
** rest of signing a request. */
static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void) {
  sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* One hash over two pieces. */
static int digest2(EVP_MD_CTX *c, const void *a, size_t alen, const void *b,
                   size_t blen, unsigned char out[32]) {
  unsigned int n = 0;
  return EVP_DigestInit_ex2(c, sha256, NULL) && EVP_DigestUpdate(c, a, alen) &&
         EVP_DigestUpdate(c, b, blen) && EVP_DigestFinal_ex(c, out, &n) && n == 32;
}

/* HMAC (RFC 2104) with SHA-256: H(K ^ opad, H(K ^ ipad, msg)). */
int ls_hmac_sha256(const void *key, size_t keylen, const void *msg,
                   size_t msglen, unsigned char out[32]) {
  unsigned char k[64], ipad[64], opad[64], inner[32];
  EVP_MD_CTX *c;
  int i, ok;
  pthread_once(&sha256_once, fetch_sha256);
  if (sha256 == NULL || (c = EVP_MD_CTX_new()) == NULL) return -1;
  memset(k, 0, sizeof k);
  if (keylen > sizeof k) {
    if (!digest2(c, key, keylen, "", 0, k)) { EVP_MD_CTX_free(c); return -1; }
  } else if (keylen > 0) {
    memcpy(k, key, keylen);
  }
  for (i = 0; i < 64; i++) {
    ipad[i] = (unsigned char)(k[i] ^ 0x36);
    opad[i] = (unsigned char)(k[i] ^ 0x5c);
  }
  ok = digest2(c, ipad, sizeof ipad, msg, msglen, inner) &&
       digest2(c, opad, sizeof opad, inner, sizeof inner, out);
  EVP_MD_CTX_free(c);
  /* the key's traces are secret too */
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
  OPENSSL_cleanse(inner, sizeof inner);
  return ok ? 0 : -1;
}

size_t ls_base64(const unsigned char *in, size_t len, char *out) {
  return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

int ls_sign(const char *secret, size_t secretlen, const char *method,
            const char *target, const char *timestamp, const char *access_key,
            char out[LS_SIGNATURE_SIZE]) {
  size_t lm = strlen(method), lt = strlen(target), lts = strlen(timestamp);
  size_t la = strlen(access_key);
  size_t n = lm + 1 + lt + 1 + lts + 1 + la;
  unsigned char mac[32];
  char *msg = malloc(n);
  int rc;
  out[0] = '\0';
  if (msg == NULL) return -1;
  memcpy(msg, method, lm);
  msg[lm] = ' ';
  memcpy(msg + lm + 1, target, lt);
  msg[lm + 1 + lt] = '\n';
  memcpy(msg + lm + 2 + lt, timestamp, lts);
  msg[lm + 2 + lt + lts] = '\n';
  memcpy(msg + lm + 3 + lt + lts, access_key, la);
  rc = ls_hmac_sha256(secret, secretlen, msg, n, mac);
  free(msg);
  if (rc != 0) return -1;
  ls_base64(mac, sizeof mac, out);
  return 0;
}
