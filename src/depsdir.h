/* depsdir.h: the directory sent to the engine as a call's `deps` context,
 * holding exactly the outputs of the unit's closure, by hard links.
 *
 * A call used to build it afresh and remove it after (a link, an unlink and
 * the directories of every output of the closure, each call). Now each
 * concurrent call takes a slot, a directory kept between calls, and brings
 * it to the closure by difference: what is already linked stays, what is
 * not wanted goes, what is missing is linked. Its contents are exactly the
 * union of the trees asked for, so the engine's digest of the context (and
 * with it the cache key of the unit) is the same as a fresh directory's. */
#ifndef DEPSDIR_H
#define DEPSDIR_H

#include "strbuf.h"
#include "strvec.h"

struct deps_slot {
	int lock_fd;
	struct strbuf dir;
};
#define DEPS_SLOT_INIT { -1, STRBUF_INIT }

/* Take a free slot under parent (parent/N, locked by parent/N.lock until
 * deps_slot_release): of those that exist, the one whose last sync held
 * most of trees (parent/N.trees lists them), a new one only when none is
 * free. The engine keeps one snapshot of each slot's context (the call
 * names its session after the slot: job.c), the last it was sent, and is
 * sent only what differs: the closest slot sends least. 0, or -1 with err. */
int deps_slot_acquire(const char *parent, struct deps_slot *s, const struct strvec *trees, struct strbuf *err);

/* Make the slot's directory hold exactly the union of the trees (regular
 * files as hard links, where two trees hold one name the first wins;
 * directories, empty ones too; symlinks), and note them in its .trees.
 * touched (may be NULL) gets the trees whose files it linked or unlinked
 * (their ctimes moved: see store_note_links). 0, or -1 with err. */
int deps_slot_sync(struct deps_slot *s, const struct strvec *trees, struct strvec *touched, struct strbuf *err);

/* Unlock the slot (its directory stays, for the next call). */
void deps_slot_release(struct deps_slot *s);

#endif
