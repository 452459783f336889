/* direct.h: a path crate's compile keyed on the files it read ("direct
 * mode", after ccache's).
 *
 * The local store keys a compile on its whole source dir (store.h), which
 * any edit elsewhere in its package changes: a build script's compile, or a
 * lib beside an edited bin, would miss after `cargo clean` although nothing
 * it read changed. Its dep-info names every file rustc read, the very list
 * cargo's own freshness trusts. So a second index, per pre-key (the unit's
 * key without its sources: its stage, base, target and dependencies' keys),
 * keeps for each build the full key it had and the files it read under its
 * source dir with their digests; a later call whose files read have the
 * same contents gets that full key, and so that entry.
 *
 * Kept under the state dir, direct/PP/PREKEY: one line a build, newest last,
 * "KEY\tREL\tDIGEST\tREL\tDIGEST...", a few kept. */
#ifndef DIRECT_H
#define DIRECT_H

#include "store.h"

/* The full key of an earlier build of prekey whose files read have, in
 * ctx_dir, the contents they had then: 1 with key set, else 0. */
int direct_lookup(const char *prekey, const char *ctx_dir, char key[STORE_KEY_HEX]);

/* Note that the build of prekey with key read the files read (container
 * paths, relative ones from workdir, its cwd): those under ctx_mount (its
 * sources' mount), as they are now in ctx_dir. A failure is only a future
 * miss. */
void direct_record(const char *prekey, const char *ctx_dir, const char *ctx_mount, const char *workdir,
		   const struct strvec *read, const char *key);

/* The files a compile read: those its dep-info names (the .d files of the
 * exported tree root, laid out as CT_TARGET), appended to out. */
void direct_files_compiled(const char *root, struct strvec *out);
/* The files a build script run said it depends on (cargo:rerun-if-changed
 * in its stdout out), appended to files; 0 when it said none (then cargo
 * runs it again on any change of its package: no files vouch for it). */
int direct_files_rerun(const char *out, struct strvec *files);

/* The files a dep-info text names (make syntax: "FILE:" lines), unescaped,
 * into out. */
void direct_depinfo_files(const char *text, struct strvec *out);

#endif
