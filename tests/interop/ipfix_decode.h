/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A libfixbuf file collector for the tests: reads an IPFIX file (or a raw
 * TCP stream saved to a file, which is the same thing) and hands back
 * every data record with all NAT IEs the project could send, the template
 * it came in (ID and IE list in wire order), the observation domain and
 * the export time. Written against IE names, independently of the
 * exporter's own model, so that it can prove the exporter's output right.
 */
#ifndef CGNAT_TESTS_IPFIX_DECODE_H
#define CGNAT_TESTS_IPFIX_DECODE_H

#include <stdint.h>

#define IPFIX_DEC_MAX_IES 32

struct ipfix_drec {
	uint32_t domain;
	uint32_t export_time;
	uint16_t tid;
	unsigned int n_ies;
	uint16_t ies[IPFIX_DEC_MAX_IES];	/* template IEs, wire order */
	uint64_t obs_time_ms;
	uint32_t src_addr, post_src_addr, dst_addr, post_dst_addr;
	uint32_t instance_id, pool_id, quota_event, thresh_event;
	uint32_t max_sessions, max_bib, max_per_user, max_subscribers;
	uint32_t max_fragments, pool_high, pool_low, apm_high, apm_low;
	uint32_t user_high, global_high;
	uint16_t port_start, port_end, src_port, post_src_port;
	uint8_t nat_event, proto;
	uint16_t dst_port, post_dst_port;
};

/*
 * Call fn for every data record of the file at path, in order; stop early
 * when fn returns non-zero. Returns the number of records, or -EIO (with
 * the reason on stderr) when the file cannot be read or decoded.
 */
int ipfix_decode_file(const char *path,
		      int (*fn)(void *ctx, const struct ipfix_drec *r),
		      void *ctx);

/* One line of key=value pairs describing r, for scripts to grep. */
void ipfix_drec_format(const struct ipfix_drec *r, char *buf, unsigned int len);

#endif /* CGNAT_TESTS_IPFIX_DECODE_H */
