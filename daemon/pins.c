// SPDX-License-Identifier: GPL-2.0
/*
 * pins.c - see pins.h. Map names are the ones in bpf/maps.h; the pin
 * path of a map is DIR/NAME (bpf/loader.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/pins.h"

static int get(const char *dir, const char *name, char *err, size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fd = -errno;
		snprintf(err, len, "open pinned map %s: %s", path,
			 strerror(errno));
	}
	return fd;
}

static int info(int fd, struct bpf_map_info *mi)
{
	__u32 n = sizeof(*mi);

	memset(mi, 0, n);
	return bpf_obj_get_info_by_fd(fd, mi, &n) ? -errno : 0;
}

/* Maps an mmapable array read-only; *entries from the map's info. */
static const void *map_ro(const char *dir, const char *name, __u32 *entries,
			  size_t *len, char *err, size_t errlen)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	struct bpf_map_info mi;
	void *p = MAP_FAILED;
	int fd = get(dir, name, err, errlen);

	if (fd < 0)
		return NULL;
	if (!info(fd, &mi)) {
		*entries = mi.max_entries;
		*len = (((size_t)mi.value_size + 7) / 8 * 8 * mi.max_entries +
			pg - 1) &
		       ~(pg - 1);
		p = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
	}
	if (p == MAP_FAILED)
		snprintf(err, errlen, "map %s/%s: %s", dir, name,
			 strerror(errno));
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

int pins_peek(const char *dir, struct cgnat_cfg *cfg, __be32 *addrs, __u32 max,
	      __u32 *n)
{
	char err[256];
	struct bpf_map_info mi;
	struct cgnat_addr a;
	__u32 i, zero = 0;
	int fc, fa, rc = 0;

	fc = get(dir, "cgnat_cfg", err, sizeof(err));
	if (fc < 0)
		return fc;
	fa = get(dir, "cgnat_addrs", err, sizeof(err));
	if (fa < 0 || bpf_map_lookup_elem(fc, &zero, cfg) || info(fa, &mi))
		rc = fa < 0 ? fa : -errno;
	for (i = 0; !rc && i < mi.max_entries && i < max; i++) {
		if (bpf_map_lookup_elem(fa, &i, &a))
			rc = -errno;
		addrs[i] = a.addr;
	}
	*n = rc ? 0 : i;
	close(fc);
	if (fa >= 0)
		close(fa);
	return rc;
}

static int read_addrs(struct pins *p, const char *dir, char *err, size_t len)
{
	struct bpf_map_info mi;
	__u32 i, zero = 0;
	int fc, fa, rc = 0;

	fc = get(dir, "cgnat_cfg", err, len);
	if (fc < 0)
		return fc;
	fa = get(dir, "cgnat_addrs", err, len);
	if (fa < 0 || bpf_map_lookup_elem(fc, &zero, &p->cfg) || info(fa, &mi))
		rc = fa < 0 ? fa : -errno;
	if (!rc) {
		p->n_addrs = mi.max_entries;
		p->addrs = calloc(mi.max_entries, sizeof(*p->addrs));
		rc = p->addrs ? 0 : -ENOMEM;
	}
	for (i = 0; !rc && i < p->n_addrs; i++)
		if (bpf_map_lookup_elem(fa, &i, &p->addrs[i]))
			rc = -errno;
	if (rc && fa >= 0)
		snprintf(err, len, "read pool addresses in %s: %s", dir,
			 strerror(-rc));
	close(fc);
	if (fa >= 0)
		close(fa);
	return rc;
}

static void count_links(struct pins *p, const char *dir)
{
	const char *names[] = {"link_inside", "link_outside"};
	char path[512];
	struct stat st;
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		p->links += !stat(path, &st);
	}
}

int pins_open(struct pins *p, const char *dir, char *err, size_t len)
{
	__u32 nports;
	int rc;

	memset(p, 0, sizeof(*p));
	p->fd_stats = p->fd_sessions = p->fd_mappings = -1;
	rc = read_addrs(p, dir, err, len);
	if (rc)
		goto fail;
	p->blocks = map_ro(dir, "cgnat_blocks", &p->n_blocks, &p->len_blocks,
			   err, len);
	p->subs = map_ro(dir, "cgnat_subs", &p->n_subs, &p->len_subs, err, len);
	p->ports = map_ro(dir, "cgnat_ports", &nports, &p->len_ports, err, len);
	p->grant_new = map_ro(dir, "cgnat_grant_new", &p->n_grant_new,
			      &p->len_grant_new, err, len);
	if (!p->blocks || !p->subs || !p->ports || !p->grant_new) {
		rc = -EIO;
		goto fail;
	}
	p->fd_stats = get(dir, "cgnat_stats", err, len);
	p->fd_sessions = get(dir, "cgnat_sessions", err, len);
	p->fd_mappings = get(dir, "cgnat_mappings", err, len);
	if (p->fd_stats < 0 || p->fd_sessions < 0 || p->fd_mappings < 0) {
		rc = -EIO;
		goto fail;
	}
	count_links(p, dir);
	return 0;
fail:
	pins_close(p);
	return rc;
}

void pins_close(struct pins *p)
{
	if (p->blocks)
		munmap((void *)p->blocks, p->len_blocks);
	if (p->subs)
		munmap((void *)p->subs, p->len_subs);
	if (p->ports)
		munmap((void *)p->ports, p->len_ports);
	if (p->grant_new)
		munmap((void *)p->grant_new, p->len_grant_new);
	if (p->fd_stats >= 0)
		close(p->fd_stats);
	if (p->fd_sessions >= 0)
		close(p->fd_sessions);
	if (p->fd_mappings >= 0)
		close(p->fd_mappings);
	free(p->addrs);
	memset(p, 0, sizeof(*p));
	p->fd_stats = p->fd_sessions = p->fd_mappings = -1;
}

int pins_stats(const struct pins *p, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	__u64 *vals;
	__u32 i;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < STAT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(p->fd_stats, &i, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

#define BATCH 1024

/* Calls fn for every session, in batches; returns the count or -errno. */
static long walk_sessions(const struct pins *p,
			  int (*fn)(const struct cgnat_sess_key *k,
				    const struct cgnat_sess *s, void *ctx),
			  void *ctx)
{
	static struct cgnat_sess_key keys[BATCH];
	static struct cgnat_sess vals[BATCH];
	struct cgnat_sess_key next;
	long total = 0;
	__u32 i, n;
	void *in = NULL;
	int rc;

	do {
		n = BATCH;
		rc = bpf_map_lookup_batch(p->fd_sessions, in, &next, keys, vals,
					  &n, NULL);
		if (rc && errno != ENOENT)
			return -errno;
		for (i = 0; i < n; i++, total++)
			if (fn && fn(&keys[i], &vals[i], ctx))
				return total + 1;
		in = &next;
	} while (!rc);
	return total;
}

struct sub_filter {
	__be32 sub;
	int (*cb)(const struct cgnat_sess_key *k, const struct cgnat_sess *s,
		  void *ctx);
	void *ctx;
	int n;
};

static int filter(const struct cgnat_sess_key *k, const struct cgnat_sess *s,
		  void *ctx)
{
	struct sub_filter *f = ctx;

	if (k->int_addr != f->sub || k->kind != CGNAT_SK_FLOW)
		return 0;
	f->n++;
	return f->cb(k, s, f->ctx);
}

int pins_sessions(const struct pins *p, __be32 sub,
		  int (*cb)(const struct cgnat_sess_key *k,
			    const struct cgnat_sess *s, void *ctx),
		  void *ctx)
{
	struct sub_filter f = {.sub = sub, .cb = cb, .ctx = ctx};
	long rc = walk_sessions(p, filter, &f);

	return rc < 0 ? (int)rc : f.n;
}

long pins_count_sessions(const struct pins *p)
{
	return walk_sessions(p, NULL, NULL);
}
