/* regtoken.h: the bearer tokens of a run, kept for its other processes.
 *
 * A registry with token auth (ghcr.io, Docker Hub, GitLab) answers 401 and
 * names a realm that gives tokens for a scope ("repository:team/c:pull").
 * Each compile's lookup and each write is a process of its own, so without
 * this each would ask the token server again (a write twice: pull, then
 * push). A token is kept with its scope and the end of its lifetime in one
 * file of the run (0600, in the run's directory, which must be the user's
 * own and 0700: else nothing is kept), removed with the run's notes at its
 * end (cache.c), or by the next run's sweep when the run was killed. */
#ifndef REGTOKEN_H
#define REGTOKEN_H

#include "strbuf.h"

/* Does a token of scope have serve a request that wants scope want (both
 * "TYPE:NAME:ACTION,..."): the same TYPE:NAME, want's actions among have's? */
int regtoken_covers(const char *have, const char *want);

/* The newest token of file for name (HOST/REPO) whose scope covers want
 * and which lives 15 s more at least, into out (replaced). 1 found, 0 none. */
int regtoken_find(const char *file, const char *name, const char *want, long long now, struct strbuf *out);

/* Keep token for name and scope until now + expires_in (seconds). 0, or
 * -1 when not kept (the directory not private, a token with a tab or a
 * newline, a write failing). */
int regtoken_keep(const char *file, const char *name, const char *scope, const char *token, long long expires_in,
		  long long now);

#endif
