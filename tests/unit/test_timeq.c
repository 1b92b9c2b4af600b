/*
 * test_timeq.c - timeout queues on a real event_base: entries fire in time
 * order (those due by one sweep fire in it together) and never early, whatever order and durations they were armed
 * with (at the tail, the head and the middle of a queue, more durations
 * than there are queues); a re-armed entry fires once, at its new time; a
 * disarmed one never; a callback may arm another entry. The lateness
 * allowed (500 ms) scales by MPTND_TIME_SCALE, as the integration tests'
 * bounds do for slow (sanitizer) builds.
 */
#include "common.h"
#include "tap.h"
#include "timeq.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 40

static struct timeq_entry ent[N];
static int fired[N], order[N], nfired;
static uint64_t fired_at[N];
static struct timeq *tq;

static void
fire_cb(void *arg)
{
	int i = (int)(intptr_t)arg;

	fired[i]++;
	fired_at[i] = clock_ms();
	order[nfired++] = i;
	if (i == 0)	/* a callback arming another entry */
		timeq_arm(tq, &ent[N - 1], clock_ms(), 5);
}

static void
run_until(struct event_base *base, int want)
{
	uint64_t start = clock_ms();

	while (nfired < want && clock_ms() - start < 10000)
		event_base_loop(base, EVLOOP_ONCE);
}

int
main(void)
{
	struct event_base *base = event_base_new();
	const char *scale = getenv("MPTND_TIME_SCALE");
	uint64_t now, at[N], slack = 500 * (scale != NULL && atoi(scale) > 0 ? (uint64_t)atoi(scale) : 1);
	int i, late = 0, early = 0, unordered = 0;

	tq = timeq_new(base);
	for (i = 0; i < N; i++)
		timeq_entry_init(&ent[i], fire_cb, (void *)(intptr_t)i);
	ok(!timeq_is_armed(&ent[1]), "a new entry is not armed");

	now = clock_ms();
	/* one duration, armed from times out of order: tail, head, middle */
	timeq_arm(tq, &ent[1], now, 60);
	timeq_arm(tq, &ent[2], now + 20, 60);
	timeq_arm(tq, &ent[3], now - 30, 60);
	timeq_arm(tq, &ent[4], now + 10, 60);
	/* many durations: more than there are queues */
	for (i = 5; i < 30; i++)
		timeq_arm(tq, &ent[i], now, (uint64_t)(100 - i));
	/* re-armed: fires once, at the later time */
	timeq_arm(tq, &ent[30], now, 10);
	timeq_arm(tq, &ent[30], now, 90);
	/* disarmed: never fires */
	timeq_arm(tq, &ent[31], now, 15);
	timeq_disarm(&ent[31]);
	timeq_disarm(&ent[31]);
	/* already due */
	timeq_arm(tq, &ent[0], now - 100, 50);
	ok(timeq_is_armed(&ent[1]) && !timeq_is_armed(&ent[31]), "armed and disarmed entries say so");

	for (i = 0; i < 31; i++)
		at[i] = ent[i].at_ms;
	run_until(base, 32);	/* 0..30 and N-1, armed by 0's callback */
	ok(nfired == 32, "every armed entry fired (%d of 32)", nfired);
	ok(fired[31] == 0, "the disarmed entry did not fire");
	ok(fired[30] == 1 && at[30] == now + 90, "the re-armed entry fired once, at its new time");
	ok(fired[N - 1] == 1, "an entry armed by a callback fired");
	ok(order[0] == 0, "the entry already due fired first (got %d)", order[0]);
	for (i = 0; i < nfired; i++) {
		int k = order[i];

		if (k == N - 1)
			continue;
		if (fired_at[k] < at[k])
			early++;
		if (fired_at[k] > at[k] + slack)
			late++;
	}
	for (i = 0; i < 31; i++) {
		int j;

		for (j = 0; j < 31; j++) {
			if (i != 31 && j != 31 && fired[i] && fired[j] && at[i] < at[j] &&
			    fired_at[i] > fired_at[j])
				unordered++;
		}
	}
	ok(early == 0, "no entry fired early (%d did)", early);
	ok(late == 0, "no entry fired more than %llu ms late (%d did)", (unsigned long long)slack, late);
	ok(unordered == 0, "an entry due earlier never fired later (%d pairs did)", unordered);
	for (i = 0; i < N; i++)
		ok(!timeq_is_armed(&ent[i]), "entry %d is disarmed after it fired or was disarmed", i);

	/* arming after everything fired sets the timer again */
	nfired = 0;
	timeq_arm(tq, &ent[1], clock_ms(), 5);
	run_until(base, 1);
	ok(nfired == 1 && order[0] == 1, "an entry armed after an empty spell fires");

	timeq_arm(tq, &ent[2], clock_ms(), 1000);
	timeq_free(tq);
	ok(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED) == 0,
	    "timeq_free leaves no event behind");
	timeq_free(NULL);
	event_base_free(base);
	return tap_done();
}
