/*
 * framing.h - the length framing that carries messages over a byte stream
 * (MPTN function compensation): each message is a record of a 4-byte
 * big-endian payload length, then the payload. Used where a message socket
 * (unix-seqpacket) meets a byte stream; the sctp module's `length` framing
 * is the same format. Pure: no sockets, no allocation; fuzzed.
 */
#ifndef MPTN_FRAMING_H
#define MPTN_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define MSG_RECORD_HDR 4	/* bytes of a record's header */

/*
 * The record at the start of BUF (LEN bytes): MPTN_DONE with its payload
 * length in *payload once header and payload are all in BUF; MPTN_MORE
 * while BUF is a prefix of one; MPTN_FAIL when its length is over MAX.
 */
enum mptn_parse msg_record_decode(const unsigned char *buf, size_t len, size_t max,
    uint32_t *payload);

#endif
