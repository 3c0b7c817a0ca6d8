// SPDX-License-Identifier: GPL-2.0
/*
 * libfixbuf file collector for tests: one internal template that is a
 * superset of every IE the exporter may send (absent IEs read as zero),
 * spelled by IE name so it shares nothing with the exporter's model.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <fixbuf/public.h>

#include "tests/interop/ipfix_decode.h"

#define DEC_TID 0xfe00

/* Mirrors spec[] below, field for field. */
struct dec_rec {
	uint64_t obs_time_ms;
	uint32_t src_addr, post_src_addr, dst_addr, post_dst_addr;
	uint32_t instance_id, pool_id, quota_event, thresh_event;
	uint32_t max_sessions, max_bib, max_per_user, max_subscribers;
	uint32_t max_fragments, pool_high, pool_low, apm_high, apm_low;
	uint32_t user_high, global_high;
	uint16_t port_start, port_end, src_port, post_src_port;
	uint16_t dst_port, post_dst_port;
	uint8_t nat_event, proto;
	uint8_t pad[6];
};

_Static_assert(sizeof(struct dec_rec) == 104, "dec_rec has holes");

static fbInfoElementSpec_t spec[] = {
	{ "observationTimeMilliseconds", 8, 0 },
	{ "sourceIPv4Address", 4, 0 },
	{ "postNATSourceIPv4Address", 4, 0 },
	{ "destinationIPv4Address", 4, 0 },
	{ "postNATDestinationIPv4Address", 4, 0 },
	{ "natInstanceID", 4, 0 },
	{ "natPoolId", 4, 0 },
	{ "natQuotaExceededEvent", 4, 0 },
	{ "natThresholdEvent", 4, 0 },
	{ "maxSessionEntries", 4, 0 },
	{ "maxBIBEntries", 4, 0 },
	{ "maxEntriesPerUser", 4, 0 },
	{ "maxSubscribers", 4, 0 },
	{ "maxFragmentsPendingReassembly", 4, 0 },
	{ "addressPoolHighThreshold", 4, 0 },
	{ "addressPoolLowThreshold", 4, 0 },
	{ "addressPortMappingHighThreshold", 4, 0 },
	{ "addressPortMappingLowThreshold", 4, 0 },
	{ "addressPortMappingPerUserHighThreshold", 4, 0 },
	{ "globalAddressMappingHighThreshold", 4, 0 },
	{ "portRangeStart", 2, 0 },
	{ "portRangeEnd", 2, 0 },
	{ "sourceTransportPort", 2, 0 },
	{ "postNAPTSourceTransportPort", 2, 0 },
	{ "destinationTransportPort", 2, 0 },
	{ "postNAPTDestinationTransportPort", 2, 0 },
	{ "natEvent", 1, 0 },
	{ "protocolIdentifier", 1, 0 },
	{ "paddingOctets", 6, 0 },
	FB_IESPEC_NULL
};

static void copy_rec(struct ipfix_drec *d, const struct dec_rec *r)
{
	d->obs_time_ms = r->obs_time_ms;
	d->src_addr = r->src_addr;
	d->post_src_addr = r->post_src_addr;
	d->dst_addr = r->dst_addr;
	d->post_dst_addr = r->post_dst_addr;
	d->instance_id = r->instance_id;
	d->pool_id = r->pool_id;
	d->quota_event = r->quota_event;
	d->thresh_event = r->thresh_event;
	d->max_sessions = r->max_sessions;
	d->max_bib = r->max_bib;
	d->max_per_user = r->max_per_user;
	d->max_subscribers = r->max_subscribers;
	d->max_fragments = r->max_fragments;
	d->pool_high = r->pool_high;
	d->pool_low = r->pool_low;
	d->apm_high = r->apm_high;
	d->apm_low = r->apm_low;
	d->user_high = r->user_high;
	d->global_high = r->global_high;
	d->port_start = r->port_start;
	d->port_end = r->port_end;
	d->src_port = r->src_port;
	d->post_src_port = r->post_src_port;
	d->dst_port = r->dst_port;
	d->post_dst_port = r->post_dst_port;
	d->nat_event = r->nat_event;
	d->proto = r->proto;
}

static void fill_meta(fBuf_t *buf, struct ipfix_drec *d)
{
	fbTemplate_t *t = fBufGetCollectionTemplate(buf, &d->tid);
	uint32_t i, n = t ? fbTemplateCountElements(t) : 0;

	d->domain = fbSessionGetDomain(fBufGetSession(buf));
	d->export_time = fBufGetExportTime(buf);
	d->n_ies = 0;
	for (i = 0; i < n && i < IPFIX_DEC_MAX_IES; i++)
		d->ies[d->n_ies++] = fbTemplateGetIndexedIE(t, i)->num;
}

static int read_all(fBuf_t *buf, int (*fn)(void *, const struct ipfix_drec *),
		    void *ctx)
{
	struct dec_rec rec;
	struct ipfix_drec d;
	GError *err = NULL;
	size_t len;
	int n = 0;

	for (;;) {
		len = sizeof(rec);
		memset(&rec, 0, sizeof(rec));
		if (!fBufNext(buf, (uint8_t *)&rec, &len, &err))
			break;
		memset(&d, 0, sizeof(d));
		copy_rec(&d, &rec);
		fill_meta(buf, &d);
		n++;
		if (fn && fn(ctx, &d))
			return n;
	}
	if (g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF)) {
		g_clear_error(&err);
		return n;
	}
	fprintf(stderr, "ipfix_decode: after %d records: %s\n", n,
		err ? err->message : "?");
	g_clear_error(&err);
	return -EIO;
}

int ipfix_decode_file(const char *path,
		      int (*fn)(void *ctx, const struct ipfix_drec *r),
		      void *ctx)
{
	fbInfoModel_t *model = fbInfoModelAlloc();
	fbSession_t *sess = fbSessionAlloc(model);
	fbTemplate_t *t = fbTemplateAlloc(model);
	fbCollector_t *coll;
	GError *err = NULL;
	fBuf_t *buf;
	int ret = -EIO;

	if (!fbTemplateAppendSpecArray(t, spec, 0, &err) ||
	    !fbSessionAddTemplate(sess, TRUE, DEC_TID, t, &err))
		goto out_sess;
	if (fbTemplateGetIELenOfMemBuffer(t) != sizeof(struct dec_rec)) {
		fprintf(stderr, "ipfix_decode: template/struct mismatch\n");
		goto out_sess;
	}
	coll = fbCollectorAllocFile(NULL, path, &err);
	if (!coll)
		goto out_sess;
	buf = fBufAllocForCollection(sess, coll);	/* owns sess, coll */
	if (fBufSetInternalTemplate(buf, DEC_TID, &err))
		ret = read_all(buf, fn, ctx);
	fBufFree(buf);
	fbInfoModelFree(model);
	goto out;
out_sess:
	fbSessionFree(sess);
	fbInfoModelFree(model);
out:
	if (err)
		fprintf(stderr, "ipfix_decode: %s: %s\n", path, err->message);
	g_clear_error(&err);
	return ret;
}

static const char *ip(uint32_t a, char *buf)
{
	struct in_addr in = { .s_addr = htonl(a) };

	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

void ipfix_drec_format(const struct ipfix_drec *r, char *buf, unsigned int len)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	char c[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	unsigned int i;
	int n;

	n = snprintf(buf, len,
		     "domain=%u tid=%u event=%u time_ms=%llu src=%s post_src=%s"
		     " start=%u end=%u inst=%u pool=%u proto=%u sport=%u"
		     " post_sport=%u quota=%u thresh=%u max_sessions=%u"
		     " max_bib=%u max_per_user=%u max_subscribers=%u"
		     " max_fragments=%u pool_high=%u pool_low=%u apm_high=%u"
		     " user_high=%u global_high=%u dst=%s post_dst=%s"
		     " dport=%u post_dport=%u ies=",
		     r->domain, r->tid, r->nat_event,
		     (unsigned long long)r->obs_time_ms, ip(r->src_addr, a),
		     ip(r->post_src_addr, b), r->port_start, r->port_end,
		     r->instance_id, r->pool_id, r->proto, r->src_port,
		     r->post_src_port, r->quota_event, r->thresh_event,
		     r->max_sessions, r->max_bib, r->max_per_user,
		     r->max_subscribers, r->max_fragments, r->pool_high,
		     r->pool_low, r->apm_high, r->user_high, r->global_high,
		     ip(r->dst_addr, c), ip(r->post_dst_addr, d), r->dst_port,
		     r->post_dst_port);
	for (i = 0; i < r->n_ies && n > 0 && (unsigned int)n < len; i++)
		n += snprintf(buf + n, len - n, "%s%u", i ? "," : "",
			      r->ies[i]);
}
