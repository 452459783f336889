/* plugin.h: `cargo green ARGS...`: cargo with cargo-green as RUSTC_WRAPPER. */
#ifndef PLUGIN_H
#define PLUGIN_H

struct config;

/* argv: cargo's arguments (after "green"). Returns cargo's exit code. */
int cmd_plugin(const struct config *cfg, int argc, const char **argv);

#endif
