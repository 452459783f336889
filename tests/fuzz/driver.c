/* driver.c: without libFuzzer, feed a fuzz target (stage_fuzz.c,
 * config_fuzz.c) random inputs (a fixed seed: the run is the same each
 * time) for FUZZ_SECONDS seconds. Usage: TARGET SECONDS [NAME]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	uint64_t s = 0x2545f4914f6cdd1dull;
	unsigned char buf[4096];
	long runs = 0;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int k = 0; k < 64; k++, runs++) {
			size_t n;
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			n = (size_t)(s % sizeof(buf));
			for (size_t i = 0; i < n; i++) {
				s ^= s << 13, s ^= s >> 7, s ^= s << 17;
				buf[i] = (unsigned char)(s >> 32);
			}
			LLVMFuzzerTestOneInput(buf, n);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
	printf("%s fuzz: %ld inputs in %.0f s, no failure\n", argc > 2 ? argv[2] : "the", runs, seconds);
	return 0;
}
