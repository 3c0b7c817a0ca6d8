/* SPDX-License-Identifier: GPL-2.0 */
/*
 * maps.h - the maps of the XDP program. Sizes here are placeholders: the
 * loader sets every max_entries from the configuration before load. All
 * tables are plain hashes with explicit expiry, never LRU: an entry that
 * vanished without a record would break the compliance log.
 */
#ifndef CGNAT_MAPS_H
#define CGNAT_MAPS_H

#include "cgnat_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgnat_cfg);
} cgnat_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct cgnat_sess_key);
	__type(value, struct cgnat_sess);
} cgnat_sessions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2048);
	__type(key, struct cgnat_map_key);
	__type(value, struct cgnat_map);
} cgnat_mappings SEC(".maps");

/* Subscriber address -> index into cgnat_subs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, __u32);
} cgnat_sub_idx SEC(".maps");

/* Mmapable so that the allocator can change block slots atomically. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct cgnat_sub);
} cgnat_subs SEC(".maps");

/* Free subscriber indices, filled by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 1024);
	__type(value, __u32);
} cgnat_sub_free SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct cgnat_sub_prefix);
	__type(value, __u32);	/* pool index */
} cgnat_sub_prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct cgnat_addr);
} cgnat_addrs SEC(".maps");

/* External address -> address index: recognises pool addresses. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __be32);
	__type(value, __u32);
} cgnat_addr_idx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16 * CGNAT_NPROTO);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct cgnat_portmap);
} cgnat_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct cgnat_block);
} cgnat_blocks SEC(".maps");

/* Grant slots: block id + 1, 0 = empty. The allocator fills empty slots
 * with compare-and-swap; the data plane empties them with exchange, so a
 * block is taken by exactly one CPU without any lock. 64-bit because an
 * array map strides its elements at 8 bytes, which the mmap view sees.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16 * CGNAT_GRANT_DEPTH);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_grant_addr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CGNAT_MAX_POOLS * CGNAT_NEW_DEPTH);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_grant_new SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} cgnat_tx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} cgnat_events SEC(".maps");

/* Last time of a rate-limited event per CPU and per event type. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} cgnat_evt_last SEC(".maps");

/* The sweep's epoch (key 0), see struct cgnat_map. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgnat_epoch SEC(".maps");

/* Token buckets per CPU for generated ICMP errors: [0] unreachables for
 * refused flows, [1] packet too big and time exceeded.
 */
struct icmp_bucket {
	__u64 last_ns;
	__u64 tokens;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct icmp_bucket);
} cgnat_icmp_rl SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&cgnat_stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline struct cgnat_cfg *cfg_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cgnat_cfg, &zero);
}

#endif /* CGNAT_MAPS_H */
