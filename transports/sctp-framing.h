/*
 * sctp-framing.h - the byte-stream framings of the sctp transport and the
 * in-band control messages two mptnd nodes exchange (peer=mptnd). Pure: no
 * sockets, no event loop, no allocation; unit tested and fuzzed.
 *
 * A framing says how the byte stream on the core's side maps to SCTP
 * messages:
 *   none        no header: each chunk read is one message, and each received
 *               message's bytes are written as they come (boundaries lost);
 *   length      records of a 4-byte big-endian payload length, then the
 *               payload; one record is one SCTP message (stream 0, PPID 0);
 *   length-sid  records of length (4), stream id (2), PPID (4), all big
 *               endian, then the payload: stream and PPID travel both ways.
 *
 * Control messages (peer=mptnd) are SCTP messages with PPID SCTP_CTL_PPID
 * and exactly SCTP_CTL_LEN bytes:
 *   0..3  "MPTN"    4  version (1)    5  type
 *   HELLO (1): 6  framing of the sender (0 none, 1 length, 2 length-sid)
 *              7  flags (bit 0: the sender's half-close is "close")
 *   EOS   (2): 6..7  big-endian number of EOS messages in the set (1..65535)
 * The connecting node sends HELLO first, on stream 0. A node whose byte
 * stream ended sends one EOS on every stream it sent data on (stream 0 when
 * none), each carrying the size of the set: ordering holds only within a
 * stream, so the direction has ended once that many EOS have arrived.
 */
#ifndef MPTN_SCTP_FRAMING_H
#define MPTN_SCTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

enum sctp_framing {
	SCTP_FRAMING_NONE,
	SCTP_FRAMING_LENGTH,
	SCTP_FRAMING_LENGTH_SID,
};

#define SCTP_FRAMING_HDR_MAX 10

/* One record's header: payload length, stream id and PPID (host order). */
struct sctp_record {
	uint32_t len;
	uint16_t sid;
	uint32_t ppid;
};

/* "none", "length", "length-sid" <-> enum; parse returns 0 or -1. */
int sctp_framing_parse(const char *, enum sctp_framing *);
const char *sctp_framing_name(enum sctp_framing);
/* Header bytes in front of every record (0 for none). */
size_t sctp_framing_hdr_len(enum sctp_framing);

/*
 * Decode the record at the start of BUF (LEN bytes): MPTN_DONE with *rec
 * and *used (header plus payload) once the whole record is in BUF;
 * MPTN_MORE while BUF is a prefix of one; MPTN_FAIL with *why when its
 * length exceeds MAX. Framing none is not a record format: MPTN_FAIL.
 */
enum mptn_parse sctp_framing_decode(enum sctp_framing, const uint8_t *buf, size_t len,
    size_t max, struct sctp_record *rec, size_t *used, const char **why);
/* Write REC's header to OUT (SCTP_FRAMING_HDR_MAX bytes); its length. */
size_t sctp_framing_encode(enum sctp_framing, const struct sctp_record *, uint8_t *out);

/* Control messages (peer=mptnd). */
#define SCTP_CTL_PPID		0x4d50544eu	/* "MPTN" */
#define SCTP_CTL_LEN		8
#define SCTP_CTL_VERSION	1
#define SCTP_CTL_HELLO		1
#define SCTP_CTL_EOS		2
#define SCTP_CTL_F_CLOSE	0x01		/* HELLO flag: half-close=close */

struct sctp_ctl {
	uint8_t version;
	uint8_t type;
	uint8_t framing;	/* HELLO */
	uint8_t flags;		/* HELLO */
	uint16_t count;		/* EOS: messages in the set */
};

/* Encode C into OUT (SCTP_CTL_LEN bytes); returns SCTP_CTL_LEN. */
size_t sctp_ctl_encode(const struct sctp_ctl *, uint8_t *out);
/*
 * Decode one whole control message: 0, or -1 with *why (bad size, magic,
 * version, type or field).
 */
int sctp_ctl_decode(const uint8_t *, size_t, struct sctp_ctl *, const char **why);

#endif
