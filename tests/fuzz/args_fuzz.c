/* args_fuzz.c: a libFuzzer target for the rustc argument parser. The input's
 * bytes drive the random argv of src/args_fuzz_test.c: it parses, what it
 * keeps points into that argv, a call it cannot build says why. `make fuzz`
 * runs it for a bounded time, as the others. */
#include "../../src/test.h"

#include <stdio.h>
#include <stdlib.h>

FUZZ_TARGET(args_fuzz_one, "args_fuzz")
