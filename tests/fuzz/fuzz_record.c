/*
 * fuzz_record.c - libFuzzer target for the length framing of src/framing.c,
 * which pump-fd uses where unix-seqpacket meets a byte stream. The first
 * byte picks the maximum payload; the rest is a byte stream decoded record
 * by record, as the pump does. It aborts on a broken promise: DONE only for
 * a whole record within LEN whose payload is at most the maximum, and then
 * every shorter prefix says MORE; FAIL only for a complete length field over
 * the maximum; MORE only for a short header or a payload not all there.
 */
#include "common.h"
#include "framing.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { 0, 1, 16, 4096, 65536, 131068, UINT32_MAX };
	size_t max, off;
	uint32_t payload, again;

	if (size < 1)
		return 0;
	max = maxes[data[0] % MPTN_ARRAY_LEN(maxes)];
	for (off = 1; off < size;) {
		const unsigned char *p = data + off;
		size_t len = size - off, cut;
		enum mptn_parse rc = msg_record_decode(p, len, max, &payload);

		if (rc == MPTN_FAIL) {
			if (len < MSG_RECORD_HDR || get_be32(p) <= max)
				abort();
			break;
		}
		if (rc == MPTN_MORE) {
			if (len >= MSG_RECORD_HDR &&
			    (get_be32(p) > max || len - MSG_RECORD_HDR >= get_be32(p)))
				abort();
			break;
		}
		if (payload > max || payload != get_be32(p) || MSG_RECORD_HDR + (size_t)payload > len)
			abort();
		for (cut = 0; cut < MSG_RECORD_HDR + (size_t)payload; cut++) {
			if (msg_record_decode(p, cut, max, &again) != MPTN_MORE)
				abort();
		}
		off += MSG_RECORD_HDR + payload;
	}
	return 0;
}
