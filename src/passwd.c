/*
 * passwd.c - salted scrypt password hashes (OpenSSL's EVP_PBE_scrypt).
 * A check costs one scrypt (N=16384, r=8, p=1: tens of milliseconds on the
 * worker), so verified credentials are remembered as a SHA-256 of
 * user, salt and password for CACHE_SECONDS: a client that authenticates on
 * every connection pays the KDF once. Comparisons are constant-time.
 */
#include "passwd.h"
#include "common.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRYPT_N 16384
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SCRYPT_MAXMEM (64ULL * 1024 * 1024)
#define SALT_LEN 16
#define HASH_LEN 32
#define CACHE_SLOTS 64
#define CACHE_SECONDS 600

struct passwd_entry {
	char *user;
	uint64_t n, r, p;
	unsigned char salt[SALT_LEN];
	unsigned char hash[HASH_LEN];
};

struct passwd_cache_slot {
	unsigned char key[32];		/* SHA-256(user NUL salt password) */
	uint64_t until_ms;
};

struct passwd_db {
	struct passwd_entry *e;
	size_t n;
	pthread_mutex_t lock;
	struct passwd_cache_slot cache[CACHE_SLOTS];
	size_t next_slot;
};

static int
b64_decode(const char *in, unsigned char *out, size_t want)
{
	unsigned char buf[128];
	size_t len = strlen(in);
	int n;

	if (len == 0 || len > 100 || len % 4 != 0)
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (n < 0)
		return -1;
	while (len > 0 && in[len - 1] == '=') {	/* EVP_DecodeBlock keeps padding bytes */
		n--;
		len--;
	}
	if ((size_t)n != want)
		return -1;
	memcpy(out, buf, want);
	return 0;
}

static int
parse_line(char *line, struct passwd_entry *e)
{
	char *colon = strchr(line, ':'), *f[6], *save = NULL, *p;
	int i;

	if (colon == NULL || colon == line)
		return -1;
	*colon = '\0';
	p = colon + 1;
	for (i = 0; i < 6; i++) {
		f[i] = strtok_r(i == 0 ? p : NULL, "$", &save);
		if (f[i] == NULL)
			return -1;
	}
	if (strtok_r(NULL, "$", &save) != NULL || strcmp(f[0], "scrypt") != 0)
		return -1;
	e->n = strtoull(f[1], NULL, 10);
	e->r = strtoull(f[2], NULL, 10);
	e->p = strtoull(f[3], NULL, 10);
	if (e->n < 1024 || e->n > (1 << 20) || (e->n & (e->n - 1)) != 0 || e->r < 1 || e->r > 32 ||
	    e->p < 1 || e->p > 16)
		return -1;
	if (b64_decode(f[4], e->salt, SALT_LEN) != 0 || b64_decode(f[5], e->hash, HASH_LEN) != 0)
		return -1;
	e->user = xstrdup(line);
	return 0;
}

struct passwd_db *
passwd_load(const char *file, char **cause)
{
	struct passwd_db *db;
	FILE *f = fopen(file, "r");
	char line[1024];
	unsigned lineno = 0;

	if (f == NULL) {
		xasprintf(cause, "%s: %s", file, strerror(errno));
		return NULL;
	}
	db = xcalloc(1, sizeof *db);
	pthread_mutex_init(&db->lock, NULL);
	while (fgets(line, sizeof line, f) != NULL) {
		size_t len = strlen(line);
		struct passwd_entry e;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		memset(&e, 0, sizeof e);
		if (parse_line(line, &e) != 0) {
			xasprintf(cause, "%s:%u: not a USER:scrypt$N$r$p$SALT$HASH line "
			    "(make one with mptnd --hash-password USER)", file, lineno);
			fclose(f);
			passwd_free(db);
			return NULL;
		}
		db->e = xreallocarray(db->e, db->n + 1, sizeof *db->e);
		db->e[db->n++] = e;
	}
	fclose(f);
	return db;
}

void
passwd_free(struct passwd_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n; i++)
		free(db->e[i].user);
	free(db->e);
	pthread_mutex_destroy(&db->lock);
	OPENSSL_cleanse(db->cache, sizeof db->cache);
	free(db);
}

static void
cache_key(const char *user, const unsigned char *salt, const char *password, unsigned char *key)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned len = 32;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, user, strlen(user) + 1);
	EVP_DigestUpdate(md, salt, SALT_LEN);
	EVP_DigestUpdate(md, password, strlen(password));
	EVP_DigestFinal_ex(md, key, &len);
	EVP_MD_CTX_free(md);
}

bool
passwd_check(const struct passwd_db *cdb, const char *user, const char *password)
{
	struct passwd_db *db = (struct passwd_db *)cdb;	/* the cache is mutable */
	static const unsigned char dummy_salt[SALT_LEN];
	const struct passwd_entry *e = NULL;
	unsigned char key[32], out[HASH_LEN];
	uint64_t now = clock_ms();
	bool ok, cached = false;
	size_t i;

	for (i = 0; i < db->n; i++) {
		if (strcmp(db->e[i].user, user) == 0)
			e = &db->e[i];
	}
	cache_key(user, e != NULL ? e->salt : dummy_salt, password, key);
	pthread_mutex_lock(&db->lock);
	for (i = 0; e != NULL && i < CACHE_SLOTS; i++) {
		if (db->cache[i].until_ms > now && CRYPTO_memcmp(db->cache[i].key, key, sizeof key) == 0)
			cached = true;
	}
	pthread_mutex_unlock(&db->lock);
	if (cached)
		return true;
	if (EVP_PBE_scrypt(password, strlen(password), e != NULL ? e->salt : dummy_salt, SALT_LEN,
	    e != NULL ? e->n : SCRYPT_N, e != NULL ? e->r : SCRYPT_R, e != NULL ? e->p : SCRYPT_P,
	    SCRYPT_MAXMEM, out, sizeof out) != 1)
		return false;
	ok = e != NULL && CRYPTO_memcmp(out, e->hash, HASH_LEN) == 0;
	if (ok) {
		pthread_mutex_lock(&db->lock);
		memcpy(db->cache[db->next_slot].key, key, sizeof key);
		db->cache[db->next_slot].until_ms = now + CACHE_SECONDS * 1000ULL;
		db->next_slot = (db->next_slot + 1) % CACHE_SLOTS;
		pthread_mutex_unlock(&db->lock);
	}
	OPENSSL_cleanse(out, sizeof out);
	return ok;
}

char *
passwd_make_line(const char *user, const char *password)
{
	unsigned char salt[SALT_LEN], hash[HASH_LEN];
	char salt64[64], hash64[64], *line;

	if (strchr(user, ':') != NULL || *user == '\0' || RAND_bytes(salt, sizeof salt) != 1 ||
	    EVP_PBE_scrypt(password, strlen(password), salt, sizeof salt, SCRYPT_N, SCRYPT_R,
	    SCRYPT_P, SCRYPT_MAXMEM, hash, sizeof hash) != 1)
		return NULL;
	EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof salt);
	EVP_EncodeBlock((unsigned char *)hash64, hash, sizeof hash);
	xasprintf(&line, "%s:scrypt$%d$%d$%d$%s$%s", user, SCRYPT_N, SCRYPT_R, SCRYPT_P, salt64,
	    hash64);
	return line;
}
