/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The encoder: libfixbuf's information model, one export session holding
 * the observation domain and the templates, and an fBuf in manual mode
 * whose exporter is a plain memory buffer. ipfix_encode_*() append records
 * or templates; every finished IPFIX message is handed to the emit callback
 * and the encoder keeps no I/O of its own, so it runs the same way for
 * sockets, files and tests. Not thread-safe: one owner thread (libfixbuf
 * objects have no locks).
 */
#ifndef CGNAT_IPFIX_ENC_H
#define CGNAT_IPFIX_ENC_H

#include <stddef.h>
#include <stdint.h>

#include "exporter/ipfix_model.h"

/* UDP limit (RFC 7011 §10.3.3: fit the path MTU); also used for TCP/file. */
#define IPFIX_MTU	1420

/*
 * Called once per finished message. msg is valid only during the call;
 * nrec is its number of data records (0 for a template message).
 */
typedef void (*ipfix_emit_fn)(void *ctx, const uint8_t *msg, size_t len,
			      unsigned int nrec);

struct ipfix_enc;

/*
 * Build the model, session (domain set first: templates are scoped to it)
 * and the templates enabled by o. mtu <= IPFIX_MTU, >= 256. Returns 0,
 * -ENOMEM, or -EINVAL if libfixbuf rejects a template (logged).
 */
int ipfix_enc_create(const struct ipfix_model_opts *o, uint32_t domain,
		     uint16_t mtu, ipfix_emit_fn emit, void *ctx,
		     struct ipfix_enc **out);

/* Emits nothing; drops an unfinished message. */
void ipfix_enc_destroy(struct ipfix_enc *enc);

/* Export time (s) for messages started from now on; 0 = wall clock. */
void ipfix_enc_set_export_time(struct ipfix_enc *enc, uint32_t secs);

/*
 * Append one event checked by ipfix_event_check(). Emits the current
 * message first when the record does not fit. Returns 0 or -EIO.
 */
int ipfix_encode_event(struct ipfix_enc *enc, const struct ipfix_event *ev);

/* Emit the unfinished data message, if any. Returns 0 or -EIO. */
int ipfix_encode_flush(struct ipfix_enc *enc);

/*
 * Emit the unfinished data message, then one message holding every
 * enabled template. Returns 0 or -EIO.
 */
int ipfix_encode_templates(struct ipfix_enc *enc);

/* Records in the unfinished message. */
unsigned int ipfix_enc_pending(const struct ipfix_enc *enc);

/* Sequence number the next data message will carry. */
uint32_t ipfix_enc_sequence(const struct ipfix_enc *enc);

#endif /* CGNAT_IPFIX_ENC_H */
