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

/* info, labels: BUILDX_GIT_INFO, BUILDX_GIT_LABELS (NULL unset). */
static void git_case(const char *info, const char *labels, const char *want, const char *not_want)
{
	struct child c = CHILD_INIT;
	if (info)
		setenv("BUILDX_GIT_INFO", info, 1);
	else
		unsetenv("BUILDX_GIT_INFO");
	if (labels)
		setenv("BUILDX_GIT_LABELS", labels, 1);
	else
		unsetenv("BUILDX_GIT_LABELS");
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
	char *info = getenv("BUILDX_GIT_INFO") ? strdup(getenv("BUILDX_GIT_INFO")) : NULL;
	char *labels = getenv("BUILDX_GIT_LABELS") ? strdup(getenv("BUILDX_GIT_LABELS")) : NULL;
	/* Unset: buildx asks git nothing about the context. */
	git_case(NULL, NULL, "BUILDX_GIT_INFO=0", NULL);
	/* The user's word wins, either way. */
	git_case("1", NULL, "BUILDX_GIT_INFO=1", "BUILDX_GIT_INFO=0");
	git_case("0", NULL, "BUILDX_GIT_INFO=0", NULL);
	git_case(NULL, "full", "BUILDX_GIT_LABELS=full", "BUILDX_GIT_INFO=0");
	git_case(NULL, NULL, NULL, NULL);
	if (info)
		setenv("BUILDX_GIT_INFO", info, 1);
	else
		unsetenv("BUILDX_GIT_INFO");
	if (labels)
		setenv("BUILDX_GIT_LABELS", labels, 1);
	else
		unsetenv("BUILDX_GIT_LABELS");
	free(info);
	free(labels);
}
