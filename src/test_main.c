/* test_main.c: runs every table of unit tests; ends with "N passed, N failed". */
#include "test.h"
#include "fs.h"
#include "strbuf.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

int test_passed, test_failed;

void test_put(const char *root, const char *rel, const char *text, int mode)
{
	struct strbuf p = STRBUF_INIT;
	strbuf_addf(&p, "%s/%s", root, rel);
	mkdir_parent(p.buf, 0755);
	write_file_atomic(p.buf, text, strlen(text), mode);
	strbuf_release(&p);
}

char *test_env_save(const char *name)
{
	const char *v = getenv(name);
	return v ? xstrdup(v) : NULL;
}

void test_env_restore(const char *name, char *saved)
{
	if (saved)
		setenv(name, saved, 1);
	else
		unsetenv(name);
	free(saved);
}

int main(void)
{
	test_rustc_args();
	test_paths();
	test_find_target_dir();
	test_stage();
	test_env();
	test_log();
	test_unit();
	test_strbuf();
	test_config();
	test_config_cargo_vars();
	test_sha256();
	test_engine_explain();
	test_depsdir();
	test_syslib();
	test_store();
	test_cache_archive();
	test_cache_entry_blob();
	test_cache_prefetched();
	test_stage_fuzz();
	test_config_fuzz();
	test_args_fuzz();
	test_fs_sweep();
	test_store_entries();
	test_store_gc();
	test_dockerapi();
	test_run();
	test_stats();
	test_cargo_args();
	test_cargo_args_index_words();
	test_cache_index();
	test_sandbox();
	test_land();
	test_fs_link_tree();
	test_fs_mirror();
	test_direct();
	test_final();
	test_recipe();
	test_registry();
	test_regtoken();
	test_remote();
	test_explain();
	test_verify();
	test_dockerctx();
	test_engine_env();
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}
