// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's plain data structures: the bounded event ring that
 * ipfix_submit() fills, the per-subject rate limiter for exhaustion and
 * quota events, and the bounded per-collector queue of reference-counted
 * encoded messages. No locks (the caller holds them), no I/O, time is an
 * argument (the event's own time_ms).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/ipfix_internal.h"

/* --- event ring -------------------------------------------------------- */

int ipfix_ring_init(struct ipfix_ring *r, uint32_t size)
{
	uint32_t n = 2;

	while (n < size && n < (1u << 30))
		n <<= 1;
	memset(r, 0, sizeof(*r));
	r->ev = calloc(n, sizeof(*r->ev));
	if (!r->ev)
		return -ENOMEM;
	r->mask = n - 1;
	return 0;
}

void ipfix_ring_free(struct ipfix_ring *r)
{
	free(r->ev);
	r->ev = NULL;
}

uint32_t ipfix_ring_count(const struct ipfix_ring *r)
{
	return r->tail - r->head;
}

int ipfix_ring_push(struct ipfix_ring *r, const struct ipfix_event *ev)
{
	if (ipfix_ring_count(r) > r->mask)
		return -ENOBUFS;
	r->ev[r->tail++ & r->mask] = *ev;
	return 0;
}

unsigned int ipfix_ring_pop(struct ipfix_ring *r, struct ipfix_event *out,
			    unsigned int max)
{
	unsigned int n = 0;

	while (n < max && r->head != r->tail)
		out[n++] = r->ev[r->head++ & r->mask];
	return n;
}

/* --- rate limiter ------------------------------------------------------ */

/* Subject key; 0 means "not limited". natEvent >= 3 keeps keys non-zero. */
static uint64_t rl_key(const struct ipfix_event *ev)
{
	uint64_t k = (uint64_t)ev->nat_event << 56;

	switch (ev->nat_event) {
	case IPFIX_EV_ADDR_EXHAUSTED:
		return k | ev->pool_id;
	case IPFIX_EV_PORTS_EXHAUSTED:
		return k | (uint64_t)ev->proto << 32 | ev->ext_addr;
	case IPFIX_EV_QUOTA:
		k |= (uint64_t)ev->quota_event << 48;
		if (ev->quota_event == IPFIX_QUOTA_PER_USER ||
		    ev->quota_event == IPFIX_QUOTA_FRAGMENTS)
			k |= ev->sub_addr;
		return k;
	default:
		return 0;
	}
}

static uint32_t rl_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (uint32_t)key;
}

/* The slot holding key, else an empty one, else the least recent. */
static struct ipfix_rl_slot *rl_slot(struct ipfix_rl *rl, uint64_t key)
{
	uint32_t base = rl_hash(key) & (IPFIX_RL_SLOTS - IPFIX_RL_WAYS);
	struct ipfix_rl_slot *s, *victim = NULL;
	unsigned int i;

	for (i = 0; i < IPFIX_RL_WAYS; i++) {
		s = &rl->slot[base + i];
		if (s->key == key)
			return s;
		if (!victim || (victim->key && (!s->key ||
						s->last_ms < victim->last_ms)))
			victim = s;
	}
	victim->key = 0;
	return victim;
}

int ipfix_rl_allow(struct ipfix_rl *rl, const struct ipfix_event *ev)
{
	uint64_t key = rl_key(ev), t = ev->time_ms, iv = rl->interval_ms;
	struct ipfix_rl_slot *s;

	if (!key || !iv)
		return 1;
	s = rl_slot(rl, key);
	if (s->key == key && t < s->last_ms + iv && t + iv > s->last_ms)
		return 0;
	s->key = key;
	s->last_ms = t;
	return 1;
}

/* --- message queue ------------------------------------------------------- */

struct ipfix_msg *ipfix_msg_new(const uint8_t *data, size_t len,
				unsigned int nrec)
{
	struct ipfix_msg *m = malloc(sizeof(*m) + len);

	if (!m)
		return NULL;
	m->refs = 1;
	m->nrec = nrec;
	m->len = len;
	memcpy(m->data, data, len);
	return m;
}

void ipfix_msg_put(struct ipfix_msg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

uint32_t ipfix_msg_seq(const struct ipfix_msg *m)
{
	const uint8_t *p = m->data + 8;

	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

int ipfix_mq_init(struct ipfix_mq *q, uint32_t cap)
{
	memset(q, 0, sizeof(*q));
	q->cap = cap;
	q->size = cap + IPFIX_MQ_TMPL_ROOM;
	q->slot = calloc(q->size, sizeof(*q->slot));
	return q->slot ? 0 : -ENOMEM;
}

void ipfix_mq_free(struct ipfix_mq *q)
{
	while (q->count)
		ipfix_msg_put(ipfix_mq_pop(q));
	free(q->slot);
	q->slot = NULL;
}

int ipfix_mq_push(struct ipfix_mq *q, struct ipfix_msg *m)
{
	if (q->count >= q->size || (m->nrec && q->count >= q->cap))
		return -ENOBUFS;
	q->slot[(q->head + q->count++) % q->size] = m;
	m->refs++;
	return 0;
}

struct ipfix_msg *ipfix_mq_peek(const struct ipfix_mq *q)
{
	return q->count ? q->slot[q->head] : NULL;
}

struct ipfix_msg *ipfix_mq_pop(struct ipfix_mq *q)
{
	struct ipfix_msg *m;

	if (!q->count)
		return NULL;
	m = q->slot[q->head];
	q->head = (q->head + 1) % q->size;
	q->count--;
	return m;
}
