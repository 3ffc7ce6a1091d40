/*
** ls_sign.c: the NCP API Gateway signature v2.
** See api/COMMON.md §a: three lines joined by LF, no final LF,
** HMAC-SHA256 under the secret key, standard Base64.
*/
#include "ls_sign.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

int ls_hmac_sha256(const void *key, size_t keylen, const void *msg,
                   size_t msglen, unsigned char out[32]) {
  unsigned int outlen = 0;
  if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &outlen) == NULL)
    return -1;
  return outlen == 32 ? 0 : -1;
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
