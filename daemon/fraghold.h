/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fraghold.h - the userspace half of early fragments (bpf/frag.h). XDP
 * cannot keep a packet, so a later fragment that arrives before its first
 * comes here whole, over cgnat_frag_ring. It is held up to
 * CGNAT_FRAG_HOLD_MS and run through the XDP program again, as if it had
 * just arrived on its interface (BPF_PROG_TEST_RUN with live frames, so a
 * redirect really transmits), once the first fragment has been translated
 * (a READY record, or the entry already there when the fragment comes).
 *
 * Some kernels refuse live frames (before 5.18, or a sandbox: EPERM was
 * seen on a 6.18 VM). Then, or when CGNAT_FRAG_REINJECT=copy is in the
 * environment, the copy path runs the program without them, takes the
 * frame it made and sends it itself (fragsend.h): a redirect out of the
 * first fragment's next-hop interface (from cgnat_frags), a pass through
 * the kernel's routing. fh_init() probes which with a program of its own.
 *
 * Bounded: FH_MAX frames in all and FH_PER_SRC per source address bucket
 * (FH_SRC_BUCKETS, by a hash of the address), so one flooding host cannot
 * take the room of everybody else's fragments. Holding is O(1): free slots
 * on a stack, counts per bucket.
 */
#ifndef CGNAT_FRAGHOLD_H
#define CGNAT_FRAGHOLD_H

#include <linux/types.h>
#include <stddef.h>
#include "bpf/cgnat_abi.h"

#define FH_MAX 1024
#define FH_PER_SRC 64
#define FH_SRC_BUCKETS 256

struct fh_frame {
	__u64 until_ms;		/* 0: slot free */
	struct cgnat_frag_key key;
	__u32 ifindex;
	__u32 len;
	__u8 data[CGNAT_FRAG_FRAME];
};

struct fraghold {
	struct fh_frame *f;	/* FH_MAX slots */
	__u32 n;		/* slots in use */
	__u32 free[FH_MAX];	/* stack of free slots, FH_MAX - n of them */
	__u16 per_src[FH_SRC_BUCKETS];
	int prog[2];		/* XDP program by enum cgnat_dir of arrival */
	int frags_fd;		/* cgnat_frags */
	int copy;		/* live frames not used: the copy path */
	int live_err;		/* errno live frames were refused with,
				 * 0 if asked for by the environment */
	int copy_late;		/* refused after start, by a run */
	int copy_said;		/* the copy path has been logged */
	int pkt_fd, ip_fd;	/* copy path: AF_PACKET, raw IP; -1 unopened */
	__u64 reinjected, expired, refused;
	__u64 copied;		/* of reinjected: by the copy path */
	__u64 failed;		/* ready but could not be sent */
};

/* 0 if this kernel runs XDP test runs with live frames, else the errno it
 * refused them with. The probe's program drops what it gets: no effect.
 */
int fh_probe_live(void);
/* Negative fds: nothing runs (tests of the bounds); no probe then. */
int fh_init(struct fraghold *h, int prog_inside, int prog_outside,
	    int frags_fd);
/* One cgnat_frag_ring record at 'now_ms' (CLOCK_MONOTONIC). */
void fh_record(struct fraghold *h, const void *data, size_t len,
	       __u64 now_ms);
/* Drops what has been held for CGNAT_FRAG_HOLD_MS. */
void fh_expire(struct fraghold *h, __u64 now_ms);
void fh_free(struct fraghold *h);

#endif /* CGNAT_FRAGHOLD_H */
