/* fs.h: directory trees: create, remove, mirror (hard links) and land. */
#ifndef FS_H
#define FS_H

#include "strbuf.h"
#include <sys/stat.h>
#include "strvec.h"

/* mkdir -p. 0 or -1 with errno. */
int mkdir_p(const char *path, int mode);
/* mkdir -p of the directory holding path (nothing if path has no '/').
 * 0 or -1 with errno. */
int mkdir_parent(const char *path, int mode);
/* rm -rf. 0 or -1 with errno. */
int rm_rf(const char *path);

/* Temporary names carry their maker's pid as a dot-separated part after the
 * first ("ID.PID", "ID.PID.land", "check.PID.Dockerfile"): the pid in name,
 * or 0 when it has none. */
long temp_name_pid(const char *name);
/* Remove (rm -rf) each entry of dir whose name carries the pid of a process
 * that is gone: what a killed run left. Others' live temporaries stay. The
 * number removed. */
int sweep_dead_temps(const char *dir);

/* Make dst a copy of the tree src (hard links where possible), leaving out
 * entries named in skip_names at any depth, the absolute paths in skip_paths,
 * directories tagged as caches (a CACHEDIR.TAG: another cargo target dir),
 * and, below the top, what directories that hold a Cargo.toml (other
 * packages) hold unless packages is set (a whole workspace). dst is
 * replaced. -1 with err set. */
int mirror_tree(const char *src, const char *dst, int packages, const struct strvec *skip_names,
		const struct strvec *skip_paths, struct strbuf *err);

/* The entries of dir (without . and ..), sorted. 0 or -1 with errno. */
int dir_entries(const char *dir, struct strvec *out);
/* Copy one regular file, with mode. 0 or -1 with errno. */
int copy_file(const char *src, const char *dst, int mode);
/* Recreate the symlink or regular file s (lstat in st) at t: a regular file
 * hard-linked when hard (copied where it cannot be; a name already at t is
 * kept), else copied. Other types are skipped. 0, or -1 with errno. */
int clone_entry(const char *s, const char *t, const struct stat *st, int hard);
/* Copy a tree (regular files, dirs, symlinks). 0 or -1 with errno. */
int copy_tree(const char *src, const char *dst);
/* The same tree at dst (absent), its regular files hard links to src's
 * (copies where they cannot be). 0 or -1 with errno. */
int link_tree(const char *src, const char *dst);

/* Visit every entry below root, a directory before what it holds: rel is
 * its path relative to root, full root/rel, kind 'd', 'f', 'l' (symlink) or
 * 'o' (other). VISIT_SKIP from a directory's visit skips what it holds (fn
 * may have removed it); any other non-zero return stops the walk and is
 * returned. -1 with errno when root cannot be read. */
#define VISIT_SKIP 1
typedef int (*visit_fn)(const char *rel, const char *full, char kind, void *data);
int tree_visit(const char *root, visit_fn fn, void *data);

/* Visit every entry below root but directories (depth first); rel is its
 * path relative to root. A non-zero return stops the walk and is returned. */
typedef int (*tree_fn)(const char *root, const char *rel, void *data);
int tree_walk(const char *root, tree_fn fn, void *data);

/* Is the file system of path (nearly) full: a write there fails with
 * ENOSPC? 0 when it cannot tell. */
int fs_nearly_full(const char *path);

#endif
