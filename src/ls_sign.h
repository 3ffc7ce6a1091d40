/*
** ls_sign.h: the NCP API Gateway signature v2 (HMAC-SHA256, Base64).
** Pure C: knows nothing of Lua or of Live Station's resources.
*/
#ifndef LS_SIGN_H
#define LS_SIGN_H

#include <stddef.h>

/* Base64 of a 32-byte HMAC-SHA256 is 44 characters; plus the NUL. */
#define LS_SIGNATURE_SIZE 45

/* Raw HMAC-SHA256 of msg under key into out[32]. Returns 0 on success. */
int ls_hmac_sha256(const void *key, size_t keylen, const void *msg,
                   size_t msglen, unsigned char out[32]);

/* Standard Base64 with padding of in[0..len) into out, which must hold
** 4*((len+2)/3)+1 bytes. Returns the length written (without the NUL). */
size_t ls_base64(const unsigned char *in, size_t len, char *out);

/* Builds "METHOD TARGET\nTIMESTAMP\nACCESSKEY" and signs it with secret.
** target is the exact request target sent (path plus "?query" as encoded
** on the wire). Writes the NUL-terminated signature into out. Returns 0
** on success, -1 on failure (out is then an empty string). */
int ls_sign(const char *secret, size_t secretlen, const char *method,
            const char *target, const char *timestamp, const char *access_key,
            char out[LS_SIGNATURE_SIZE]);

#endif
