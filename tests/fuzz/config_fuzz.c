/* config_fuzz.c: a libFuzzer target for the settings' loading. The input's
 * bytes drive the random sources of src/config_fuzz_test.c (CARGOGREEN_*
 * values, the green tables as cargo metadata's JSON, manifest paths, a
 * handoff text): each load succeeds or is refused in one clean line, and a
 * loaded configuration survives the handoff to the wrappers. `make fuzz`
 * runs it for a bounded time (with clang's -fsanitize=fuzzer), or runs
 * driver.c's deterministic loop over the same function where clang is
 * missing. */
#include "../../src/test.h"

#include <stdio.h>
#include <stdlib.h>

FUZZ_TARGET(config_fuzz_one, "config_fuzz")
