/* syslib.h: system libraries the host has and the build image lacks.
 *
 * A -sys crate's build script probes for its library (pkg-config, a linker
 * flag, libclang for bindgen); in the engine, whose base has only gcc, g++,
 * libc6-dev, make and pkg-config, the probe fails where on the host it would
 * succeed: the build then fails to link, or silently builds something else
 * (libz-sys bundles its own static zlib). After a unit ran, what it shows of
 * such a probe is matched here to the Debian package that provides the
 * library on the host (dpkg -S), so that one line can name the package and
 * the setting that adds it to the base (CARGOGREEN_ADD_APT).
 *
 * What a unit shows, as "KIND:NAME" wants:
 *   pc:NAME    pkg-config did not find NAME ("Package NAME was not found in
 *              the pkg-config search path", "The system library `NAME`
 *              required by crate ...", openssl-sys's "Could not find
 *              directory of OpenSSL installation": pc:openssl), or a probe
 *              of NAME (its NAME_NO_PKG_CONFIG line) when the engine's
 *              pkg-config does not know NAME
 *   lib:NAME   the linker found no -lNAME ("unable to find library -lNAME",
 *              "cannot find -lNAME")
 *   clang:     bindgen found no libclang ("Unable to find libclang") */
#ifndef SYSLIB_H
#define SYSLIB_H

#include "strbuf.h"
#include "strvec.h"

struct config;

/* pkg-config crate's name for NAME's variables: uppercased, '-' as '_'. */
void syslib_envify(const char *name, struct strbuf *out);

/* The wants that failure messages in text name, appended to wants (once each). */
void syslib_failures(const char *text, struct strvec *wants);

/* The probed names (as envify gives them) of every
 * cargo:rerun-if-env-changed=NAME_NO_PKG_CONFIG line of a build script's
 * stdout, appended to names (once each). */
void syslib_probes(const char *stdout_text, struct strvec *names);

/* The pc names of `pkg-config --list-all` output whose envify is envname,
 * appended to names. */
void syslib_pc_matching(const char *list_all, const char *envname, struct strvec *names);
/* Does `pkg-config --list-all` output list name? */
int syslib_pc_listed(const char *list_all, const char *name);

/* The first package of `dpkg -S` output ("libz-dev:amd64, zlib1g-dev:amd64:
 * /usr/lib/x86_64-linux-gnu/libz.so"), without its architecture, into pkg.
 * 0, or -1 when it names none. */
int syslib_dpkg_parse(const char *out, struct strbuf *pkg);

/* The one line that says what the base lacks and how to add it. found holds
 * "PACKAGE=WHAT" entries (sorted, one per package); apt is what
 * CARGOGREEN_ADD_APT holds already (the fix keeps it). */
void syslib_hint(const struct strvec *found, const struct strvec *apt, struct strbuf *out);

/* On the host: the Debian package that provides want (pc:, lib:, clang:),
 * into pkg, and what it is called in the message, into what. 0, or -1 when
 * the host lacks it too or no package owns it. */
int syslib_host_package(const char *want, struct strbuf *pkg, struct strbuf *what);

/* A unit's result: its stdout and stderr (either may be NULL), and the
 * engine's `pkg-config --list-all` (NULL: not known; probes then tell
 * nothing). The host's packages for what the engine lacked, as
 * "PACKAGE=WHAT", appended to found (once per package), leaving out those
 * CARGOGREEN_ADD_APT/_ADD_APT_GET already install. */
void syslib_scan(const struct config *cfg, const char *out, const char *errs, const char *engine_pcs,
		 struct strvec *found);

#endif
