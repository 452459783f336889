/* cachecmd.h: `cargo green supergreen cache ls|rm|gc|stats`, the local
 * store as users of ccache and sccache manage theirs. */
#ifndef CACHECMD_H
#define CACHECMD_H

struct config;

/* argv[0] is the cache subcommand. Returns the exit code. */
int cmd_cache(const struct config *cfg, int argc, const char **argv);

#endif
