/*
 * test_sctp_framing.c - the record framings and control messages of the
 * sctp transport (transports/sctp-framing.c), with tables of good and bad
 * inputs. Every good record is fed cut at every shorter length (each prefix
 * in a buffer of exactly that size, so a sanitizer sees any over-read) and
 * must say MPTN_MORE; whole it must say MPTN_DONE with used == its length,
 * and with the next record after it the same; re-encoding its header gives
 * the same bytes.
 */
#include "common.h"
#include "sctp-framing.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B(s) (const uint8_t *)(s), sizeof(s) - 1

struct good {
	const char *name;
	enum sctp_framing f;
	const uint8_t *buf;
	size_t len;
	uint32_t plen;
	uint16_t sid;
	uint32_t ppid;
};

static const struct good goods[] = {
	{ "length empty", SCTP_FRAMING_LENGTH, B("\0\0\0\0"), 0, 0, 0 },
	{ "length 1", SCTP_FRAMING_LENGTH, B("\0\0\0\1x"), 1, 0, 0 },
	{ "length 5", SCTP_FRAMING_LENGTH, B("\0\0\0\5hello"), 5, 0, 0 },
	{ "length-sid empty", SCTP_FRAMING_LENGTH_SID, B("\0\0\0\0\0\0\0\0\0\0"), 0, 0, 0 },
	{ "length-sid sid 7 ppid 51", SCTP_FRAMING_LENGTH_SID,
	  B("\0\0\0\3\0\7\0\0\0\063abc"), 3, 7, 51 },
	{ "length-sid sid 65535 ppid max", SCTP_FRAMING_LENGTH_SID,
	  B("\0\0\0\2\377\377\377\377\377\377hi"), 2, 65535, 0xffffffffu },
};

struct bad {
	const char *name;
	enum sctp_framing f;
	const uint8_t *buf;
	size_t len;
	size_t max;
};

static const struct bad bads[] = {
	{ "length over max", SCTP_FRAMING_LENGTH, B("\0\0\0\6abc"), 5 },
	{ "length 4 GiB - 1", SCTP_FRAMING_LENGTH, B("\377\377\377\377"), 1u << 20 },
	{ "length-sid over max", SCTP_FRAMING_LENGTH_SID, B("\0\1\0\0\0\0"), 65535 },
	{ "none has no records", SCTP_FRAMING_NONE, B("\0\0\0\0"), 100 },
};

static void
test_good(const struct good *g)
{
	struct sctp_record rec;
	const char *why = NULL;
	uint8_t hdr[SCTP_FRAMING_HDR_MAX], *buf;
	size_t cut, used = 0, hl;
	enum mptn_parse rc;
	int more = 1;

	for (cut = 0; cut < g->len; cut++) {
		buf = malloc(cut > 0 ? cut : 1);
		memcpy(buf, g->buf, cut);
		if (sctp_framing_decode(g->f, buf, cut, 1 << 20, &rec, &used, &why) != MPTN_MORE)
			more = 0;
		free(buf);
	}
	ok(more, "%s: every prefix needs more", g->name);
	buf = malloc(g->len);
	memcpy(buf, g->buf, g->len);
	memset(&rec, 0, sizeof rec);
	rc = sctp_framing_decode(g->f, buf, g->len, 1 << 20, &rec, &used, &why);
	ok(rc == MPTN_DONE && used == g->len && rec.len == g->plen && rec.sid == g->sid &&
	    rec.ppid == g->ppid, "%s: whole decodes (len %u sid %u ppid %u)", g->name, rec.len,
	    rec.sid, rec.ppid);
	ok(sctp_framing_decode(g->f, buf, g->len, g->plen, &rec, &used, &why) == MPTN_DONE,
	    "%s: a record of exactly max-message is allowed", g->name);
	free(buf);

	/* Followed by another record: the first is consumed alone. */
	buf = malloc(2 * g->len);
	memcpy(buf, g->buf, g->len);
	memcpy(buf + g->len, g->buf, g->len);
	ok(sctp_framing_decode(g->f, buf, 2 * g->len, 1 << 20, &rec, &used, &why) == MPTN_DONE &&
	    used == g->len, "%s: followed by more, used only its own bytes", g->name);
	free(buf);

	hl = sctp_framing_encode(g->f, &rec, hdr);
	ok(hl == sctp_framing_hdr_len(g->f) && memcmp(hdr, g->buf, hl) == 0,
	    "%s: header re-encodes to the same bytes", g->name);
}

static void
test_bad(const struct bad *b)
{
	struct sctp_record rec;
	const char *why = NULL;
	size_t used;
	uint8_t *buf = malloc(b->len);
	enum mptn_parse rc;

	memcpy(buf, b->buf, b->len);
	rc = sctp_framing_decode(b->f, buf, b->len, b->max, &rec, &used, &why);
	ok(rc == MPTN_FAIL && why != NULL, "%s: fails (%s)", b->name, why != NULL ? why : "no reason");
	free(buf);
}

struct ctl_case {
	const char *name;
	const uint8_t *buf;
	size_t len;
	int good;
};

static const struct ctl_case ctls[] = {
	{ "hello none wait", B("MPTN\1\1\0\0"), 1 },
	{ "hello length-sid close", B("MPTN\1\1\2\1"), 1 },
	{ "eos 1", B("MPTN\1\2\0\1"), 1 },
	{ "eos 65535", B("MPTN\1\2\377\377"), 1 },
	{ "short", B("MPTN\1\2\0"), 0 },
	{ "long", B("MPTN\1\2\0\1\0"), 0 },
	{ "bad magic", B("MPTX\1\2\0\1"), 0 },
	{ "version 2", B("MPTN\2\2\0\1"), 0 },
	{ "type 0", B("MPTN\1\0\0\1"), 0 },
	{ "type 3", B("MPTN\1\3\0\1"), 0 },
	{ "hello framing 3", B("MPTN\1\1\3\0"), 0 },
	{ "hello unknown flag", B("MPTN\1\1\0\2"), 0 },
	{ "eos count 0", B("MPTN\1\2\0\0"), 0 },
};

static void
test_ctl(const struct ctl_case *t)
{
	struct sctp_ctl c;
	const char *why = NULL;
	uint8_t out[SCTP_CTL_LEN], *buf = malloc(t->len);
	int rc;

	memcpy(buf, t->buf, t->len);
	rc = sctp_ctl_decode(buf, t->len, &c, &why);
	if (t->good) {
		ok(rc == 0 && sctp_ctl_encode(&c, out) == SCTP_CTL_LEN &&
		    memcmp(out, t->buf, SCTP_CTL_LEN) == 0, "ctl %s: decodes and re-encodes", t->name);
	} else
		ok(rc == -1 && why != NULL, "ctl %s: refused (%s)", t->name, why != NULL ? why : "-");
	free(buf);
}

static void
test_roundtrip(void)
{
	enum sctp_framing modes[] = { SCTP_FRAMING_LENGTH, SCTP_FRAMING_LENGTH_SID };
	uint8_t buf[SCTP_FRAMING_HDR_MAX + 300];
	size_t m, i, used;
	int good = 1;

	for (m = 0; m < MPTN_ARRAY_LEN(modes); m++) {
		for (i = 0; i < 300; i += 7) {
			struct sctp_record in = { .len = (uint32_t)i, .sid = (uint16_t)(i * 3),
				.ppid = (uint32_t)(i * 100003u) }, out;
			const char *why;
			size_t hl = sctp_framing_encode(modes[m], &in, buf);

			memset(buf + hl, 'x', i);
			if (sctp_framing_decode(modes[m], buf, hl + i, 300, &out, &used, &why) != MPTN_DONE ||
			    used != hl + i || out.len != in.len ||
			    (modes[m] == SCTP_FRAMING_LENGTH_SID &&
			    (out.sid != in.sid || out.ppid != in.ppid)))
				good = 0;
		}
	}
	ok(good, "encode then decode gives the record back, both framings");
}

int
main(void)
{
	enum sctp_framing f;
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(goods); i++)
		test_good(&goods[i]);
	for (i = 0; i < MPTN_ARRAY_LEN(bads); i++)
		test_bad(&bads[i]);
	for (i = 0; i < MPTN_ARRAY_LEN(ctls); i++)
		test_ctl(&ctls[i]);
	test_roundtrip();
	ok(sctp_framing_parse("length-sid", &f) == 0 && f == SCTP_FRAMING_LENGTH_SID &&
	    strcmp(sctp_framing_name(f), "length-sid") == 0, "framing names parse and print");
	ok(sctp_framing_parse("Length", &f) == -1 && sctp_framing_parse("", &f) == -1,
	    "unknown framing names are refused");
	ok(sctp_framing_hdr_len(SCTP_FRAMING_NONE) == 0 &&
	    sctp_framing_hdr_len(SCTP_FRAMING_LENGTH) == 4 &&
	    sctp_framing_hdr_len(SCTP_FRAMING_LENGTH_SID) == 10, "header sizes 0, 4, 10");
	return tap_done();
}
