/*
 * sctp-framing.c - record headers of the length framings and the
 * peer=mptnd control messages (formats in sctp-framing.h). Bytes in,
 * structs out, and back; nothing else.
 */
#include "sctp-framing.h"

#include <string.h>

static const char *const sctp_framing_names[] = { "none", "length", "length-sid" };

int
sctp_framing_parse(const char *s, enum sctp_framing *f)
{
	size_t i;

	for (i = 0; i < MPTN_ARRAY_LEN(sctp_framing_names); i++) {
		if (strcmp(s, sctp_framing_names[i]) == 0) {
			*f = (enum sctp_framing)i;
			return 0;
		}
	}
	return -1;
}

const char *
sctp_framing_name(enum sctp_framing f)
{
	return (size_t)f < MPTN_ARRAY_LEN(sctp_framing_names) ? sctp_framing_names[f] : "?";
}

size_t
sctp_framing_hdr_len(enum sctp_framing f)
{
	switch (f) {
	case SCTP_FRAMING_LENGTH:
		return 4;
	case SCTP_FRAMING_LENGTH_SID:
		return 10;
	default:
		return 0;
	}
}

enum mptn_parse
sctp_framing_decode(enum sctp_framing f, const uint8_t *buf, size_t len, size_t max,
    struct sctp_record *rec, size_t *used, const char **why)
{
	size_t hdr = sctp_framing_hdr_len(f);
	uint32_t plen;

	if (hdr == 0) {
		*why = "framing none has no records";
		return MPTN_FAIL;
	}
	if (len < 4)
		return MPTN_MORE;
	plen = get_be32(buf);
	if (plen > max) {
		*why = "record longer than max-message";
		return MPTN_FAIL;
	}
	if (len < hdr || len - hdr < plen)
		return MPTN_MORE;
	rec->len = plen;
	rec->sid = f == SCTP_FRAMING_LENGTH_SID ? get_be16(buf + 4) : 0;
	rec->ppid = f == SCTP_FRAMING_LENGTH_SID ? get_be32(buf + 6) : 0;
	*used = hdr + plen;
	return MPTN_DONE;
}

size_t
sctp_framing_encode(enum sctp_framing f, const struct sctp_record *rec, uint8_t *out)
{
	size_t hdr = sctp_framing_hdr_len(f);

	if (hdr == 0)
		return 0;
	put_be32(out, rec->len);
	if (f == SCTP_FRAMING_LENGTH_SID) {
		put_be16(out + 4, rec->sid);
		put_be32(out + 6, rec->ppid);
	}
	return hdr;
}

size_t
sctp_ctl_encode(const struct sctp_ctl *c, uint8_t *out)
{
	memcpy(out, "MPTN", 4);
	out[4] = c->version;
	out[5] = c->type;
	if (c->type == SCTP_CTL_EOS)
		put_be16(out + 6, c->count);
	else {
		out[6] = c->framing;
		out[7] = c->flags;
	}
	return SCTP_CTL_LEN;
}

int
sctp_ctl_decode(const uint8_t *buf, size_t len, struct sctp_ctl *c, const char **why)
{
	struct sctp_ctl d = { 0 };

	if (len != SCTP_CTL_LEN) {
		*why = "control message of the wrong size";
		return -1;
	}
	if (memcmp(buf, "MPTN", 4) != 0) {
		*why = "control message without the MPTN magic";
		return -1;
	}
	d.version = buf[4];
	d.type = buf[5];
	if (d.version != SCTP_CTL_VERSION) {
		*why = "control message of an unsupported version";
		return -1;
	}
	switch (d.type) {
	case SCTP_CTL_HELLO:
		d.framing = buf[6];
		d.flags = buf[7];
		if (d.framing > SCTP_FRAMING_LENGTH_SID || (d.flags & ~SCTP_CTL_F_CLOSE) != 0) {
			*why = "hello with unknown framing or flags";
			return -1;
		}
		break;
	case SCTP_CTL_EOS:
		d.count = get_be16(buf + 6);
		if (d.count == 0) {
			*why = "end-of-stream set of size 0";
			return -1;
		}
		break;
	default:
		*why = "control message of an unknown type";
		return -1;
	}
	*c = d;
	return 0;
}
