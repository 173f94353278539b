/* hmac: SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) in plain C, plus
 * the small helpers needed to use a MAC safely: lowercase hex encoding, a
 * constant-time comparison and random hex tokens from getrandom(2).
 *
 * Nothing here allocates: every output goes to a buffer the caller owns and
 * sizes (HMAC_SHA256_LEN bytes for a digest, 2n+1 chars for hex). A context
 * is a plain struct the caller may keep anywhere; it holds no resources, so
 * there is nothing to free. Only hmac_random_hex() can fail (0, or -1 with
 * errno from getrandom). */
#ifndef MPRUN_HMAC_H
#define MPRUN_HMAC_H
#include <stddef.h>
#include <stdint.h>

#define HMAC_SHA256_LEN 32   /* bytes in a digest or a MAC */
#define HMAC_SHA256_BLOCK 64 /* bytes in a SHA-256 block */

/* An incremental SHA-256 computation: init, update any number of times,
 * final once (then init again before reuse). */
struct hmac_sha256_ctx {
	uint32_t state[8];
	uint64_t total;				 /* bytes hashed so far */
	unsigned char block[HMAC_SHA256_BLOCK]; /* pending partial block */
	size_t used;				 /* bytes in block */
};

void hmac_sha256_init(struct hmac_sha256_ctx *c);
void hmac_sha256_update(struct hmac_sha256_ctx *c, const void *data,
			size_t len);
void hmac_sha256_final(struct hmac_sha256_ctx *c,
		       unsigned char out[HMAC_SHA256_LEN]);

/* SHA-256 of len bytes at data, in one call. */
void hmac_sha256_hash(const void *data, size_t len,
		      unsigned char out[HMAC_SHA256_LEN]);
/* HMAC-SHA256 of msg under key (a key longer than a block is hashed). */
void hmac_sha256(const void *key, size_t keylen, const void *msg,
		 size_t msglen, unsigned char out[HMAC_SHA256_LEN]);

/* n bytes as 2n lowercase hex digits and a NUL (out holds 2n+1 chars). */
void hmac_hex(const unsigned char *in, size_t n, char *out);
/* 1 if the n bytes at a and b are equal, else 0, in a time that depends
 * only on n (for comparing MACs). */
int hmac_equal(const void *a, const void *b, size_t n);
/* nbytes random bytes from getrandom(2) as 2*nbytes lowercase hex digits
 * and a NUL (out holds 2*nbytes+1 chars). 0, or -1 with errno (out is then
 * the empty string). */
int hmac_random_hex(char *out, size_t nbytes);

#endif
