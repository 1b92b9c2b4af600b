/*
 * passwd.h - the password file gateways check credentials against:
 * one "USER:scrypt$N$r$p$SALT$HASH" line per user (base64 salt and hash),
 * made with `mptnd --hash-password USER`.
 */
#ifndef MPTN_PASSWD_H
#define MPTN_PASSWD_H

#include <stdbool.h>

struct passwd_db;

/* Load FILE; errors are "FILE:LINE: message". */
struct passwd_db *passwd_load(const char *file, char **cause);
void passwd_free(struct passwd_db *);
/* Constant-time check; unknown users cost the same as known ones. */
bool passwd_check(const struct passwd_db *, const char *user, const char *password);
/* A password file line for USER and PASSWORD (caller frees), or NULL. */
char *passwd_make_line(const char *user, const char *password);

#endif
