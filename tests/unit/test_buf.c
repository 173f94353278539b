/* Unit tests for lib/buf. */
#include <stdlib.h>
#include "buf.h"
#include "unit.h"

int main(void)
{
	struct buf b = BUF_INIT;
	char *s;

	CHECK(buf_append_str(&b, "hello") == 0);
	CHECK_STR(b.data, "hello");
	CHECK(buf_printf(&b, " %d-%s", 42, "x") == 0);
	CHECK_STR(b.data, "hello 42-x");
	buf_consume(&b, 6);
	CHECK_STR(b.data, "42-x");
	CHECK_INT(b.len, 4);
	for (int i = 0; i < 10000; i++)
		buf_append_char(&b, 'a');
	CHECK_INT(b.len, 10004);
	/* buf_shrink gives back the room beyond len + spare, keeps the data */
	CHECK_INT(b.cap, 16384);
	buf_consume(&b, 10000);
	buf_shrink(&b, 100);
	CHECK_INT(b.cap, 4 + 1 + 100);
	CHECK_STR(b.data, "aaaa");
	buf_shrink(&b, 100); /* no more to give */
	CHECK_INT(b.cap, 105);
	buf_shrink(&b, 1000); /* nor to take */
	CHECK_INT(b.cap, 105);
	CHECK(buf_append_str(&b, "bbbbbbbbbbbbbbbbbbbbbbbbb") == 0);
	buf_shrink(&b, 0); /* a quarter or more in use: left alone */
	CHECK_INT(b.cap, 105);
	CHECK_STR(b.data, "aaaabbbbbbbbbbbbbbbbbbbbbbbbb");
	buf_reset(&b);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	s = buf_steal(&b);
	CHECK(s != NULL && s[0] == '\0');
	CHECK(b.data == NULL);
	free(s);
	buf_free(&b);
	return UNIT_DONE();
}
