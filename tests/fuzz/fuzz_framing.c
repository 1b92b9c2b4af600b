/*
 * fuzz_framing.c - libFuzzer target for the sctp transport's record
 * framings and control messages (transports/sctp-framing.c). The first byte
 * picks the framing and a max-message; the rest is a byte stream decoded
 * record by record, as the relay does. It aborts on a broken promise: DONE
 * consumes header plus payload within LEN and at most max-message of
 * payload, every shorter prefix says MORE, FAIL only for a length over the
 * maximum, and a header re-encodes to the same bytes. The same input is also
 * decoded as one control message, which must re-encode exactly when valid.
 */
#include "common.h"
#include "sctp-framing.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_record(enum sctp_framing f, const uint8_t *buf, size_t len, size_t max, size_t *used,
    enum mptn_parse *rc)
{
	struct sctp_record rec, again;
	const char *why = NULL;
	uint8_t hdr[SCTP_FRAMING_HDR_MAX];
	size_t hl = sctp_framing_hdr_len(f), cut, u2;

	*rc = sctp_framing_decode(f, buf, len, max, &rec, used, &why);
	if (*rc == MPTN_FAIL) {
		/* only a complete length field over the maximum fails */
		if (why == NULL || len < 4 ||
		    ((uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3]) <= max)
			abort();
		return;
	}
	if (*rc == MPTN_MORE)
		return;
	if (*used != hl + rec.len || *used > len || rec.len > max)
		abort();
	if (sctp_framing_encode(f, &rec, hdr) != hl || memcmp(hdr, buf, hl) != 0)
		abort();
	for (cut = 0; cut < *used; cut++) {
		if (sctp_framing_decode(f, buf, cut, max, &again, &u2, &why) != MPTN_MORE)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { 0, 1, 16, 300, 65536 };
	uint8_t *buf;
	struct sctp_ctl c;
	const char *why;
	enum sctp_framing f;
	enum mptn_parse rc;
	size_t off, used, max;

	if (size < 1)
		return 0;
	f = (data[0] & 1) ? SCTP_FRAMING_LENGTH_SID : SCTP_FRAMING_LENGTH;
	max = maxes[(data[0] >> 1) % MPTN_ARRAY_LEN(maxes)];
	/* An exact-size copy, so reading past SIZE is caught. */
	buf = malloc(size - 1 > 0 ? size - 1 : 1);
	memcpy(buf, data + 1, size - 1);
	for (off = 0; off < size - 1; off += used) {
		fuzz_record(f, buf + off, size - 1 - off, max, &used, &rc);
		if (rc != MPTN_DONE)
			break;
	}
	if (sctp_ctl_decode(buf, size - 1, &c, &why) == 0) {
		uint8_t out[SCTP_CTL_LEN];

		if (size - 1 != SCTP_CTL_LEN || sctp_ctl_encode(&c, out) != SCTP_CTL_LEN ||
		    memcmp(out, buf, SCTP_CTL_LEN) != 0)
			abort();
	}
	free(buf);
	return 0;
}
