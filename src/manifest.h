/* manifest.h: the [workspace.metadata.green] and [package.metadata.green]
 * tables that apply to a `cargo green` run, read once through
 * `cargo metadata --no-deps` (cargo parses the TOML, not us).
 *
 * The package being built is the one named by -p/--package, else the one of
 * --manifest-path, else the one whose directory holds the current directory;
 * a virtual workspace root has none. Its table is what `supergreen env` shows
 * and what the plugin itself uses (builder, base image); each unit's own are
 * handed to the wrappers by manifest_handoff(). */
#ifndef MANIFEST_H
#define MANIFEST_H

#include "config.h"
#include "json.h"

/* A package cargo metadata lists: every workspace member and, when a member
 * has a green table, every package of the resolved graph. */
struct manifest_pkg {
	const char *name, *id, *manifest_path; /* point into the manifest's JSON */
	char *dir;                             /* the package's directory (its CARGO_MANIFEST_DIR) */
	int member;                            /* a workspace member */
	const struct json *green;              /* a member's [package.metadata.green], or NULL */
	size_t *from, from_nr;                 /* not a member: the members with a table that depend on it (indexes) */
};

struct manifest {
	struct json root;       /* cargo metadata's output */
	char *workspace_path;   /* WORKSPACE_ROOT/Cargo.toml */
	const char *package_path;
	struct config_toml toml;
	struct manifest_pkg *pkgs;
	size_t nr;
};

/* Read the settings for cargo arguments args (those after `cargo green`).
 * Not in a cargo project (cargo metadata fails): 0 with no tables, the
 * reason in why. -1 only if cargo could not be run. */
int manifest_read(struct manifest *m, const char *cargo, int argc, const char **argv, struct strbuf *why);
void manifest_release(struct manifest *m);

/* The settings of every unit, for the wrappers (config_handoff_*): each
 * member with a table gets its own over the workspace's; a crate that is not
 * a member gets those of the members that depend on it (lists joined, other
 * values the same in all of them). Every member's table is checked: -1 with
 * one line in err for the first bad value, or members disagreeing on a value
 * for a crate they share. */
int manifest_handoff(const struct manifest *m, struct strbuf *out, struct strbuf *err);

/* The package a cargo command line selects by -p/--package, or NULL;
 * the --manifest-path, or NULL. Exposed for tests. */
const char *manifest_arg_package(int argc, const char **argv);
const char *manifest_arg_path(int argc, const char **argv);

#endif
