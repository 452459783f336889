/* args_fuzz.c: a libFuzzer target for the rustc argument parser. The input's
 * bytes drive the random argv of src/args_fuzz_test.c: it parses, what it
 * keeps points into that argv, a call it cannot build says why. `make fuzz`
 * runs it for a bounded time, as the others. */
#include "../../src/test.h"

#include <stdio.h>
#include <stdlib.h>

int test_passed, test_failed;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct fuzz_rnd r = { data, size, 0, 0 };
	struct strbuf why = STRBUF_INIT;
	if (args_fuzz_one(&r, &why) < 0) {
		fprintf(stderr, "args_fuzz: %s\n", why.buf);
		abort();
	}
	strbuf_release(&why);
	return 0;
}
