/*
 * test_sctp_kernel.c - the kernel SCTP probe of the sctp transport
 * (transports/sctp-kernel.c) agrees with what socket(2) says on this
 * machine: where kernel SCTP is missing it reports "kernel SCTP
 * unavailable: <strerror>", where it exists it succeeds. The kernel
 * backend's operations table is complete (it is compiled everywhere).
 */
#include "common.h"
#include "sctp-kernel.h"
#include "tap.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif

int
main(void)
{
	char *cause = NULL, want[200];
	int fd, err, rc;

	fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	err = errno;
	if (fd >= 0)
		close(fd);
	rc = sctp_kernel_probe(&cause);
	if (fd < 0) {
		snprintf(want, sizeof want, "kernel SCTP unavailable: %s", strerror(err));
		ok(rc == -1 && cause != NULL && strcmp(cause, want) == 0,
		    "no kernel SCTP here: the probe says \"%s\"", cause != NULL ? cause : "(nothing)");
		if (err == EPROTONOSUPPORT)
			ok(strcmp(cause, "kernel SCTP unavailable: Protocol not supported") == 0,
			    "EPROTONOSUPPORT reads \"Protocol not supported\"");
	} else
		ok(rc == 0 && cause == NULL, "kernel SCTP is here: the probe succeeds");
	free(cause);
	/* a second probe leaks no socket and says the same */
	cause = NULL;
	ok(sctp_kernel_probe(&cause) == rc, "the probe is repeatable");
	free(cause);
#ifdef __linux__
	ok(sctp_kernel_ops.send != NULL && sctp_kernel_ops.recv != NULL &&
	    sctp_kernel_ops.state != NULL && sctp_kernel_ops.outstreams != NULL &&
	    sctp_kernel_ops.shutdown != NULL && sctp_kernel_ops.abort != NULL &&
	    sctp_kernel_ops.close != NULL && sctp_kernel_ops.set_wake != NULL &&
	    sctp_kernel_ops.name != NULL, "the kernel backend's operations are all there");
#endif
	return tap_done();
}
