/* json.h: JSON (jansson, linked statically) read into a small tree, enough for `cargo metadata` output.
 *
 * json_parse() builds a tree that owns all its strings; json_release() frees
 * it. Numbers are kept as decimal text. Object keys keep their order; a duplicate
 * key, a NUL in a string or invalid UTF-8 is an error. */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include "strbuf.h"

enum json_type { JV_NULL, JV_FALSE, JV_TRUE, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

struct json {
	enum json_type type;
	char *str;            /* JV_STRING: the decoded text; JV_NUMBER: in decimal */
	struct json *items;   /* JV_ARRAY, JV_OBJECT: the values */
	char **keys;          /* JV_OBJECT: keys[i] names items[i] */
	size_t nr;
};

/* 0, or -1 with "offset N: what" in err. */
int json_parse(const char *text, size_t len, struct json *out, struct strbuf *err);
void json_release(struct json *j);

/* Member of an object, or NULL (also when j is NULL or not an object). */
const struct json *json_get(const struct json *j, const char *key);
/* The string of a JV_STRING, or NULL. */
const char *json_str(const struct json *j);
const char *json_type_name(enum json_type t);

#endif
