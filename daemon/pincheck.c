// SPDX-License-Identifier: GPL-2.0
/*
 * pincheck.c - before reusing pinned maps and links, make sure they were
 * built for this configuration. libbpf refuses maps of another size, but
 * a pool of the same size with other addresses, another port geometry
 * or other subscriber prefixes would be silently reused (the tables are
 * only ever added to): translation and log would then disagree. Pinned
 * links are not checked here: one on another interface than the
 * configured one (renamed, deleted and created again, or another name in
 * the configuration) is replaced at attach (loader.c attach_one).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "daemon/pincheck.h"
#include "daemon/pins.h"

static void add(char *msg, size_t len, const char *what)
{
	size_t n = strlen(msg);

	snprintf(msg + n, len - n, "%s%s", n ? ", " : "", what);
}

/* Every pinned prefix must be one of ours (stale ones would translate). */
static void check_prefixes(const char *dir, const struct dp_opts *o, char *msg,
			   size_t len)
{
	struct cgnat_sub_prefix k, next;
	char path[512];
	void *prev = NULL;
	__u32 i;
	int fd;

	snprintf(path, sizeof(path), "%s/cgnat_sub_prefixes", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		for (i = 0; i < o->n_prefixes; i++)
			if (o->prefixes[i].addr == next.addr &&
			    o->prefixes[i].len == next.prefixlen)
				break;
		if (i == o->n_prefixes) {
			add(msg, len, "subscribers (a prefix was removed)");
			break;
		}
		k = next;
		prev = &k;
	}
	close(fd);
}

int pincheck(const char *dir, const struct dp_opts *o, char *msg, size_t len)
{
	struct cgnat_cfg g;
	__be32 *addrs = calloc(o->n_addrs + 1, sizeof(*addrs));
	__u32 n = 0;
	int rc;

	msg[0] = 0;
	if (!addrs)
		return -ENOMEM;
	rc = pins_peek(dir, &g, addrs, o->n_addrs + 1, &n);
	if (rc) {
		free(addrs);
		return rc == -ENOENT ? 0 : rc; /* nothing pinned yet */
	}
	if (g.port_lo != o->cfg.port_lo || g.block_size != o->cfg.block_size ||
	    g.blocks_per_addr != o->cfg.blocks_per_addr)
		add(msg, len, "ports.range/ports.block_size");
	if (n != o->n_addrs || memcmp(addrs, o->addrs, n * sizeof(*addrs)))
		add(msg, len, "pools[].addresses");
	free(addrs);
	check_prefixes(dir, o, msg, len);
	return msg[0] ? -ESTALE : 0;
}
