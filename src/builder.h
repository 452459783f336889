/* builder.h: which BuildKit builder a `cargo green` run uses (BUILDX_BUILDER).
 *
 *   unset         a builder named "supergreen" managed by cargo-green: used
 *                 if it exists, created (docker-container driver,
 *                 CARGOGREEN_BUILDER_IMAGE, CARGOGREEN_REGISTRY_MIRRORS) when
 *                 that image is in the engine and the base image can be
 *                 reached by it; otherwise the engine's default builder, and
 *                 one line on stderr says why;
 *   ""            the default builder;
 *   "supergreen"  that builder, which must exist;
 *   other         that builder, which must exist (checked once, before cargo runs).
 */
#ifndef BUILDER_H
#define BUILDER_H

#include "strbuf.h"

struct config;

/* The value of BUILDX_BUILDER for the run's wrappers in out ("" for the
 * default builder), and in note the line to show when the managed builder
 * could not be had (once per engine and image; empty otherwise). 0, or an
 * exit code with one line in err. */
int builder_resolve(const struct config *cfg, struct strbuf *out, struct strbuf *note, struct strbuf *err);

#define MANAGED_BUILDER "supergreen"

#endif
