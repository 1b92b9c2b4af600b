/*
 * framing.c - decoding the length framing of framing.h.
 */
#include "framing.h"

enum mptn_parse
msg_record_decode(const unsigned char *buf, size_t len, size_t max, uint32_t *payload)
{
	uint32_t n;

	if (len < MSG_RECORD_HDR)
		return MPTN_MORE;
	n = get_be32(buf);
	if (n > max)
		return MPTN_FAIL;
	if (len - MSG_RECORD_HDR < n)
		return MPTN_MORE;
	*payload = n;
	return MPTN_DONE;
}
