/* base.h: the image every compile starts FROM ("rust-base").
 *
 * By default it is derived from the local toolchain: an OS image made with
 * mmdebstrap (gcc, libc6-dev... for linking and the cc crate) plus the host's
 * exact rustc sysroot, tagged by rustc's commit hash, built once per engine
 * under a lock so parallel wrappers never race. CARGOGREEN_BASE_IMAGE
 * replaces it. Either way, its `rustc -vV` must equal the host's. */
#ifndef BASE_H
#define BASE_H

#include "strbuf.h"
#include "strvec.h"

struct config;

/* The engine's name for the base image, ready to use (FROM target) in ref,
 * and, when id is not NULL, the image's identity (base_identity_compute, of
 * the image the engine has under that name now: the same on every machine
 * with the same toolchain, OS release and packages). With
 * verbose, making the image is announced on stderr (never in a wrapper:
 * its stderr is rustc's). 0, or an exit code with one line in err. */
int base_ensure(const struct config *cfg, const char *rustc, int verbose, struct strbuf *ref, struct strbuf *id,
		struct strbuf *err);

/* The same, with extra_apt (may be NULL) installed after ADD_APT's packages
 * (CARGOGREEN_ADD_APT_FROM_HOST): its own image, cargo-green-base:HASH. */
int base_ensure_with(const struct config *cfg, const char *rustc, const struct strvec *extra_apt, int verbose,
		     struct strbuf *ref, struct strbuf *id, struct strbuf *err);

/* The Dockerfile text the base is built from when BASE_IMAGE_INLINE or
 * ADD_APT/ADD_APT_GET/ADD_APK are set (nothing appended otherwise). 0, or
 * an exit code with err. */
int base_inline_text(const struct config *cfg, const char *rustc, struct strbuf *out, struct strbuf *err);

/* Is the base the one derived from the host (no BASE_IMAGE, no inline
 * stages, nothing added)? Only then do the host and the engine share the
 * toolchain, the C library and the system libraries, so that what one
 * builds the other can load or link. */
int base_is_derived(const struct config *cfg);

/* What the pkg-config of base image ref (as base_ensure named it) can find:
 * its `pkg-config --list-all`, kept when the image was checked. 0, or -1. */
int base_pkgconfig_list(const struct config *cfg, const char *rustc, const char *ref, struct strbuf *out);

/* A base image's identity, what it is made of rather than the engine's ID
 * for it (which differs on every engine that makes the same base): a
 * SHA-256 of its `rustc -vV` (vv), its /etc/os-release and its package set
 * (pkgs: "NAME VERSION ARCH" lines of dpkg, or apk's, in any order), as
 * "sha256:HEX" in ident, and in summary what it says ("rustc 1.95.0 (...),
 * Debian GNU/Linux 12 (bookworm), 190 packages"). base_ensure's id. 0. */
int base_identity_compute(const char *vv, const char *os_release, const char *pkgs, struct strbuf *ident,
			  struct strbuf *summary);

/* The base's name (ref) for cfg and, when this engine has checked it, its
 * identity and summary in out ("sha256:HEX (SUMMARY)"); -1 when not checked
 * yet. Reads what is kept; asks no engine. */
int base_identity_describe(const struct config *cfg, const char *rustc, struct strbuf *ref, struct strbuf *out);


/* The check's files (vV, pc, os, pkgs) of a derived base from tar, the
 * engine's archive of its /green-check ("green-check/NAME" members), each
 * written as out/NAME: 0 when all four were there, -1 when one is missing
 * or the tar is cut (the check is then a build). Plain files only;
 * other records (pax, links, dirs) skipped. Exposed for tests. */
int base_check_untar(const struct strbuf *tar, const char *out);

/* The ID pinned for ref in pins (BASE_PIN_ENV's text, may be NULL): 0 with
 * it in id, -1 when ref has none. */
int base_pin_find(const char *pins, const char *ref, struct strbuf *id);


/* `rustc -vV` of the given rustc (cached per binary). 0 or -1 with err. */
int rustc_version_verbose(const char *rustc, struct strbuf *out, struct strbuf *err);

#endif
