/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcp_tab.h - the PCP server's index of the mappings it granted: entries
 * in an array, found by (subscriber, internal port, protocol) and counted
 * per subscriber through two open-addressing hashes, so that a request,
 * a quota check and a resync cost O(1) per mapping at a million mappings.
 */
#ifndef CGNAT_PCP_TAB_H
#define CGNAT_PCP_TAB_H

#include <linux/types.h>

#include "daemon/pcp_codec.h"

#define PCP_TAB_MAX (1u << 20)

struct pcp_entry {
	__be32 sub;
	__be16 int_port;
	__u8 proto;
	__u8 nonce_known; /* 0: NAT-PMP, or learned from the maps */
	__be32 ext_addr;
	__be16 ext_port;
	__u8 inbound; /* MAP (1) or PEER (0) */
	__u8 natpmp;
	__u32 until_s;
	__u8 nonce[PCP_NONCE_LEN];
};

struct pcp_subn {
	__be32 sub;
	__u32 n; /* 0: free slot */
};

struct pcp_tab {
	struct pcp_entry *e;
	unsigned int n, cap;
	__u32 *ix; /* entry index + 1, 0 free; ixmask + 1 slots */
	unsigned int ixmask;
	struct pcp_subn *sc; /* mappings per subscriber; same size */
};

/* Index of the entry for the key, or -1. */
int pcp_tab_find(const struct pcp_tab *t, __be32 sub, __be16 port,
		 __u8 proto);
/* Mappings sub holds. */
unsigned int pcp_tab_count(const struct pcp_tab *t, __be32 sub);
/* A new zeroed entry with its key set and indexed, NULL when the table
 * is full or memory is short. The key must not be in the table.
 */
struct pcp_entry *pcp_tab_add(struct pcp_tab *t, __be32 sub, __be16 port,
			      __u8 proto);
/* Removes entry i; the last entry takes its place. */
void pcp_tab_remove(struct pcp_tab *t, unsigned int i);
void pcp_tab_free(struct pcp_tab *t);

#endif
