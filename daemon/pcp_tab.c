// SPDX-License-Identifier: GPL-2.0
/*
 * pcp_tab.c - see pcp_tab.h. Both hashes use linear probing with
 * backward-shift deletion (no tombstones), sized to a power of two at
 * least twice the entry capacity, so they stay under half full.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/pcp_tab.h"

static unsigned int pcp_tab_hkey(__be32 sub, __be16 port, __u8 proto)
{
	__u64 k = ((__u64)sub << 32) | ((__u64)port << 8) | proto;

	k *= 0x9e3779b97f4a7c15ull;
	return (unsigned int)(k >> 32);
}

static unsigned int pcp_tab_hsub(__be32 sub)
{
	return (unsigned int)(((__u64)sub * 0x9e3779b97f4a7c15ull) >> 32);
}

static unsigned int pcp_tab_home(const struct pcp_tab *t, __u32 v)
{
	const struct pcp_entry *e = &t->e[v - 1];

	return pcp_tab_hkey(e->sub, e->int_port, e->proto) & t->ixmask;
}

/* Slot of the key in ix, or of the free slot where it would go. */
static unsigned int pcp_tab_slot(const struct pcp_tab *t, __be32 sub,
				 __be16 port, __u8 proto)
{
	unsigned int s = pcp_tab_hkey(sub, port, proto) & t->ixmask;

	for (;; s = (s + 1) & t->ixmask) {
		const struct pcp_entry *e;

		if (!t->ix[s])
			return s;
		e = &t->e[t->ix[s] - 1];
		if (e->sub == sub && e->int_port == port && e->proto == proto)
			return s;
	}
}

static unsigned int pcp_tab_subslot(const struct pcp_tab *t, __be32 sub)
{
	unsigned int s = pcp_tab_hsub(sub) & t->ixmask;

	while (t->sc[s].n && t->sc[s].sub != sub)
		s = (s + 1) & t->ixmask;
	return s;
}

/* Empties ix slot s, moving later members of its run back. */
static void pcp_tab_ix_del(struct pcp_tab *t, unsigned int s)
{
	unsigned int j = s, k;

	t->ix[s] = 0;
	for (;;) {
		j = (j + 1) & t->ixmask;
		if (!t->ix[j])
			return;
		k = pcp_tab_home(t, t->ix[j]);
		if (((j - k) & t->ixmask) >= ((j - s) & t->ixmask)) {
			t->ix[s] = t->ix[j];
			t->ix[j] = 0;
			s = j;
		}
	}
}

static void pcp_tab_sc_del(struct pcp_tab *t, unsigned int s)
{
	unsigned int j = s, k;

	t->sc[s].n = 0;
	for (;;) {
		j = (j + 1) & t->ixmask;
		if (!t->sc[j].n)
			return;
		k = pcp_tab_hsub(t->sc[j].sub) & t->ixmask;
		if (((j - k) & t->ixmask) >= ((j - s) & t->ixmask)) {
			t->sc[s] = t->sc[j];
			t->sc[j].n = 0;
			s = j;
		}
	}
}

/* Entries for cap, both hashes rebuilt at 2 * cap slots. */
static int pcp_tab_grow(struct pcp_tab *t, unsigned int cap)
{
	unsigned int slots = 2, i;
	struct pcp_entry *ne;
	struct pcp_subn *sc;
	__u32 *ix;

	while (slots < 2 * cap)
		slots *= 2;
	ne = realloc(t->e, cap * sizeof(*ne));
	if (!ne)
		return -1;
	t->e = ne;
	ix = calloc(slots, sizeof(*ix));
	sc = calloc(slots, sizeof(*sc));
	if (!ix || !sc) {
		free(ix);
		free(sc);
		return -1;
	}
	free(t->ix);
	free(t->sc);
	t->ix = ix;
	t->sc = sc;
	t->ixmask = slots - 1;
	t->cap = cap;
	for (i = 0; i < t->n; i++) {
		const struct pcp_entry *e = &t->e[i];
		unsigned int s = pcp_tab_slot(t, e->sub, e->int_port, e->proto);

		t->ix[s] = i + 1;
		s = pcp_tab_subslot(t, e->sub);
		t->sc[s].sub = e->sub;
		t->sc[s].n++;
	}
	return 0;
}

int pcp_tab_find(const struct pcp_tab *t, __be32 sub, __be16 port, __u8 proto)
{
	unsigned int s;

	if (!t->n)
		return -1;
	s = pcp_tab_slot(t, sub, port, proto);
	return t->ix[s] ? (int)t->ix[s] - 1 : -1;
}

unsigned int pcp_tab_count(const struct pcp_tab *t, __be32 sub)
{
	if (!t->n)
		return 0;
	return t->sc[pcp_tab_subslot(t, sub)].n;
}

struct pcp_entry *pcp_tab_add(struct pcp_tab *t, __be32 sub, __be16 port,
			      __u8 proto)
{
	struct pcp_entry *e;
	unsigned int s;

	if (t->n == t->cap) {
		if (t->cap >= PCP_TAB_MAX ||
		    pcp_tab_grow(t, t->cap ? t->cap * 2 : 64))
			return NULL;
	}
	e = &t->e[t->n];
	memset(e, 0, sizeof(*e));
	e->sub = sub;
	e->int_port = port;
	e->proto = proto;
	t->ix[pcp_tab_slot(t, sub, port, proto)] = ++t->n;
	s = pcp_tab_subslot(t, sub);
	t->sc[s].sub = sub;
	t->sc[s].n++;
	return e;
}

void pcp_tab_remove(struct pcp_tab *t, unsigned int i)
{
	struct pcp_entry *e = &t->e[i];
	unsigned int last = t->n - 1, s;

	s = pcp_tab_subslot(t, e->sub);
	if (!--t->sc[s].n)
		pcp_tab_sc_del(t, s);
	pcp_tab_ix_del(t, pcp_tab_slot(t, e->sub, e->int_port, e->proto));
	if (i != last) {
		const struct pcp_entry *m = &t->e[last];

		t->ix[pcp_tab_slot(t, m->sub, m->int_port, m->proto)] = i + 1;
		*e = *m;
	}
	t->n--;
}

void pcp_tab_free(struct pcp_tab *t)
{
	free(t->e);
	free(t->ix);
	free(t->sc);
	memset(t, 0, sizeof(*t));
}
