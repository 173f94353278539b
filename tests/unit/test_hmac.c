/* Unit tests for lib/hmac: FIPS 180-2 SHA-256 vectors, RFC 4231 HMAC-SHA256
 * test cases, the constant-time comparison and random hex tokens. */
#include <stdlib.h>
#include "hmac.h"
#include "unit.h"

/* Check that the digest d, in hex, is want; name says which vector. */
static void check_digest(const unsigned char *d, const char *want,
			 const char *name)
{
	char hex[2 * HMAC_SHA256_LEN + 1];

	hmac_hex(d, HMAC_SHA256_LEN, hex);
	unit_check_str(hex, want, name, __FILE__, __LINE__);
}

/* Check SHA-256 of len bytes at data against want. */
static void check_sha(const void *data, size_t len, const char *want,
		      const char *name)
{
	unsigned char d[HMAC_SHA256_LEN];

	hmac_sha256_hash(data, len, d);
	check_digest(d, want, name);
}

/* Check HMAC-SHA256 of msg under key against want. */
static void check_hmac(const void *key, size_t keylen, const void *msg,
		       size_t msglen, const char *want, const char *name)
{
	unsigned char d[HMAC_SHA256_LEN];

	hmac_sha256(key, keylen, msg, msglen, d);
	check_digest(d, want, name);
}

/* SHA-256 of one million 'a', one-shot and in uneven pieces. */
static void test_million_a(void)
{
	static const char want[] = "cdc76e5c9914fb9281a1c7e284d73e67"
				   "f1809a48a497200e046d39ccc7112cd0";
	struct hmac_sha256_ctx c;
	unsigned char d[HMAC_SHA256_LEN];
	size_t n, done;
	char *a = malloc(1000000);

	if (a == NULL) {
		FAIL("malloc for one million 'a'");
		return;
	}
	memset(a, 'a', 1000000);
	check_sha(a, 1000000, want, "sha256 of one million 'a'");
	hmac_sha256_init(&c);
	for (done = 0, n = 1; done < 1000000; done += n, n = n * 7 % 997 + 1)
		hmac_sha256_update(&c, a + done,
				   n < 1000000 - done ? n : 1000000 - done);
	hmac_sha256_final(&c, d);
	check_digest(d, want, "sha256 of one million 'a' in pieces");
	free(a);
}

/* Feeding bytes one at a time gives the one-shot digest at every length
 * around the padding boundaries (55, 56, 63, 64, 119, 120 bytes...). */
static void test_incremental(void)
{
	unsigned char msg[130], d1[HMAC_SHA256_LEN], d2[HMAC_SHA256_LEN];
	struct hmac_sha256_ctx c;
	int bad = 0;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 31 + 7);
	for (size_t len = 0; len <= sizeof(msg); len++) {
		hmac_sha256_hash(msg, len, d1);
		hmac_sha256_init(&c);
		for (size_t i = 0; i < len; i++)
			hmac_sha256_update(&c, msg + i, 1);
		hmac_sha256_final(&c, d2);
		bad += memcmp(d1, d2, sizeof(d1)) != 0;
	}
	unit_check(bad == 0, "sha256 byte by byte == one-shot, lengths 0..130",
		   __FILE__, __LINE__);
}

/* FIPS 180-2 appendix B vectors. */
static void test_sha256(void)
{
	check_sha("", 0,
		  "e3b0c44298fc1c149afbf4c8996fb924"
		  "27ae41e4649b934ca495991b7852b855",
		  "sha256 of \"\"");
	check_sha("abc", 3,
		  "ba7816bf8f01cfea414140de5dae2223"
		  "b00361a396177a9cb410ff61f20015ad",
		  "sha256 of \"abc\"");
	check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  56,
		  "248d6a61d20638b8e5c026930c3e6039"
		  "a33ce45964ff2167f6ecedd419db06c1",
		  "sha256 of the 448-bit message");
	test_million_a();
	test_incremental();
}

/* RFC 4231 test cases 1-4 (short keys). */
static void test_hmac_short_keys(void)
{
	unsigned char key[25], data[50];

	memset(key, 0x0b, 20);
	check_hmac(key, 20, "Hi There", 8,
		   "b0344c61d8db38535ca8afceaf0bf12b"
		   "881dc200c9833da726e9376c2e32cff7",
		   "rfc4231 case 1");
	check_hmac("Jefe", 4, "what do ya want for nothing?", 28,
		   "5bdcc146bf60754e6a042426089575c7"
		   "5a003f089d2739839dec58b964ec3843",
		   "rfc4231 case 2");
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	check_hmac(key, 20, data, 50,
		   "773ea91e36800e46854db8ebd09181a7"
		   "2959098b3ef8c122d9635514ced565fe",
		   "rfc4231 case 3");
	for (int i = 0; i < 25; i++)
		key[i] = (unsigned char)(i + 1);
	memset(data, 0xcd, 50);
	check_hmac(key, 25, data, 50,
		   "82558a389a443c0ea4cc819899f2083a"
		   "85f0faa3e578f8077a2e3ff46729665b",
		   "rfc4231 case 4");
}

/* RFC 4231 test cases 6 and 7: a 131-byte key, hashed first. */
static void test_hmac_long_key(void)
{
	static const char msg6[] =
		"Test Using Larger Than Block-Size Key - Hash Key First";
	static const char msg7[] =
		"This is a test using a larger than block-size key and a "
		"larger than block-size data. The key needs to be hashed "
		"before being used by the HMAC algorithm.";
	unsigned char key[131];

	memset(key, 0xaa, sizeof(key));
	check_hmac(key, sizeof(key), msg6, sizeof(msg6) - 1,
		   "60e431591ee0b67f0d8a26aacbf5b77f"
		   "8e0bc6213728c5140546040f0ee37f54",
		   "rfc4231 case 6");
	check_hmac(key, sizeof(key), msg7, sizeof(msg7) - 1,
		   "9b09ffa71b942fcb27635fbcd5b0e944"
		   "bfdc63644f0713938a7f51535c3a35e2",
		   "rfc4231 case 7");
}

/* hmac_hex and hmac_equal. */
static void test_hex_equal(void)
{
	static const unsigned char in[] = {0x00, 0x01, 0xab, 0xff, 0x5c};
	unsigned char a[HMAC_SHA256_LEN], b[HMAC_SHA256_LEN];
	char hex[2 * sizeof(in) + 1];

	hmac_hex(in, sizeof(in), hex);
	CHECK_STR(hex, "0001abff5c");
	hmac_sha256("k", 1, "m", 1, a);
	memcpy(b, a, sizeof(a));
	CHECK(hmac_equal(a, b, sizeof(a)) == 1);
	b[0] ^= 0x01;
	CHECK(hmac_equal(a, b, sizeof(a)) == 0);
	b[0] ^= 0x01;
	b[sizeof(b) - 1] ^= 0x80;
	CHECK(hmac_equal(a, b, sizeof(a)) == 0);
	CHECK(hmac_equal(a, b, 0) == 1);
}

/* 1 if s is exactly n lowercase hex digits. */
static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (!(s[i] >= '0' && s[i] <= '9') &&
		    !(s[i] >= 'a' && s[i] <= 'f'))
			return 0;
	}
	return i == n;
}

/* Random tokens: right length and charset, no overrun, two calls differ. */
static void test_random_hex(void)
{
	char t1[2 * 100 + 2], t2[2 * 16 + 1];

	memset(t1, 'X', sizeof(t1));
	CHECK(hmac_random_hex(t1, 16) == 0);
	CHECK(is_hex(t1, 32));
	CHECK(t1[33] == 'X');
	CHECK(hmac_random_hex(t2, 16) == 0);
	CHECK(is_hex(t2, 32));
	CHECK(strcmp(t1, t2) != 0);
	memset(t1, 'X', sizeof(t1));
	CHECK(hmac_random_hex(t1, 100) == 0);
	CHECK(is_hex(t1, 200));
	CHECK(t1[201] == 'X');
	CHECK(hmac_random_hex(t1, 0) == 0 && t1[0] == '\0');
}

int main(void)
{
	test_sha256();
	test_hmac_short_keys();
	test_hmac_long_key();
	test_hex_equal();
	test_random_hex();
	return UNIT_DONE();
}
