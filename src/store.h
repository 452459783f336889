/* store.h: a local index from the exact inputs of a unit to its outputs, so
 * that a hit needs no engine round trip.
 *
 * The key is a SHA-256 of everything BuildKit's own key depends on, and more
 * (see store_unit_key): the unit's stage text, the base image's ID, the
 * content digest of its source context (file names, types, exec bits, link
 * targets, contents; for a registry crate, which never changes, its
 * identity), and its dependencies' keys. So it misses whenever BuildKit's
 * would. The value is a private copy of the tree the engine exported for
 * that unit (a copy, not links: a tool that rewrites an output in place,
 * as strip does a file with several links, must not change what later
 * hits get), stored under $XDG_CACHE_HOME/cargo-green/store. */
#ifndef STORE_H
#define STORE_H

#include "strbuf.h"
#include "strvec.h"

#define STORE_KEY_HEX 65
/* An entry's manifest, at its top. */
#define STORE_SUMS ".green-sums"

/* Content digest of a directory tree, hex. Memoized per directory on a stat
 * fingerprint of every entry (size, mtime, ctime, inode), like git's index.
 * A crate extracted by cargo from a registry, which neither cargo nor the
 * registry ever changes, is digested by its identity (registry, name,
 * version) instead of its contents. */
int store_dir_digest(const char *dir, char out[STORE_KEY_HEX], struct strbuf *err);

/* The key of a unit, a Merkle key: its Dockerfile's head (syntax, base),
 * its own stage text, the base image's ID, the target, its own source
 * context's digest (ctx "NAME=DIR", or NULL) and the keys of its direct
 * dependencies, which cover theirs in turn. Equal keys mean the same
 * Dockerfile and the same contexts, so it misses whenever BuildKit would,
 * and costs O(own sources + direct dependencies), not O(closure). */
int store_unit_key(const char *head, const char *stage, const char *base_id, const char *target, const char *ctx,
		   const struct strvec *dep_keys, char key[STORE_KEY_HEX], struct strbuf *err);

/* 1 with entry set to the stored tree's path on a hit (to read, never to
 * write; what lands on the host is copied from it, never linked, while the
 * engine may be sent hard links to it), 0 on a miss. A damaged or incomplete
 * entry is a miss: it is checked against its manifest (STORE_SUMS, written
 * last), every file's size, and unless STORE_SIZES every file's SHA-256
 * too (hashed again only when a file's stat data changed since the last
 * check); one that fails is removed and logged. A hit pins the entry until
 * this process exits (no eviction removes it meanwhile) and counts as a use
 * (storemeta.h). how: */
enum store_lookup_how {
	STORE_SIZES = 0, /* sizes only; a use */
	STORE_HIT = 1,   /* digests; the unit's own hit: a hit */
	STORE_DEP = 2,   /* digests; a dependent reads it (its deps context): a use */
};
int store_lookup(const char *key, int how, struct strbuf *entry);
/* Links this process just made to, or removed from, the files of entry (a
 * deps slot's, a build script's kept out dir) move their ctimes and nothing
 * else: when every file is otherwise as last checked, its stat data now is
 * noted as checked, so that the entry's next hit does not hash it all
 * again (a write made meanwhile that put its mtime back would be missed:
 * only between that check and this). Nothing for what is not an entry. */
void store_note_links(const char *entry);
/* This process's pins, let go: it reads no entry any more (a long-lived
 * process; a wrapper's end with it). */
void store_pins_release(void);
/* 0 when the tree entry matches its manifest (sizes; digests too when
 * digests is set), else -1 with what differs in why. */
int store_entry_check(const char *entry, int digests, struct strbuf *why);
/* The manifest of the tree dir in out: one line per file, lines sorted
 * ("PATH\tf SIZE SHA256", "-" for the digest without digests; "PATH\tl
 * TARGET"), the manifest itself left out. 0, or -1 with errno. */
int store_sums(const char *dir, int digests, struct strbuf *out);
/* Save a copy of the tree src under key (atomically; a failure only costs a
 * future hit), described by meta (storemeta.h: crate, version, kind,
 * build_us; may be NULL; its size and time are the entry's). 0, or -1 with
 * err (nothing half-saved: the entry is whole or absent). */
struct store_meta;
int store_save(const char *key, const char *src, const struct store_meta *meta, struct strbuf *err);

/* Evict key's entry, unless a running build reads it (it holds a pin: see
 * store.c): its side files, then its tree by one rename, then its files;
 * the store's total less size (-1: its meta's). 1 evicted, 0 in use, -1
 * not there. */
int store_evict(const char *key, long long size);

/* Where key's entry is (or would be), and its bucket's directory in dir
 * (may be NULL): a tree made there (one rename from the entry) may become
 * it through store_adopt. */
void store_entry_path(const char *key, struct strbuf *entry, struct strbuf *dir);
/* Make the tree tmp (in key's bucket) key's entry, if it matches its own
 * manifest (every file's size and SHA-256): the registry's copy of an
 * entry lands so. 0; -1 with why in err and tmp removed. */
int store_adopt(const char *key, const char *tmp, struct strbuf *err);

/* A digest of a secret's value keyed by a random key private to this machine
 * (made once, 0600, in the state dir): written in a stage, it changes the
 * stage's cache key when the value changes, without revealing the value.
 * 16 hex characters in out. 0, or -1 with err. */
int store_secret_digest(const char *name, const char *value, char out[17], struct strbuf *err);

#endif
