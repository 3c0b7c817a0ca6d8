// SPDX-License-Identifier: GPL-2.0
/*
 * evring.c - the per-CPU event rings (maps.h cgnat_events): one ring
 * buffer per possible CPU in an array of maps. The outer array may be a
 * pin that an earlier run left: its rings are taken over, so events
 * written while cgnatd was down are still read; a slot that is empty or
 * holds something else gets a new ring. A ring smaller than this build
 * wants (a build before the rings grew) is kept while it holds unread
 * events, else replaced. CPUs offline at the load get small rings: many
 * machines list far more possible CPUs than they run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/loader.h"
#include "bpf/cgnat.skel.h"

/* The ring of a CPU that was offline at the load (5.4k events). */
#define EVT_RING_OFFLINE_BYTES (256 * 1024)

int dp_cpu_listed(const char *list, __u32 cpu)
{
	unsigned long lo, hi;
	char *end;

	while (*list >= '0' && *list <= '9') {
		lo = hi = strtoul(list, &end, 10);
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		if (cpu >= lo && cpu <= hi)
			return 1;
		if (*end != ',')
			break;
		list = end + 1;
	}
	return 0;
}

/* The size CPU i's ring should have: 'online' is the kernel's list, ""
 * when it could not be read (then every CPU counts as online).
 */
static __u32 ring_bytes(const char *online, __u32 i)
{
	return !*online || dp_cpu_listed(online, i) ? CGNAT_EVT_RING_BYTES
						    : EVT_RING_OFFLINE_BYTES;
}

static void read_online(char *buf, size_t len)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");

	buf[0] = '\0';
	if (f && !fgets(buf, (int)len, f))
		buf[0] = '\0';
	if (f)
		fclose(f);
}

int dp_ring_unread(int fd)
{
	long psz = sysconf(_SC_PAGESIZE);
	unsigned long *cons, *prod;
	int unread;

	/* The consumer position is on the ring's first page, the
	 * producer's on the second (both read-only here).
	 */
	cons = mmap(NULL, psz, PROT_READ, MAP_SHARED, fd, 0);
	if (cons == MAP_FAILED)
		return -errno;
	prod = mmap(NULL, psz, PROT_READ, MAP_SHARED, fd, psz);
	if (prod == MAP_FAILED) {
		unread = -errno;
		munmap(cons, psz);
		return unread;
	}
	unread = __atomic_load_n(prod, __ATOMIC_ACQUIRE) !=
		 __atomic_load_n(cons, __ATOMIC_ACQUIRE);
	munmap(prod, psz);
	munmap(cons, psz);
	return unread;
}

/* The ring already in slot 'i' as a new fd, or -1 if there is none fit
 * (of at least 'bytes', or holding unread events).
 */
static int ring_reuse(int outer, __u32 i, __u32 bytes)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info), id;
	int fd;

	if (bpf_map_lookup_elem(outer, &i, &id))
		return -1;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    info.type == BPF_MAP_TYPE_RINGBUF &&
	    (info.max_entries >= bytes || dp_ring_unread(fd) > 0))
		return fd;
	close(fd);
	return -1;
}

static int ring_new(struct dp *dp, int outer, __u32 i, __u32 bytes)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "cgnat_ev_cpu", 0, 0,
				bytes, NULL);

	if (fd < 0)
		return dp_fail(dp, fd, "create event ring of CPU %u: %s", i,
			       strerror(-fd));
	if (bpf_map_update_elem(outer, &i, &fd, BPF_ANY)) {
		int e = errno;

		close(fd);
		return dp_fail(dp, -e, "add event ring of CPU %u: %s", i,
			       strerror(e));
	}
	return fd;
}

int dp_rings_open(struct dp *dp)
{
	int outer = bpf_map__fd(dp->skel->maps.cgnat_events);
	__u32 n = bpf_map__max_entries(dp->skel->maps.cgnat_events), i;
	char online[1024];
	int fd;

	dp->ring_fd = calloc(n, sizeof(*dp->ring_fd));
	if (!dp->ring_fd)
		return dp_fail(dp, -ENOMEM, "event rings: out of memory");
	read_online(online, sizeof(online));
	for (i = 0; i < n; i++) {
		fd = ring_reuse(outer, i, ring_bytes(online, i));
		if (fd < 0)
			fd = ring_new(dp, outer, i, ring_bytes(online, i));
		if (fd < 0)
			return fd;	/* dp_close() closes the others */
		dp->ring_fd[dp->n_rings++] = fd;
	}
	return 0;
}

void dp_rings_close(struct dp *dp)
{
	__u32 i;

	for (i = 0; i < dp->n_rings; i++)
		close(dp->ring_fd[i]);
	free(dp->ring_fd);
	dp->ring_fd = NULL;
	dp->n_rings = 0;
}

struct ring_buffer *dp_events_rb(struct dp *dp, ring_buffer_sample_fn fn,
				 void *ctx)
{
	struct ring_buffer *rb;
	__u32 i;
	int e;

	if (!dp->n_rings) {
		errno = ENOENT;
		return NULL;
	}
	rb = ring_buffer__new(dp->ring_fd[0], fn, ctx, NULL);
	for (i = 1; rb && i < dp->n_rings; i++) {
		if (ring_buffer__add(rb, dp->ring_fd[i], fn, ctx)) {
			e = errno;
			ring_buffer__free(rb);
			errno = e;
			return NULL;
		}
	}
	return rb;
}
