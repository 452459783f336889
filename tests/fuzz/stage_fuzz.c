/* stage_fuzz.c: a libFuzzer target for the stage renderer. The input's
 * bytes drive the random spec of src/stage_fuzz_test.c (every choice, every
 * value); the rendered text must hold exactly the instructions of the
 * spec's shape, or the spec must be refused. `make fuzz` runs it for a
 * bounded time (with clang's -fsanitize=fuzzer), or runs driver.c's
 * deterministic loop over the same function where clang is missing. */
#include "../../src/stage.h"
#include "../../src/test.h"

#include <stdio.h>
#include <stdlib.h>

int test_passed, test_failed;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct fuzz_rnd r = { data, size, 0, 0 };
	struct strbuf df = STRBUF_INIT, why = STRBUF_INIT;
	if (stage_fuzz_one(&r, &df, &why) < 0) {
		fprintf(stderr, "stage_fuzz: %s\n--- rendered:\n%s---\n", why.buf, df.buf);
		abort();
	}
	strbuf_release(&df);
	strbuf_release(&why);
	return 0;
}
