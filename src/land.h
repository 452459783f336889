/* land.h: a unit's outputs, from the tree the engine exported (or the
 * local store's entry) to where cargo expects them in target/, and kept
 * for its dependents.
 *
 * Invariant: cargo never sees a half-written file. Every file lands by a
 * rename of a complete temporary one (a hard link, a copy from the store,
 * or rewritten text) over the old one, through one temporary name in
 * target/cargo-green/tmp that no path leaves behind. */
#ifndef LAND_H
#define LAND_H

#include "job.h"
#include "strbuf.h"
#include "strvec.h"

/* Land every file of the tree from (laid out as CT_TARGET) at its host
 * place (j->pm): hard links, or copies when copy is set (a tree of the
 * local store, never to be linked into target/); dep-info rewritten to host
 * paths, the build script's binary replaced by j's shim, fresh mtimes. tmp
 * is the temporary name. 0, or -1 with err. */
int land_tree(struct job *j, const char *from, int copy, const char *tmp, struct strbuf *err);

/* What the command printed (text, container paths) on fd, in host paths,
 * escaped as its format needs (rustc's JSON diagnostics). */
void land_replay(const struct strbuf *text, int fd, const struct pathmap *pm, enum rewrite_escape esc);

/* Keep the tree the engine exported for j's unit as its out dir (what
 * dependents' deps contexts link), moved there by one rename; a tree of the
 * local store (stored) is not kept again (land_unit_outputs finds it
 * there), but for a build script's: its real binary is nowhere in target/
 * (the shim is), and its run needs it even once the entry is evicted, so
 * the out dir gets hard links of the stored files. Returns the place to
 * land from; kept is scratch. */
const char *land_keep_outputs(const struct job *j, const char *tree, int stored, struct strbuf *kept);

/* Where the outputs of every unit of the closure are, into trees (in
 * closure order): each unit's out dir, or its stored tree. 0, or -1 with
 * trees emptied when a unit's are not there. */
int land_closure_outputs(const struct job *j, const struct closure *cl, struct strvec *trees);
/* Where unit u's outputs are (laid out as CT_TARGET): its out dir, or its
 * stored tree. 0, or -1 when neither is there. */
int land_unit_outputs(const struct job *j, const struct unit *u, struct strbuf *path);

#endif
