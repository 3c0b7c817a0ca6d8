/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The RFC 8158 record model, free of I/O and of libfixbuf: which template
 * each event uses, the fixed template IDs, the Information Elements of each
 * template in wire order, and the one internal record that every template
 * is encoded from (libfixbuf copies the IEs an external template names and
 * skips the rest). Pure functions, tested directly by cmocka.
 */
#ifndef CGNAT_IPFIX_MODEL_H
#define CGNAT_IPFIX_MODEL_H

#include <stdint.h>

#include "exporter/ipfix.h"

/* IANA Information Element IDs used here (RFC 8158 Table 1 and RFC 7012). */
enum {
	IPFIX_IE_PROTO			= 4,
	IPFIX_IE_SRC_PORT		= 7,
	IPFIX_IE_SRC_ADDR		= 8,
	IPFIX_IE_DST_PORT		= 11,
	IPFIX_IE_DST_ADDR		= 12,
	IPFIX_IE_PADDING		= 210,
	IPFIX_IE_POST_SRC_ADDR		= 225,
	IPFIX_IE_POST_DST_ADDR		= 226,
	IPFIX_IE_POST_SRC_PORT		= 227,
	IPFIX_IE_POST_DST_PORT		= 228,
	IPFIX_IE_NAT_EVENT		= 230,
	IPFIX_IE_POOL_ID		= 283,
	IPFIX_IE_OBS_TIME_MS		= 323,
	IPFIX_IE_PORT_START		= 361,
	IPFIX_IE_PORT_END		= 362,
	IPFIX_IE_INSTANCE_ID		= 463,
	IPFIX_IE_QUOTA_EVENT		= 466,
	IPFIX_IE_THRESH_EVENT		= 467,
	IPFIX_IE_MAX_SESSIONS		= 471,
	IPFIX_IE_MAX_BIB		= 472,
	IPFIX_IE_MAX_PER_USER		= 473,
	IPFIX_IE_MAX_SUBSCRIBERS	= 474,
	IPFIX_IE_MAX_FRAGMENTS		= 475,
	IPFIX_IE_POOL_HIGH		= 476,
	IPFIX_IE_POOL_LOW		= 477,
	IPFIX_IE_APM_HIGH		= 478,
	IPFIX_IE_USER_HIGH		= 480,
	IPFIX_IE_GLOBAL_HIGH		= 481,
};

/* One template per (event, subtype); RFC 8158 template names in brackets. */
enum ipfix_kind {
	IPFIX_K_PBA,		/* T21, natEvent 16/17 */
	IPFIX_K_SESSION,	/* T5, 4/5 */
	IPFIX_K_ADDR_EXH,	/* T9, 3 */
	IPFIX_K_PORTS_EXH,	/* T10, 12 */
	IPFIX_K_Q_SESSIONS,	/* T11, 13/1 */
	IPFIX_K_Q_BIB,		/* T12, 13/2 */
	IPFIX_K_Q_PER_USER,	/* T13, 13/3 */
	IPFIX_K_Q_SUBSCRIBERS,	/* T14, 13/4 */
	IPFIX_K_Q_FRAGMENTS,	/* T15, 13/5 */
	IPFIX_K_T_POOL_HIGH,	/* T16, 18/1 */
	IPFIX_K_T_POOL_LOW,	/* T16, 18/2 */
	IPFIX_K_T_APM_HIGH,	/* T17, 18/3 */
	IPFIX_K_T_USER_HIGH,	/* T18, 18/4 */
	IPFIX_K_T_GLOBAL_HIGH,	/* T19, 18/5 */
	IPFIX_K_COUNT,
};

/*
 * Template ID = IPFIX_TID_BASE + 4 * kind + variant, where variant bit 0
 * means natInstanceID is left out and bit 1 means natPoolId is added (port
 * block records only). A given ID therefore always names one layout, across
 * restarts and configurations, which keeps collector caches honest.
 */
#define IPFIX_TID_BASE		256
#define IPFIX_TID_NO_INSTANCE	1
#define IPFIX_TID_POOL		2
#define IPFIX_TID_INTERNAL	0xfff0	/* the internal record's template */
#define IPFIX_MAX_IES		12

/* Which optional IEs this exporter sends; fixed for its lifetime. */
struct ipfix_model_opts {
	uint32_t instance;
	int with_instance_id;
	int with_pool_id;
	int session_events;
};

/* One IE of a template: IANA id and on-wire length. */
struct ipfix_ie {
	uint16_t id;
	uint16_t len;
};

/*
 * The internal record. Every integer and ipv4Address is host order, the
 * time is host-order ms since the epoch; libfixbuf converts them. The
 * layout is mirrored by ipfix_rec_ies[] (checked at start-up).
 */
struct ipfix_rec {
	uint64_t obs_time_ms;		/* 323 */
	uint32_t src_addr;		/* 8 */
	uint32_t post_src_addr;		/* 225 */
	uint32_t instance_id;		/* 463 */
	uint32_t pool_id;		/* 283 */
	uint32_t quota_event;		/* 466 */
	uint32_t thresh_event;		/* 467 */
	uint32_t max_sessions;		/* 471 */
	uint32_t max_bib;		/* 472 */
	uint32_t max_per_user;		/* 473 */
	uint32_t max_subscribers;	/* 474 */
	uint32_t max_fragments;		/* 475 */
	uint32_t pool_high;		/* 476 */
	uint32_t pool_low;		/* 477 */
	uint32_t apm_high;		/* 478 */
	uint32_t user_high;		/* 480 */
	uint32_t global_high;		/* 481 */
	uint32_t dst_addr;		/* 12 */
	uint32_t post_dst_addr;		/* 226 */
	uint16_t port_start;		/* 361 */
	uint16_t port_end;		/* 362 */
	uint16_t src_port;		/* 7 */
	uint16_t post_src_port;		/* 227 */
	uint16_t dst_port;		/* 11 */
	uint16_t post_dst_port;		/* 228 */
	uint8_t nat_event;		/* 230 */
	uint8_t proto;			/* 4 */
	uint8_t pad[2];			/* 210: explicit tail padding */
};

_Static_assert(sizeof(struct ipfix_rec) == 96, "ipfix_rec has holes");

/* The internal record's IEs in struct order, ended by {0, 0}. */
extern const struct ipfix_ie ipfix_rec_ies[];

/*
 * Check that ev is a well-formed event for this configuration. Returns 0,
 * -EINVAL (unknown natEvent or subtype, port_first > port_last) or
 * -EOPNOTSUPP (session event while session_events is off).
 */
int ipfix_event_check(const struct ipfix_model_opts *o,
		      const struct ipfix_event *ev);

/* Template kind of a checked event. */
enum ipfix_kind ipfix_event_kind(const struct ipfix_event *ev);

/* Template ID used for kind under o. */
uint16_t ipfix_kind_tid(const struct ipfix_model_opts *o, enum ipfix_kind k);

/*
 * Write kind k's IEs in wire order into ies (room for IPFIX_MAX_IES).
 * Returns how many; session templates count only when session_events.
 */
unsigned int ipfix_kind_ies(const struct ipfix_model_opts *o,
			    enum ipfix_kind k, struct ipfix_ie *ies);

/* Whether the exporter sends a template for kind k at all. */
int ipfix_kind_enabled(const struct ipfix_model_opts *o, enum ipfix_kind k);

/*
 * Fill rec from a checked event; returns the template ID to encode it with.
 */
uint16_t ipfix_event_to_rec(const struct ipfix_model_opts *o,
			    const struct ipfix_event *ev,
			    struct ipfix_rec *rec);

#endif /* CGNAT_IPFIX_MODEL_H */
