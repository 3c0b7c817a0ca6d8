// SPDX-License-Identifier: GPL-2.0
/*
 * evlog_misc.c - the events that are not port blocks: quota, address and
 * port exhaustion, full tables and thresholds, each as an events row and
 * as the RFC 8158 record that says the same (natEvent 3, 12, 13, 18;
 * none for the new-flow rate, which no natEvent expresses).
 * The data plane rate-limits them; the exporter limits 3/12/13 again.
 */
#include <arpa/inet.h>
#include <string.h>
#include <bpf/bpf.h>

#include "bpf/cgnat.skel.h"
#include "daemon/cgnatd.h"

/* The external address a subscriber sits on, from the pinned tables. */
static uint32_t sub_ext_addr(struct evlog *ev, __be32 sub)
{
	struct cgnat_bpf *s = ev->run->dp.skel;
	__u32 idx, ext;

	if (!s ||
	    bpf_map_lookup_elem(bpf_map__fd(s->maps.cgnat_sub_idx), &sub, &idx))
		return 0;
	ext = ev->run->dp.v.subs[idx].ext_idx;
	return ext && ext <= ev->dc->o.n_addrs ? ntohl(ev->dc->addrs[ext - 1])
					       : 0;
}

static void quota(const struct cgnat_config *cfg, const struct cgnat_event *e,
		  struct store_event *se, struct ipfix_event *ie)
{
	se->type = STORE_EVT_QUOTA;
	ie->nat_event = IPFIX_EV_QUOTA;
	se->has_limit = 1;
	if (e->type == EVT_QUOTA_BLOCKS && e->port_last) {
		/* A deterministic range full (bpf/det.h): the limit in ports
		 * is the range and the overflow blocks (RFC 7422's M). */
		se->limit = e->port_last - e->port_first + 1 +
			    e->value * cfg->ports.block_size;
		se->detail = "deterministic range full "
			     "(ports_per_subscriber, overflow_blocks)";
		ie->quota_event = IPFIX_QUOTA_PER_USER;
		ie->value = se->limit;
	} else if (e->type == EVT_QUOTA_BLOCKS) {
		se->limit = e->value;
		se->detail = "port blocks per subscriber (ports.max_blocks)";
		ie->quota_event = IPFIX_QUOTA_PER_USER;
		ie->value = e->value * cfg->ports.block_size;
	} else if (e->type == EVT_QUOTA_SESSIONS) {
		se->limit = e->value;
		se->detail = "sessions per subscriber "
			     "(limits.sessions_per_subscriber)";
		ie->quota_event = IPFIX_QUOTA_PER_USER;
		ie->value = e->value;
	} else if (e->value == CGNAT_TBL_SUBSCRIBERS) {
		se->limit = cfg->limits.subscribers;
		se->detail = "subscriber table full (limits.subscribers)";
		ie->quota_event = IPFIX_QUOTA_SUBSCRIBERS;
		ie->value = cfg->limits.subscribers;
	} else {
		se->limit = cfg->limits.sessions;
		se->detail = e->value == CGNAT_TBL_MAPPINGS
				     ? "mapping table full (limits.sessions)"
				     : "session table full (limits.sessions)";
		ie->quota_event = e->value == CGNAT_TBL_MAPPINGS
					  ? IPFIX_QUOTA_BIB
					  : IPFIX_QUOTA_SESSIONS;
		ie->value = cfg->limits.sessions;
	}
}

/* Pool thresholds carry the pool's usage in value; the record carries
 * the configured threshold it crossed (IE 476/477/480). */
static void threshold(const struct cgnat_config *cfg,
		      const struct cgnat_event *e, struct store_event *se,
		      struct ipfix_event *ie)
{
	se->type = STORE_EVT_THRESHOLD;
	se->value = e->value;
	se->has_value = 1;
	se->has_limit = 1;
	ie->nat_event = IPFIX_EV_THRESHOLD;
	if (e->type == EVT_SUB_HIGH) {
		se->detail =
			"subscriber blocks high (thresholds.subscriber_high)";
		se->limit = cfg->thresholds.subscriber_high;
		ie->threshold_event = IPFIX_THRESH_USER_HIGH;
	} else if (e->type == EVT_POOL_HIGH) {
		se->detail = "pool usage high (thresholds.pool_high)";
		se->limit = cfg->thresholds.pool_high;
		ie->threshold_event = IPFIX_THRESH_POOL_HIGH;
	} else {
		se->detail = "pool usage low again (thresholds.pool_low)";
		se->limit = cfg->thresholds.pool_low;
		ie->threshold_event = IPFIX_THRESH_POOL_LOW;
	}
	ie->value = (uint32_t)se->limit;
}

void evlog_other(struct evlog *ev, const struct cgnat_event *e, uint64_t ms)
{
	struct store_event se = {.time_ms = (int64_t)ms,
				 .instance = ev->cfg->instance};
	struct ipfix_event ie = {.time_ms = ms};

	se.sub_addr = ie.sub_addr = ntohl(e->sub_addr);
	se.has_sub = e->sub_addr != 0;
	se.pool_id = ie.pool_id = e->pool + 1;
	se.has_pool = 1;
	switch (e->type) {
	case EVT_QUOTA_BLOCKS:
	case EVT_QUOTA_SESSIONS:
	case EVT_TABLE_FULL:
		quota(ev->cfg, e, &se, &ie);
		break;
	case EVT_POOL_EMPTY:
		se.type = STORE_EVT_ADDR_EXHAUSTED;
		se.detail = "no first block left in the pool";
		ie.nat_event = IPFIX_EV_ADDR_EXHAUSTED;
		break;
	case EVT_ADDR_EMPTY:
		se.type = STORE_EVT_PORTS_EXHAUSTED;
		se.detail = "no block left on the subscriber's address";
		se.ext_addr = ie.ext_addr =
			e->ext_addr ? ntohl(e->ext_addr)
				    : sub_ext_addr(ev, e->sub_addr);
		se.has_ext = se.ext_addr != 0;
		ie.nat_event = IPFIX_EV_PORTS_EXHAUSTED;
		break;
	case EVT_POOL_HIGH:
	case EVT_POOL_LOW:
	case EVT_SUB_HIGH:
		threshold(ev->cfg, e, &se, &ie);
		break;
	case EVT_QUOTA_FLOWS:
		/* RFC 8158 has no quota of a rate (natQuotaExceededEvent
		 * counts entries): a row of the log, no IPFIX record. */
		se.type = STORE_EVT_QUOTA;
		se.limit = e->value;
		se.has_limit = 1;
		se.detail = "new flows a second per subscriber "
			    "(limits.new_flows_per_subscriber)";
		break;
	default:
		return;
	}
	if (store_event(ev->st, &se)) {
		evlog_write_failed(ev, "event");
		return;
	}
	ev->s.events++;
	if (ie.nat_event)
		evlog_ipfix_queue(ev, &ie);
}
