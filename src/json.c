#include "json.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* Our tree from jansson's: strings copied, numbers as text, keys in order. */
static void convert(const json_t *v, struct json *out)
{
	memset(out, 0, sizeof(*out));
	switch (json_typeof(v)) {
	case JSON_NULL:
		out->type = JV_NULL;
		break;
	case JSON_TRUE:
		out->type = JV_TRUE;
		break;
	case JSON_FALSE:
		out->type = JV_FALSE;
		break;
	case JSON_INTEGER: {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		out->type = JV_NUMBER;
		out->str = strbuf_detach(&sb, NULL);
		break;
	}
	case JSON_REAL: {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addf(&sb, "%.17g", json_real_value(v));
		out->type = JV_NUMBER;
		out->str = strbuf_detach(&sb, NULL);
		break;
	}
	case JSON_STRING:
		out->type = JV_STRING;
		out->str = xstrndup(json_string_value(v), json_string_length(v));
		break;
	case JSON_ARRAY:
		out->type = JV_ARRAY;
		out->nr = json_array_size(v);
		out->items = xcalloc(out->nr ? out->nr : 1, sizeof(*out->items));
		for (size_t i = 0; i < out->nr; i++)
			convert(json_array_get(v, i), &out->items[i]);
		break;
	case JSON_OBJECT: {
		const char *key;
		json_t *val;
		size_t i = 0;
		out->type = JV_OBJECT;
		out->nr = json_object_size(v);
		out->items = xcalloc(out->nr ? out->nr : 1, sizeof(*out->items));
		out->keys = xcalloc(out->nr ? out->nr : 1, sizeof(*out->keys));
		json_object_foreach((json_t *)v, key, val) {
			out->keys[i] = xstrdup(key);
			convert(val, &out->items[i]);
			i++;
		}
		break;
	}
	}
}

int json_parse(const char *text, size_t len, struct json *out, struct strbuf *err)
{
	json_error_t e;
	/* Any value at the top; a duplicate key or a NUL in a string is an error. */
	json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	memset(out, 0, sizeof(*out));
	if (!v) {
		strbuf_addf(err, "offset %d: %s", e.position, e.text);
		return -1;
	}
	convert(v, out);
	json_decref(v);
	return 0;
}

void json_release(struct json *j)
{
	for (size_t i = 0; i < j->nr; i++) {
		json_release(&j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->str);
	memset(j, 0, sizeof(*j));
}

const struct json *json_get(const struct json *j, const char *key)
{
	if (!j || j->type != JV_OBJECT)
		return NULL;
	for (size_t i = 0; i < j->nr; i++)
		if (j->keys[i] && !strcmp(j->keys[i], key))
			return &j->items[i];
	return NULL;
}

const char *json_str(const struct json *j)
{
	return j && j->type == JV_STRING ? j->str : NULL;
}

const char *json_type_name(enum json_type t)
{
	static const char *names[] = { "null", "a boolean", "a boolean", "a number", "a string", "an array", "a table" };
	return names[t];
}
