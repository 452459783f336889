/* supergreen.h: `cargo green supergreen CMD` (also `cargo supergreen CMD`). */
#ifndef SUPERGREEN_H
#define SUPERGREEN_H

struct config;

/* argv[0] is the subcommand. Returns the exit code. */
int cmd_supergreen(const struct config *cfg, int argc, const char **argv);

#endif
