/* test_node_json.c: strbuf growth and helpers; the JSON writer's escaping,
 * separators and misuse detection, checked with a strict validator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "json_check.h"
#include "strbuf.h"

static void test_strbuf_basic(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	assert_string_equal(strbuf_cstr(&sb), "");
	assert_int_equal(strbuf_puts(&sb, "abc"), 0);
	assert_int_equal(strbuf_putc(&sb, '-'), 0);
	assert_int_equal(strbuf_printf(&sb, "%d/%s", 42, "x"), 0);
	assert_string_equal(strbuf_cstr(&sb), "abc-42/x");
	assert_int_equal(sb.len, 8);
	/* long printf forces the slow path */
	char big[1000];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(strbuf_printf(&sb, "[%s]", big), 0);
	assert_int_equal(sb.len, 8 + 1001);
	assert_int_equal(sb.buf[sb.len - 1], ']');
	strbuf_consume(&sb, 4);
	assert_memory_equal(sb.buf, "42/x[z", 6);
	strbuf_truncate(&sb, 4);
	assert_string_equal(strbuf_cstr(&sb), "42/x");
	strbuf_reset(&sb);
	assert_string_equal(strbuf_cstr(&sb), "");
	assert_int_equal(strbuf_error(&sb), 0);
	strbuf_free(&sb);
	assert_null(sb.buf);
}

static void test_strbuf_pad_detach(void **state)
{
	(void)state;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "head\nab");
	strbuf_pad(&sb, 6, 1);
	strbuf_puts(&sb, "c");
	strbuf_pad(&sb, 3, 2);       /* already past column 3: min 2 spaces */
	strbuf_puts(&sb, "d");
	assert_string_equal(strbuf_cstr(&sb), "head\nab    c  d");
	size_t len;
	char *p = strbuf_detach(&sb, &len);
	assert_int_equal(len, 15);
	assert_string_equal(p, "head\nab    c  d");
	free(p);
	assert_int_equal(sb.len, 0);
	p = strbuf_detach(&sb, &len);   /* empty: still a valid string */
	assert_non_null(p);
	assert_string_equal(p, "");
	free(p);
	/* binary data with NULs */
	strbuf_append(&sb, "a\0b", 3);
	assert_int_equal(sb.len, 3);
	assert_memory_equal(sb.buf, "a\0b", 4);
	strbuf_free(&sb);
}

static void test_json_document(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kv_str(&j, "name", "a \"quoted\" \\ name\n\t\x01");
	json_kv_u64(&j, "big", UINT64_MAX);
	json_kv_i64(&j, "neg", -5);
	json_kv_bool(&j, "yes", true);
	json_kv_double(&j, "half", 0.5);
	json_kv_double(&j, "nan", 0.0 / 0.0);
	json_key(&j, "list");
	json_arr_begin(&j);
	json_u64(&j, 1);
	json_str(&j, "two");
	json_null(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_end(&j);
	json_key(&j, "utf8");
	json_str(&j, "caf\xc3\xa9 \xff end");
	json_key(&j, "nul");
	json_strn(&j, "a\0b", 3);
	json_obj_end(&j);
	assert_int_equal(json_finish(&j), 0);
	assert_string_equal(strbuf_cstr(&sb),
		"{\"name\":\"a \\\"quoted\\\" \\\\ name\\n\\t\\u0001\",\"big\":18446744073709551615,"
		"\"neg\":-5,\"yes\":true,\"half\":0.5,\"nan\":null,\"list\":[1,\"two\",null,{},[]],"
		"\"utf8\":\"caf\xc3\xa9 \\ufffd end\",\"nul\":\"a\\u0000b\"}");
	assert_true(json_valid(sb.buf, sb.len));
	strbuf_free(&sb);
}

/* A document broken into lines (json_break_items) stays valid JSON and
 * puts each item of the chosen container on its own line; nested
 * containers stay on their item's line. */
static void test_json_break_items(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct json j;
	json_init(&j, &sb);
	json_obj_begin(&j);
	json_kv_u64(&j, "pid", 7);
	json_key(&j, "rows");
	json_arr_begin(&j);
	json_break_items(&j);
	for (int i = 0; i < 2; i++) {
		json_obj_begin(&j);
		json_kv_u64(&j, "i", (uint64_t)i);
		json_key(&j, "t");
		json_arr_begin(&j);
		json_u64(&j, 1);
		json_u64(&j, 2);
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_kv_u64(&j, "after", 1);
	json_key(&j, "empty");
	json_arr_begin(&j);
	json_break_items(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	assert_int_equal(json_finish(&j), 0);
	assert_string_equal(strbuf_cstr(&sb),
		"{\"pid\":7,\"rows\":[\n{\"i\":0,\"t\":[1,2]},\n{\"i\":1,\"t\":[1,2]}\n],"
		"\"after\":1,\"empty\":[]}");
	assert_true(json_valid(sb.buf, sb.len));
	strbuf_free(&sb);
}

static void test_json_misuse(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	struct json j;

	json_init(&j, &sb);            /* value without a key inside an object */
	json_obj_begin(&j);
	json_u64(&j, 1);
	assert_int_equal(json_finish(&j), -EINVAL);

	strbuf_reset(&sb);
	json_init(&j, &sb);            /* unclosed */
	json_arr_begin(&j);
	assert_int_equal(json_finish(&j), -EINVAL);

	strbuf_reset(&sb);
	json_init(&j, &sb);            /* mismatched close */
	json_arr_begin(&j);
	json_obj_end(&j);
	assert_int_equal(json_finish(&j), -EINVAL);

	strbuf_reset(&sb);
	json_init(&j, &sb);            /* key inside an array */
	json_arr_begin(&j);
	json_key(&j, "k");
	json_arr_end(&j);
	assert_int_equal(json_finish(&j), -EINVAL);

	strbuf_reset(&sb);
	json_init(&j, &sb);            /* two top-level values */
	json_u64(&j, 1);
	json_u64(&j, 2);
	assert_int_equal(json_finish(&j), -EINVAL);

	strbuf_reset(&sb);
	json_init(&j, &sb);            /* nothing written */
	assert_int_equal(json_finish(&j), -EINVAL);

	strbuf_reset(&sb);
	json_init(&j, &sb);            /* too deep */
	for (int i = 0; i < JSON_DEPTH_MAX + 2; i++)
		json_arr_begin(&j);
	assert_int_equal(json_finish(&j), -EINVAL);
	strbuf_free(&sb);
}

static void test_validator(void **state)
{
	(void)state;
	const char *good[] = {"0", "-1.5e+3", "\"x\\u00e9\"", "[]", "{}", " {\"a\":[1,{\"b\":null}]} ", "true"};
	const char *bad[] = {"", "01", "[1,]", "{\"a\"}", "{a:1}", "\"\x01\"", "[1] 2", "tru", "\"\\x\"", "1."};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(json_valid(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(json_valid(bad[i], strlen(bad[i])));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf_basic),
		cmocka_unit_test(test_strbuf_pad_detach),
		cmocka_unit_test(test_json_document),
		cmocka_unit_test(test_json_break_items),
		cmocka_unit_test(test_json_misuse),
		cmocka_unit_test(test_validator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
