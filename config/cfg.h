/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cfg.h - the configuration of cgnatd: the validated form of the YAML file
 * (see config/cgnat.yaml for every key with its default) and the functions
 * that load, check, compare and print it. Loading is the only I/O; the
 * scalar helpers at the end are pure and shared with cgnatctl.
 *
 * Conventions: addresses are host byte order with a prefix length, times are
 * u64 milliseconds (fields named *_ms), functions return 0 or -errno and,
 * on error, write one line "FILE:LINE:COLUMN: key.path: what is wrong (what
 * would be valid)" into the caller's buffer. Lines and columns are 1-based.
 * The *_all loaders keep going after an error, as a compiler does, and
 * return every error found in a struct cfg_errors.
 * Nothing in struct cgnat_config points to the heap, so it may be copied
 * with memcpy; cfg_free() exists so that may change without an API change.
 */
#ifndef CGNAT_CFG_H
#define CGNAT_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_MAX_POOLS 16
#define CFG_MAX_POOL_ADDRESSES 65535	/* summed over all pools */
#define CFG_MAX_PREFIXES 64		/* entries in one address list */
#define CFG_MAX_COLLECTORS 8
#define CFG_MAX_UDP_PORTS 32		/* timeouts.udp_ports overrides */
#define CFG_IFNAME_LEN 16		/* IFNAMSIZ */
#define CFG_NAME_LEN 32
#define CFG_PATH_LEN 256

/* RFC floors on idle timers, lowered by testing.unsafe_short_timers. */
#define CFG_FLOOR_UDP_MS 120000ULL		/* RFC 4787 REQ-5 */
#define CFG_FLOOR_TCP_EST_MS 7440000ULL	/* RFC 5382 REQ-5 */
#define CFG_FLOOR_TCP_TRANS_MS 240000ULL	/* RFC 5382 REQ-5 */
#define CFG_FLOOR_ICMP_MS 60000ULL		/* RFC 5508 REQ-2 */
#define CFG_FLOOR_QUARANTINE_MS 120000ULL	/* RFC 6888 REQ-8 */
#define CFG_FLOOR_UNSAFE_MS 1000ULL

/*
 * interfaces.mss_clamp bounds. 536 is the IPv4 default MSS every host
 * must accept (RFC 9293 3.7.1: 576-byte datagrams less 40 bytes of
 * headers); 65495 is the largest MSS an IPv4 packet can carry (65535 less
 * the same 40).
 */
#define CFG_MSS_MIN 536
#define CFG_MSS_MAX 65495

/* Where a value came from in the file; 0/0 when it is a default. */
struct cfg_mark {
	uint32_t line;
	uint32_t column;
};

/* An IPv4 prefix; a single address is a /32. Host bits are always zero. */
struct cfg_prefix {
	uint32_t addr;		/* host byte order */
	uint8_t len;		/* 0..32 */
	struct cfg_mark mark;
};

struct cfg_prefix_list {
	unsigned int n;
	struct cfg_prefix v[CFG_MAX_PREFIXES];
};

enum cfg_xdp_mode {
	CFG_XDP_NATIVE = 0,
	CFG_XDP_GENERIC = 1,
};

/* Same numbering as enum cgnat_filtering in bpf/cgnat_abi.h. */
enum cfg_filtering {
	CFG_FILTER_EIF = 0,	/* endpoint-independent */
	CFG_FILTER_ADF = 1,	/* address-dependent */
	CFG_FILTER_APDF = 2,	/* address-and-port-dependent */
};

enum cfg_unsolicited_syn {
	CFG_SYN_DROP = 0,
	CFG_SYN_ICMP = 1,
};

enum cfg_transport {
	CFG_TRANSPORT_UDP = 0,
	CFG_TRANSPORT_TCP = 1,
};

/*
 * TCP MSS clamp on SYNs crossing each interface, 0 = off. A tunable:
 * reloads change it live, unlike the rest of interfaces.
 */
struct cfg_mss_clamp {
	uint16_t inside;		/* 0, or CFG_MSS_MIN..CFG_MSS_MAX */
	uint16_t outside;
};

struct cfg_interfaces {
	char inside[CFG_IFNAME_LEN];
	char outside[CFG_IFNAME_LEN];
	enum cfg_xdp_mode xdp_mode;
	struct cfg_mss_clamp mss_clamp;
};

enum cfg_pool_mode {
	CFG_POOL_PBA = 0,		/* port blocks, logged per holding */
	CFG_POOL_DETERMINISTIC = 1,	/* RFC 7422: the layout is the log */
};

/*
 * One external address pool. With a single pool, subscribers defaults to the
 * top-level subscribers; with several, every pool names its own. The
 * deterministic keys (allocator/det.h has the layout) apply only with
 * mode deterministic.
 */
struct cfg_pool {
	char name[CFG_NAME_LEN];
	struct cfg_mark mark;		/* the pool's mapping in the file */
	struct cfg_prefix_list addresses;
	struct cfg_prefix_list subscribers;
	enum cfg_pool_mode mode;
	uint32_t ports_per_subscriber;	/* multiple of 64; 0 = unset */
	bool include_boundary_addresses; /* false: skip each prefix's first
					  * and last address */
	uint32_t overflow_blocks;	/* 0 = refuse when the range is full */
};

struct cfg_ports {
	uint32_t first;			/* multiple of 64, >= 1024 */
	uint32_t last;			/* <= 65535 */
	uint32_t block_size;		/* multiple of 64, 64..4096 */
	uint32_t max_blocks;		/* per subscriber, 1..32 */
	bool parity;			/* RFC 4787 REQ-4 */
};

struct cfg_blocks {
	uint64_t idle_release_ms;
	uint64_t keep_last_ms;
	uint64_t lifetime_ms;		/* 0 = no limit */
	uint64_t quarantine_ms;
	uint64_t interim_log_ms;	/* 0 = no interim records */
	uint32_t max_quarantined;	/* 0 = no limit */
};

struct cfg_unreachable {
	uint8_t type;			/* always 3, Destination Unreachable */
	uint8_t code;			/* 1 per RFC 6888 REQ-11 */
	uint32_t rate;			/* per second, 0 = never send */
};

struct cfg_nat {
	enum cfg_filtering filtering;
	bool hairpinning;
	bool inbound_refresh;
	enum cfg_unsolicited_syn unsolicited_syn;
	struct cfg_unreachable unreachable;
};

struct cfg_udp_port {
	uint16_t port;			/* destination port, 0..1023 */
	uint64_t timeout_ms;
};

struct cfg_timeouts {
	uint64_t udp_ms;
	unsigned int n_udp_ports;
	struct cfg_udp_port udp_ports[CFG_MAX_UDP_PORTS];
	uint64_t tcp_established_ms;
	uint64_t tcp_transitory_ms;
	uint64_t icmp_ms;
};

struct cfg_limits {
	uint32_t sessions;		/* session table size */
	uint32_t sessions_per_subscriber; /* 0 = no limit */
	uint32_t subscribers;		/* subscriber table size */
	uint32_t new_flows_per_subscriber; /* a second; 0 = no limit */
	uint32_t new_flows_burst;	/* 0 = one second's worth */
};

struct cfg_thresholds {
	uint8_t pool_high;		/* percent */
	uint8_t pool_low;
	uint8_t subscriber_high;
};

/* log.central: the fleet log in PostgreSQL; off while url is "". */
#define CFG_URL_LEN 512
struct cfg_central {
	char url[CFG_URL_LEN];		/* postgresql://... (libpq URI) */
	char node[CFG_NAME_LEN * 2];	/* this box's name in the fleet */
};

struct cfg_log {
	char database[CFG_PATH_LEN];	/* absolute path */
	uint64_t retention_ms;		/* 0 = keep forever */
	bool session_events;
	/* Events kept while the log cannot commit before new port blocks
	 * are held (daemon/evlog.c). */
	uint32_t max_backlog;
	struct cfg_central central;
};

struct cfg_collector {
	uint32_t addr;			/* host byte order */
	uint16_t port;
	enum cfg_transport transport;
	struct cfg_mark mark;
};

struct cfg_ipfix {
	uint32_t observation_domain;
	uint64_t template_refresh_ms;
	bool pool_id;
	unsigned int n_collectors;	/* 0 = no IPFIX export */
	struct cfg_collector collectors[CFG_MAX_COLLECTORS];
};

/* ha: an active/standby pair (docs/ha.md); off while
 * address is 0. Addresses in host byte order. */
struct cfg_ha {
	uint32_t address;		/* this box on the sync link */
	uint32_t peer;			/* the other box on the sync link */
	uint16_t port;			/* sync port, the same on both */
	uint64_t refresh_ms;		/* every entry sent again this often */
	uint64_t alone_ms;		/* standby: eligible without a peer */
};

/* pcp: the Port Control Protocol server (RFC 6887, NAT-PMP too) on the
 * inside address; docs/pcp.md. */
struct cfg_pcp {
	bool enabled;
	bool third_party;		/* honour THIRD_PARTY (else refused) */
	uint64_t min_lifetime_ms;	/* granted lifetimes are clamped */
	uint64_t max_lifetime_ms;
	uint32_t per_subscriber;	/* PCP mappings per subscriber */
	uint32_t rate;			/* requests per second per subscriber */
};

struct cfg_testing {
	bool unsafe_short_timers;
};

struct cgnat_config {
	char source[CFG_PATH_LEN];	/* file name used in messages */
	uint32_t instance;
	struct cfg_interfaces interfaces;
	struct cfg_prefix_list subscribers;
	unsigned int n_pools;
	struct cfg_pool pools[CFG_MAX_POOLS];
	struct cfg_ports ports;
	struct cfg_blocks blocks;
	struct cfg_nat nat;
	struct cfg_timeouts timeouts;
	struct cfg_limits limits;
	struct cfg_thresholds thresholds;
	struct cfg_log log;
	struct cfg_ipfix ipfix;
	struct cfg_ha ha;
	struct cfg_pcp pcp;
	struct cfg_testing testing;
};

#define CFG_ERR_LEN 512		/* one message */
#define CFG_ERRORS_MAX 50	/* messages kept; the rest are only counted */

/* One error: "FILE:LINE:COLUMN: key.path: problem (fix)" and its mark. */
struct cfg_error {
	struct cfg_mark mark;	/* 0/0: not about a place (file unreadable) */
	unsigned int seq;	/* order found, breaks ties in file order */
	char msg[CFG_ERR_LEN];
};

/* Every error one load found; v[] is sorted in file order. */
struct cfg_errors {
	unsigned int n;		/* errors found, may exceed kept */
	unsigned int kept;	/* entries of v[] */
	struct cfg_error v[CFG_ERRORS_MAX];
	char first[CFG_ERR_LEN]; /* the first found: what cfg_load_file() says */
};

/* --- cfg.c: entry points ------------------------------------------------ */

/*
 * Fill every key with its documented default. The required lists
 * (subscribers, pools) and ipfix.collectors are left empty.
 */
void cfg_defaults(struct cgnat_config *cfg);

/*
 * Parse and validate YAML text. name is the file name used in messages.
 * Returns 0, -EINVAL for any problem with the text (err names the first
 * found; cfg_load_string_all() lists them all), or -ENOMEM. On error *cfg is unspecified but may be passed to cfg_free().
 */
int cfg_load_string(const char *name, const char *yaml, size_t len,
		    struct cgnat_config *cfg, char *err, size_t errlen);

/* As cfg_load_string() on the contents of path; -errno if unreadable. */
int cfg_load_file(const char *path, struct cgnat_config *cfg, char *err,
		  size_t errlen);

/*
 * As cfg_load_string() and cfg_load_file(), but report every error found:
 * loading goes on after an error wherever that is safe (see cfg_err.c),
 * and a YAML syntax error is reported with the errors of the text before
 * it. errs is filled in either case (errs->n == 0 on success).
 */
int cfg_load_string_all(const char *name, const char *yaml, size_t len,
			struct cgnat_config *cfg, struct cfg_errors *errs);
int cfg_load_file_all(const char *path, struct cgnat_config *cfg,
		      struct cfg_errors *errs);

/* "3 errors", or "60 errors (50 shown)". */
void cfg_errors_summary(const struct cfg_errors *errs, char *buf, size_t len);
/* Each kept message on a line, "... and N more" if some were not kept, then
 * the summary line.
 */
void cfg_errors_print(FILE *out, const struct cfg_errors *errs);

/* Release what loading allocated (nothing today) and reset to defaults. */
void cfg_free(struct cgnat_config *cfg);

/* --- cfg_diff.c --------------------------------------------------------- */

/*
 * Compare a running configuration with a newly loaded one. msg receives
 * "no changes" or "live: k1, k2; restart: k3" naming the changed keys.
 * Returns 1 if any change needs a restart of cgnatd, else 0. Pools may
 * only grow their address lists live; everything else about pools needs a
 * restart.
 */
int cfg_reload_diff(const struct cgnat_config *old,
		    const struct cgnat_config *new, char *msg, size_t len);

/* --- cfg_dump.c --------------------------------------------------------- */

/*
 * Print the effective configuration in the YAML shape of the file, every
 * default filled in. The output loads back into an equal configuration.
 * Returns 0 or -EIO.
 */
int cfg_dump(FILE *out, const struct cgnat_config *cfg);

/* --- cfg_det.c: deterministic pools (RFC 7422) --------------------------- */

struct det_layout;

/*
 * The layout of deterministic pool 'pool' (allocator/det.h). Returns 0,
 * -EINVAL (not a deterministic pool, or unusable) or -ENOSPC (does not
 * fit; a validated configuration never does that).
 */
int cfg_det_layout(const struct cgnat_config *cfg, unsigned int pool,
		   struct det_layout *l);
/* Index (within an address) of the first port block wholly above the
 * deterministic region, and how many blocks lie there: overflow blocks
 * come from these.
 */
uint32_t cfg_det_first_block(const struct cgnat_config *cfg,
			     const struct det_layout *l);
uint32_t cfg_det_overflow_blocks(const struct cgnat_config *cfg,
				 const struct det_layout *l);

/* --- cfg_values.c: pure scalar helpers ---------------------------------- */

/* "N", "Nms", "Ns", "Nm", "Nh" or "Nd"; a bare N is seconds. */
int cfg_parse_duration(const char *s, uint64_t *ms);
/* Exact, in d (if >= 2d), h (if >= 2h), s or ms: "180d", "24h", "7440s". */
void cfg_format_duration(uint64_t ms, char *buf, size_t len);
/* Decimal without sign or leading zeros; -ERANGE above max. */
int cfg_parse_uint(const char *s, uint64_t max, uint64_t *out);
/* "true" or "false". */
int cfg_parse_bool(const char *s, bool *out);
/* Dotted quad, no leading zeros; *addr in host order. */
int cfg_parse_ipv4(const char *s, uint32_t *addr);
/* "a.b.c.d/len" or "a.b.c.d" (a /32). Host bits are returned as written. */
int cfg_parse_prefix(const char *s, uint32_t *addr, uint8_t *len);
/* "first-last" with both in 0..65535 and first <= last; -ERANGE if
 * first > last, -EINVAL for anything else.
 */
int cfg_parse_port_range(const char *s, uint32_t *first, uint32_t *last);
/* "a.b.c.d/len", or "a.b.c.d" for a /32. */
void cfg_format_prefix(uint32_t addr, uint8_t len, char *buf, size_t buflen);
void cfg_format_ipv4(uint32_t addr, char *buf, size_t buflen);
/* Netmask of a prefix length, host order. */
uint32_t cfg_prefix_mask(uint8_t len);

#endif /* CGNAT_CFG_H */
