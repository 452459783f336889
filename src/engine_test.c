/* engine_test.c: what the engine's CLI is started with. */
#include "engine.h"
#include "run.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static int has(const struct child *c, const char *entry)
{
	for (size_t i = 0; i < c->env.nr; i++)
		if (!strcmp(c->env.v[i], entry))
			return 1;
	return 0;
}

/* name=v, or unset when v is NULL. */
static void env_set(const char *name, const char *v)
{
	if (v)
		setenv(name, v, 1);
	else
		unsetenv(name);
}

/* info, labels: BUILDX_GIT_INFO, BUILDX_GIT_LABELS (NULL unset). */
static void git_case(const char *info, const char *labels, const char *want, const char *not_want)
{
	struct child c = CHILD_INIT;
	env_set("BUILDX_GIT_INFO", info);
	env_set("BUILDX_GIT_LABELS", labels);
	engine_child_env(&c);
	CHECK(c.clear_env);
	if (want)
		CHECK(has(&c, want));
	if (not_want)
		CHECK(!has(&c, not_want));
	child_release(&c);
}

void test_engine_env(void)
{
	char *info = test_env_save("BUILDX_GIT_INFO"), *labels = test_env_save("BUILDX_GIT_LABELS");
	/* Unset: buildx asks git nothing about the context. */
	git_case(NULL, NULL, "BUILDX_GIT_INFO=0", NULL);
	/* The user's word wins, either way. */
	git_case("1", NULL, "BUILDX_GIT_INFO=1", "BUILDX_GIT_INFO=0");
	git_case("0", NULL, "BUILDX_GIT_INFO=0", NULL);
	git_case(NULL, "full", "BUILDX_GIT_LABELS=full", "BUILDX_GIT_INFO=0");
	test_env_restore("BUILDX_GIT_INFO", info);
	test_env_restore("BUILDX_GIT_LABELS", labels);
}
