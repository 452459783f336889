/* test.h: a tiny unit test framework (after ccache's unittest/framework). */
#ifndef TEST_H
#define TEST_H

#include <stdio.h>
#include <string.h>

extern int test_passed, test_failed;

#define CHECK(cond) \
	do { \
		if (cond) { \
			test_passed++; \
		} else { \
			test_failed++; \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		} \
	} while (0)

#define CHECK_STR(got, want) \
	do { \
		const char *g_ = (got), *w_ = (want); \
		if ((g_ == NULL && w_ == NULL) || (g_ && w_ && !strcmp(g_, w_))) { \
			test_passed++; \
		} else { \
			test_failed++; \
			fprintf(stderr, "%s:%d: %s\n  got:  %s\n  want: %s\n", __FILE__, __LINE__, #got, \
				g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
		} \
	} while (0)

/* An environment variable's value, copied (NULL when unset), and put back
 * as it was (unset when NULL), the copy freed: a test that sets one. */
char *test_env_save(const char *name);
void test_env_restore(const char *name, char *saved);

/* Write text as root/rel with mode, its parent dirs made (test fixtures). */
void test_put(const char *root, const char *rel, const char *text, int mode);

void test_rustc_args(void);
void test_stats(void);
void test_cargo_args(void);
void test_cargo_args_index_words(void);
void test_cache_index(void);
void test_sandbox(void);
void test_cache_entry_blob(void);
void test_cache_prefetched(void);
void test_land(void);
void test_fs_link_tree(void);
void test_fs_mirror(void);
void test_direct(void);
void test_explain(void);
void test_verify(void);
void test_paths(void);
void test_find_target_dir(void);
void test_stage(void);
void test_env(void);
void test_log(void);
void test_unit(void);
void test_strbuf(void);
void test_config(void);
void test_config_cargo_vars(void);
void test_sha256(void);
void test_engine_explain(void);
void test_registry(void);
void test_regtoken(void);
void test_depsdir(void);
void test_syslib(void);
void test_store(void);
void test_cache_archive(void);
void test_stage_fuzz(void);
void test_config_fuzz(void);
void test_args_fuzz(void);
void test_fs_sweep(void);
void test_store_entries(void);
void test_store_gc(void);
void test_dockerapi(void);
void test_run(void);
void test_final(void);
void test_recipe(void);
void test_remote(void);
void test_dockerctx(void);
void test_engine_env(void);

/* The stage fuzzer (stage_fuzz_test.c), shared with tests/fuzz/stage_fuzz.c:
 * random choices from data (0 once it is used up) or, data NULL, from a
 * xorshift state. */
#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"
#include "strvec.h"
struct stage_spec;
struct fuzz_rnd {
	const unsigned char *data;
	size_t len, pos;
	uint64_t state;
};
/* A random byte, and one below n (0 for n = 0). */
unsigned fuzz_rnd_byte(struct fuzz_rnd *r);
unsigned fuzz_rnd_below(struct fuzz_rnd *r, unsigned n);
void stage_spec_fuzz(struct stage_spec *s, struct fuzz_rnd *r, struct strvec *owned);
/* Does df (one unit's stages) hold exactly the instructions s calls for? */
int stage_structure_check(const struct stage_spec *s, const char *df, struct strbuf *why);
/* Render one random spec into df and check it: 0, or -1 with why. */
int stage_fuzz_one(struct fuzz_rnd *r, struct strbuf *df, struct strbuf *why);
/* The settings fuzzer (config_fuzz_test.c), shared with
 * tests/fuzz/config_fuzz.c: random CARGOGREEN_* values, a random green
 * table (as cargo metadata's JSON) and a random handoff, loaded: 0, or -1
 * with why (a rejection not one clean line, a handoff that changes a
 * value). */
int config_fuzz_one(struct fuzz_rnd *r, struct strbuf *why);
/* The rustc argument fuzzer (args_fuzz_test.c), shared with
 * tests/fuzz/args_fuzz.c: a random argv parsed, what is kept points into
 * it. 0, or -1 with why. */
int args_fuzz_one(struct fuzz_rnd *r, struct strbuf *why);

/* The unit tests' run of a fuzzer: rounds seeded 1..rounds, each failure
 * said on stderr with its seed (three at most). The number that failed. */
int fuzz_rounds(const char *name, int (*one)(struct fuzz_rnd *r, struct strbuf *why), unsigned rounds);

/* A libFuzzer target (tests/fuzz/NAME_fuzz.c) over one of the *_fuzz_one
 * functions above of two arguments: bytes in, abort on a failure. */
#define FUZZ_TARGET(one, name) \
	int test_passed, test_failed; \
	int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size); \
	int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) \
	{ \
		struct fuzz_rnd r = { data, size, 0, 0 }; \
		struct strbuf why = STRBUF_INIT; \
		if (one(&r, &why) < 0) { \
			fprintf(stderr, name ": %s\n", why.buf); \
			abort(); \
		} \
		strbuf_release(&why); \
		return 0; \
	}

#endif
