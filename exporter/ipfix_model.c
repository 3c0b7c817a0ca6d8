// SPDX-License-Identifier: GPL-2.0
/*
 * The RFC 8158 record model: event validation, the event -> template
 * mapping, each template's IE list (mandatory IEs in the order of the RFC
 * tables, then the optional natPoolId and natInstanceID) and the filling of
 * the internal record. No I/O, no libfixbuf.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "exporter/ipfix_model.h"

const struct ipfix_ie ipfix_rec_ies[] = {
	{ IPFIX_IE_OBS_TIME_MS, 8 },
	{ IPFIX_IE_SRC_ADDR, 4 },
	{ IPFIX_IE_POST_SRC_ADDR, 4 },
	{ IPFIX_IE_INSTANCE_ID, 4 },
	{ IPFIX_IE_POOL_ID, 4 },
	{ IPFIX_IE_QUOTA_EVENT, 4 },
	{ IPFIX_IE_THRESH_EVENT, 4 },
	{ IPFIX_IE_MAX_SESSIONS, 4 },
	{ IPFIX_IE_MAX_BIB, 4 },
	{ IPFIX_IE_MAX_PER_USER, 4 },
	{ IPFIX_IE_MAX_SUBSCRIBERS, 4 },
	{ IPFIX_IE_MAX_FRAGMENTS, 4 },
	{ IPFIX_IE_POOL_HIGH, 4 },
	{ IPFIX_IE_POOL_LOW, 4 },
	{ IPFIX_IE_APM_HIGH, 4 },
	{ IPFIX_IE_USER_HIGH, 4 },
	{ IPFIX_IE_GLOBAL_HIGH, 4 },
	{ IPFIX_IE_DST_ADDR, 4 },
	{ IPFIX_IE_POST_DST_ADDR, 4 },
	{ IPFIX_IE_PORT_START, 2 },
	{ IPFIX_IE_PORT_END, 2 },
	{ IPFIX_IE_SRC_PORT, 2 },
	{ IPFIX_IE_POST_SRC_PORT, 2 },
	{ IPFIX_IE_DST_PORT, 2 },
	{ IPFIX_IE_POST_DST_PORT, 2 },
	{ IPFIX_IE_NAT_EVENT, 1 },
	{ IPFIX_IE_PROTO, 1 },
	{ IPFIX_IE_PADDING, 2 },
	{ 0, 0 },
};

#define TS	IPFIX_IE_OBS_TIME_MS
#define EV	IPFIX_IE_NAT_EVENT
#define QEV	IPFIX_IE_QUOTA_EVENT
#define TEV	IPFIX_IE_THRESH_EVENT

/* Mandatory IEs of each template in RFC 8158 order, 0-terminated. */
static const uint16_t kind_ies[IPFIX_K_COUNT][8] = {
	[IPFIX_K_PBA] = { TS, EV, IPFIX_IE_SRC_ADDR, IPFIX_IE_POST_SRC_ADDR,
			  IPFIX_IE_PORT_START, IPFIX_IE_PORT_END },
	[IPFIX_K_SESSION] = { TS, EV, IPFIX_IE_SRC_ADDR,
			      IPFIX_IE_POST_SRC_ADDR, IPFIX_IE_PROTO,
			      IPFIX_IE_SRC_PORT, IPFIX_IE_POST_SRC_PORT },
	[IPFIX_K_ADDR_EXH] = { TS, EV, IPFIX_IE_POOL_ID },
	[IPFIX_K_PORTS_EXH] = { TS, EV, IPFIX_IE_POST_SRC_ADDR,
				IPFIX_IE_PROTO },
	[IPFIX_K_Q_SESSIONS] = { TS, EV, QEV, IPFIX_IE_MAX_SESSIONS },
	[IPFIX_K_Q_BIB] = { TS, EV, QEV, IPFIX_IE_MAX_BIB },
	[IPFIX_K_Q_PER_USER] = { TS, EV, QEV, IPFIX_IE_MAX_PER_USER,
				 IPFIX_IE_SRC_ADDR },
	[IPFIX_K_Q_SUBSCRIBERS] = { TS, EV, QEV, IPFIX_IE_MAX_SUBSCRIBERS },
	[IPFIX_K_Q_FRAGMENTS] = { TS, EV, QEV, IPFIX_IE_MAX_FRAGMENTS,
				  IPFIX_IE_SRC_ADDR },
	[IPFIX_K_T_POOL_HIGH] = { TS, EV, TEV, IPFIX_IE_POOL_ID,
				  IPFIX_IE_POOL_HIGH },
	[IPFIX_K_T_POOL_LOW] = { TS, EV, TEV, IPFIX_IE_POOL_ID,
				 IPFIX_IE_POOL_LOW },
	[IPFIX_K_T_APM_HIGH] = { TS, EV, TEV, IPFIX_IE_APM_HIGH },
	/* RFC 8158 prints 478/479 for T18; 480 is the per-user IE. */
	[IPFIX_K_T_USER_HIGH] = { TS, EV, TEV, IPFIX_IE_USER_HIGH,
				  IPFIX_IE_SRC_ADDR },
	[IPFIX_K_T_GLOBAL_HIGH] = { TS, EV, TEV, IPFIX_IE_GLOBAL_HIGH },
};

static uint16_t ie_len(uint16_t id)
{
	const struct ipfix_ie *ie;

	for (ie = ipfix_rec_ies; ie->id; ie++)
		if (ie->id == id)
			return ie->len;
	return 0;
}

int ipfix_kind_enabled(const struct ipfix_model_opts *o, enum ipfix_kind k)
{
	if (k >= IPFIX_K_COUNT)
		return 0;
	return k != IPFIX_K_SESSION || o->session_events;
}

uint16_t ipfix_kind_tid(const struct ipfix_model_opts *o, enum ipfix_kind k)
{
	uint16_t tid = IPFIX_TID_BASE + 4 * k;

	if (!o->with_instance_id)
		tid |= IPFIX_TID_NO_INSTANCE;
	if (k == IPFIX_K_PBA && o->with_pool_id)
		tid |= IPFIX_TID_POOL;
	return tid;
}

unsigned int ipfix_kind_ies(const struct ipfix_model_opts *o,
			    enum ipfix_kind k, struct ipfix_ie *ies)
{
	unsigned int i, n = 0;

	if (!ipfix_kind_enabled(o, k))
		return 0;
	for (i = 0; i < 8 && kind_ies[k][i]; i++) {
		ies[n].id = kind_ies[k][i];
		ies[n++].len = ie_len(kind_ies[k][i]);
	}
	/* Session events are on for administrative reasons, which is when
	 * RFC 6888 REQ-12 allows destinations; without them the records
	 * would say what BIB events say (RFC 8158 section 4). NAT44 leaves
	 * the destination as it is: post-NAT equals pre-NAT.
	 */
	if (k == IPFIX_K_SESSION) {
		static const uint16_t dst[] = {
			IPFIX_IE_DST_ADDR, IPFIX_IE_POST_DST_ADDR,
			IPFIX_IE_DST_PORT, IPFIX_IE_POST_DST_PORT};

		for (i = 0; i < 4; i++) {
			ies[n].id = dst[i];
			ies[n++].len = ie_len(dst[i]);
		}
	}
	if (k == IPFIX_K_PBA && o->with_pool_id) {
		ies[n].id = IPFIX_IE_POOL_ID;
		ies[n++].len = 4;
	}
	if (o->with_instance_id) {
		ies[n].id = IPFIX_IE_INSTANCE_ID;
		ies[n++].len = 4;
	}
	return n;
}

int ipfix_event_check(const struct ipfix_model_opts *o,
		      const struct ipfix_event *ev)
{
	switch (ev->nat_event) {
	case IPFIX_EV_PBA:
	case IPFIX_EV_PBA_RELEASE:
		return ev->port_first <= ev->port_last ? 0 : -EINVAL;
	case IPFIX_EV_SESSION_CREATE:
	case IPFIX_EV_SESSION_DELETE:
		return o->session_events ? 0 : -EOPNOTSUPP;
	case IPFIX_EV_ADDR_EXHAUSTED:
	case IPFIX_EV_PORTS_EXHAUSTED:
		return 0;
	case IPFIX_EV_QUOTA:
		return ev->quota_event >= IPFIX_QUOTA_SESSIONS &&
		       ev->quota_event <= IPFIX_QUOTA_FRAGMENTS ? 0 : -EINVAL;
	case IPFIX_EV_THRESHOLD:
		return ev->threshold_event >= IPFIX_THRESH_POOL_HIGH &&
		       ev->threshold_event <= IPFIX_THRESH_GLOBAL_HIGH ?
		       0 : -EINVAL;
	default:
		return -EINVAL;	/* includes the Historic 1 and 2 */
	}
}

enum ipfix_kind ipfix_event_kind(const struct ipfix_event *ev)
{
	switch (ev->nat_event) {
	case IPFIX_EV_SESSION_CREATE:
	case IPFIX_EV_SESSION_DELETE:
		return IPFIX_K_SESSION;
	case IPFIX_EV_ADDR_EXHAUSTED:
		return IPFIX_K_ADDR_EXH;
	case IPFIX_EV_PORTS_EXHAUSTED:
		return IPFIX_K_PORTS_EXH;
	case IPFIX_EV_QUOTA:
		return IPFIX_K_Q_SESSIONS + ev->quota_event - 1;
	case IPFIX_EV_THRESHOLD:
		return IPFIX_K_T_POOL_HIGH + ev->threshold_event - 1;
	default:
		return IPFIX_K_PBA;
	}
}

/* Put the quota limit or the threshold in the one IE its template names. */
static void fill_value(const struct ipfix_event *ev, struct ipfix_rec *r)
{
	static const size_t quota_off[] = {
		offsetof(struct ipfix_rec, max_sessions),
		offsetof(struct ipfix_rec, max_bib),
		offsetof(struct ipfix_rec, max_per_user),
		offsetof(struct ipfix_rec, max_subscribers),
		offsetof(struct ipfix_rec, max_fragments),
	};
	static const size_t thresh_off[] = {
		offsetof(struct ipfix_rec, pool_high),
		offsetof(struct ipfix_rec, pool_low),
		offsetof(struct ipfix_rec, apm_high),
		offsetof(struct ipfix_rec, user_high),
		offsetof(struct ipfix_rec, global_high),
	};
	size_t off;

	if (ev->nat_event == IPFIX_EV_QUOTA)
		off = quota_off[ev->quota_event - 1];
	else if (ev->nat_event == IPFIX_EV_THRESHOLD)
		off = thresh_off[ev->threshold_event - 1];
	else
		return;
	memcpy((char *)r + off, &ev->value, sizeof(ev->value));
}

uint16_t ipfix_event_to_rec(const struct ipfix_model_opts *o,
			    const struct ipfix_event *ev,
			    struct ipfix_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->obs_time_ms = ev->time_ms;
	rec->nat_event = ev->nat_event;
	rec->instance_id = o->instance;
	/*
	 * The external template picks what goes on the wire, so fields a
	 * template does not name can be copied unconditionally.
	 */
	rec->src_addr = ev->sub_addr;
	rec->post_src_addr = ev->ext_addr;
	rec->pool_id = ev->pool_id;
	rec->port_start = ev->port_first;
	rec->port_end = ev->port_last;
	rec->proto = ev->proto;
	rec->src_port = ev->sub_port;
	rec->post_src_port = ev->ext_port;
	rec->dst_addr = rec->post_dst_addr = ev->rem_addr;
	rec->dst_port = rec->post_dst_port = ev->rem_port;
	rec->quota_event = ev->quota_event;
	rec->thresh_event = ev->threshold_event;
	fill_value(ev, rec);
	return ipfix_kind_tid(o, ipfix_event_kind(ev));
}
