/* plugin.h: `cargo green ARGS...`: cargo with cargo-green as RUSTC_WRAPPER. */
#ifndef PLUGIN_H
#define PLUGIN_H

struct config;
struct strbuf;

/* argv: cargo's arguments (after "green"). Returns cargo's exit code. */
int cmd_plugin(const struct config *cfg, int argc, const char **argv);

/* Hand the settings of every unit (manifest_handoff's text) to the wrappers
 * cargo will start: in HANDOFF_ENV, or a file it names when large. */
int plugin_handoff(const char *text, struct strbuf *err);

#endif
