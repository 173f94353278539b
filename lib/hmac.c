/* hmac: SHA-256 (FIPS 180-4), HMAC-SHA256 (RFC 2104) and MAC helpers.
 * Portable C11: words are loaded and stored big-endian byte by byte, so
 * there are no alignment or host byte-order assumptions. */
#include "hmac.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

/* The first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes (FIPS 180-4, 4.2.2). */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* The first 32 bits of the fractional parts of the square roots of the
 * first 8 primes (FIPS 180-4, 5.3.3). */
static const uint32_t sha256_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* Overwrite n bytes at p with zeros in a way the compiler cannot drop as
 * a dead store (keys, pads and random bytes must not linger on the stack). */
static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

/* The big-endian 32-bit word at p. */
static uint32_t load32_be(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Store x at p, big-endian. */
static void store32_be(unsigned char *p, uint32_t x)
{
	p[0] = (unsigned char)(x >> 24);
	p[1] = (unsigned char)(x >> 16);
	p[2] = (unsigned char)(x >> 8);
	p[3] = (unsigned char)x;
}

/* Store x at p, big-endian. */
static void store64_be(unsigned char *p, uint64_t x)
{
	store32_be(p, (uint32_t)(x >> 32));
	store32_be(p + 4, (uint32_t)x);
}

/* x rotated right by n bits (0 < n < 32). */
static uint32_t rotr(uint32_t x, unsigned n)
{
	return x >> n | x << (32 - n);
}

/* The message schedule W0..W63 of one block (FIPS 180-4, 6.2.2 step 1). */
static void sha256_schedule(uint32_t w[64], const unsigned char *block)
{
	uint32_t s0, s1;

	for (int t = 0; t < 16; t++)
		w[t] = load32_be(block + 4 * t);
	for (int t = 16; t < 64; t++) {
		s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ w[t - 15] >> 3;
		s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ w[t - 2] >> 10;
		w[t] = w[t - 16] + s0 + w[t - 7] + s1;
	}
}

/* Fold one 64-byte block into the hash state (FIPS 180-4, 6.2.2). */
static void sha256_compress(uint32_t state[8], const unsigned char *block)
{
	uint32_t w[64], v[8], t1, t2;

	sha256_schedule(w, block);
	memcpy(v, state, sizeof(v));
	for (int t = 0; t < 64; t++) {
		t1 = v[7] + (rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha256_k[t] + w[t];
		t2 = (rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		state[i] += v[i];
	wipe(w, sizeof(w));
	wipe(v, sizeof(v));
}

/* Start a new hash. */
void hmac_sha256_init(struct hmac_sha256_ctx *c)
{
	memcpy(c->state, sha256_h0, sizeof(c->state));
	c->total = 0;
	c->used = 0;
}

/* Hash len more bytes: whole blocks straight from data, the rest buffered. */
void hmac_sha256_update(struct hmac_sha256_ctx *c, const void *data,
			size_t len)
{
	const unsigned char *p = data;
	size_t n;

	c->total += len;
	while (len > 0) {
		if (c->used == 0 && len >= HMAC_SHA256_BLOCK) {
			sha256_compress(c->state, p);
			n = HMAC_SHA256_BLOCK;
		} else {
			n = HMAC_SHA256_BLOCK - c->used;
			n = n < len ? n : len;
			memcpy(c->block + c->used, p, n);
			c->used += n;
		}
		if (c->used == HMAC_SHA256_BLOCK) {
			sha256_compress(c->state, c->block);
			c->used = 0;
		}
		p += n;
		len -= n;
	}
}

/* Pad (0x80, zeros, 64-bit bit length), write the digest, wipe c. */
void hmac_sha256_final(struct hmac_sha256_ctx *c,
		       unsigned char out[HMAC_SHA256_LEN])
{
	uint64_t bits = c->total * 8;

	c->block[c->used++] = 0x80;
	if (c->used > HMAC_SHA256_BLOCK - 8) {
		memset(c->block + c->used, 0, HMAC_SHA256_BLOCK - c->used);
		sha256_compress(c->state, c->block);
		c->used = 0;
	}
	memset(c->block + c->used, 0, HMAC_SHA256_BLOCK - 8 - c->used);
	store64_be(c->block + HMAC_SHA256_BLOCK - 8, bits);
	sha256_compress(c->state, c->block);
	for (int i = 0; i < 8; i++)
		store32_be(out + 4 * i, c->state[i]);
	wipe(c, sizeof(*c));
}

/* SHA-256 of a whole buffer. */
void hmac_sha256_hash(const void *data, size_t len,
		      unsigned char out[HMAC_SHA256_LEN])
{
	struct hmac_sha256_ctx c;

	hmac_sha256_init(&c);
	hmac_sha256_update(&c, data, len);
	hmac_sha256_final(&c, out);
}

/* The key block XORed with pad, hashed as the start of a new context. */
static void hmac_start(struct hmac_sha256_ctx *c,
		       const unsigned char k[HMAC_SHA256_BLOCK],
		       unsigned char pad)
{
	unsigned char block[HMAC_SHA256_BLOCK];

	for (int i = 0; i < HMAC_SHA256_BLOCK; i++)
		block[i] = k[i] ^ pad;
	hmac_sha256_init(c);
	hmac_sha256_update(c, block, sizeof(block));
	wipe(block, sizeof(block));
}

/* H((K ^ opad) || H((K ^ ipad) || msg)), K the key padded (or first hashed,
 * if longer than a block) to a block (RFC 2104, section 2). */
void hmac_sha256(const void *key, size_t keylen, const void *msg,
		 size_t msglen, unsigned char out[HMAC_SHA256_LEN])
{
	unsigned char k[HMAC_SHA256_BLOCK] = {0};
	unsigned char inner[HMAC_SHA256_LEN];
	struct hmac_sha256_ctx c;

	if (keylen > HMAC_SHA256_BLOCK)
		hmac_sha256_hash(key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);
	hmac_start(&c, k, 0x36);
	hmac_sha256_update(&c, msg, msglen);
	hmac_sha256_final(&c, inner);
	hmac_start(&c, k, 0x5c);
	hmac_sha256_update(&c, inner, sizeof(inner));
	hmac_sha256_final(&c, out);
	wipe(k, sizeof(k));
	wipe(inner, sizeof(inner));
}

/* Lowercase hex of n bytes, NUL-terminated. */
void hmac_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* OR together the differences of all n bytes (no early exit), then turn
 * "all zero" into 1 without a data-dependent branch. */
int hmac_equal(const void *a, const void *b, size_t n)
{
	const unsigned char *pa = a, *pb = b;
	unsigned diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned)(pa[i] ^ pb[i]);
	return (int)(1 & ((diff - 1) >> 8));
}

/* Fill n bytes at p from getrandom(2), retrying on EINTR and short reads. */
static int fill_random(unsigned char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Random hex, made a buffer of bytes at a time; the bytes are wiped. */
int hmac_random_hex(char *out, size_t nbytes)
{
	unsigned char buf[64];
	size_t done, n;
	int ret = 0;

	out[0] = '\0';
	for (done = 0; done < nbytes; done += n) {
		n = nbytes - done < sizeof(buf) ? nbytes - done : sizeof(buf);
		if (fill_random(buf, n) == -1) {
			out[0] = '\0';
			ret = -1;
			break;
		}
		hmac_hex(buf, n, out + 2 * done);
	}
	wipe(buf, sizeof(buf));
	return ret;
}
