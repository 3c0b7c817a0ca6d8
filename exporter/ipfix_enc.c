// SPDX-License-Identifier: GPL-2.0
/*
 * libfixbuf glue for the encoder. The fBuf runs in manual mode over a
 * memory-buffer exporter, so every message boundary is ours: when a record
 * does not fit, fBufAppend() fails with FB_ERROR_EOM, we emit and retry.
 * Only fixed-length IEs are used, which keeps libfixbuf 2.4.1 from ending a
 * message with an empty set (fixed in 2.5.2). Templates are exported one
 * by one in ID order so the bytes do not depend on glib's hash order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <fixbuf/public.h>

#include "exporter/ipfix_enc.h"
#include "exporter/ipfix_internal.h"

struct ipfix_enc {
	struct ipfix_model_opts opts;
	fbInfoModel_t *model;
	fBuf_t *fbuf;		/* owns the session and the exporter */
	fbExporter_t *exporter;
	ipfix_emit_fn emit;
	void *ctx;
	uint16_t cur_tid;
	unsigned int pending;	/* data records in the open message */
	int tmpl_open;		/* the open message holds templates */
	uint32_t seq;		/* data records emitted so far */
	uint8_t msg[IPFIX_MTU];
};

static int enc_fail(const char *what, GError *err)
{
	ipfix_log(LOG_ERR, "ipfix: %s: %s", what, err ? err->message : "?");
	g_clear_error(&err);
	return -EIO;
}

/* Append ies (0-terminated when n is 0) to a new template of the model. */
static fbTemplate_t *tmpl_build(fbInfoModel_t *model,
				const struct ipfix_ie *ies, unsigned int n)
{
	fbTemplate_t *t = fbTemplateAlloc(model);
	const fbInfoElement_t *ie;
	GError *err = NULL;
	unsigned int i;

	for (i = 0; n ? i < n : ies[i].id != 0; i++) {
		fbInfoElementSpec_t spec[2] = { FB_IESPEC_NULL,
						FB_IESPEC_NULL };

		ie = fbInfoModelGetElementByID(model, ies[i].id, 0);
		if (!ie) {
			ipfix_log(LOG_ERR, "ipfix: IE %u not in the model",
				  ies[i].id);
			goto fail;
		}
		spec[0].name = (char *)ie->ref.name;
		spec[0].len_override = ies[i].len;
		if (!fbTemplateAppendSpecArray(t, spec, 0, &err)) {
			enc_fail("template append", err);
			goto fail;
		}
	}
	return t;
fail:
	fbTemplateFreeUnused(t);
	return NULL;
}

static int add_tmpl(fbSession_t *s, int internal, uint16_t tid,
		    fbTemplate_t *t)
{
	GError *err = NULL;

	if (!t)
		return -EINVAL;
	if (!fbSessionAddTemplate(s, internal, tid, t, &err)) {
		fbTemplateFreeUnused(t);
		return enc_fail("add template", err);
	}
	return 0;
}

static int add_templates(struct ipfix_enc *enc, fbSession_t *s)
{
	struct ipfix_ie ies[IPFIX_MAX_IES];
	fbTemplate_t *t;
	unsigned int k, n;
	int ret;

	t = tmpl_build(enc->model, ipfix_rec_ies, 0);
	if (t && fbTemplateGetIELenOfMemBuffer(t) != sizeof(struct ipfix_rec)) {
		ipfix_log(LOG_ERR, "ipfix: internal template is %u bytes",
			  fbTemplateGetIELenOfMemBuffer(t));
		fbTemplateFreeUnused(t);
		return -EINVAL;
	}
	ret = add_tmpl(s, TRUE, IPFIX_TID_INTERNAL, t);
	for (k = 0; !ret && k < IPFIX_K_COUNT; k++) {
		n = ipfix_kind_ies(&enc->opts, k, ies);
		if (n)
			ret = add_tmpl(s, FALSE, ipfix_kind_tid(&enc->opts, k),
				       tmpl_build(enc->model, ies, n));
	}
	return ret;
}

static int enc_setup(struct ipfix_enc *enc, uint32_t domain, uint16_t mtu)
{
	fbSession_t *s;
	GError *err = NULL;
	int ret;

	enc->model = fbInfoModelAlloc();
	s = fbSessionAlloc(enc->model);
	/* Before the templates: external templates belong to a domain. */
	fbSessionSetDomain(s, domain);
	ret = add_templates(enc, s);
	if (ret) {
		fbSessionFree(s);
		return ret;
	}
	enc->exporter = fbExporterAllocBuffer(enc->msg, mtu);
	enc->fbuf = fBufAllocForExport(s, enc->exporter);
	fBufSetAutomaticMode(enc->fbuf, FALSE);
	if (!fBufSetInternalTemplate(enc->fbuf, IPFIX_TID_INTERNAL, &err))
		return enc_fail("set internal template", err);
	return 0;
}

int ipfix_enc_create(const struct ipfix_model_opts *o, uint32_t domain,
		     uint16_t mtu, ipfix_emit_fn emit, void *ctx,
		     struct ipfix_enc **out)
{
	struct ipfix_enc *enc;
	int ret;

	if (mtu > IPFIX_MTU || mtu < 256 || !emit)
		return -EINVAL;
	enc = calloc(1, sizeof(*enc));
	if (!enc)
		return -ENOMEM;
	enc->opts = *o;
	enc->emit = emit;
	enc->ctx = ctx;
	ret = enc_setup(enc, domain, mtu);
	if (ret) {
		ipfix_enc_destroy(enc);
		return ret;
	}
	*out = enc;
	return 0;
}

void ipfix_enc_destroy(struct ipfix_enc *enc)
{
	if (!enc)
		return;
	if (enc->fbuf)
		fBufFree(enc->fbuf);	/* frees session and exporter */
	if (enc->model)
		fbInfoModelFree(enc->model);
	free(enc);
}

void ipfix_enc_set_export_time(struct ipfix_enc *enc, uint32_t secs)
{
	fBufSetExportTime(enc->fbuf, secs);
}

static int emit_msg(struct ipfix_enc *enc)
{
	GError *err = NULL;
	unsigned int nrec = enc->pending;
	int had_msg = nrec || enc->tmpl_open;

	/* Called with nothing open after a template export: still resets. */
	if (!fBufEmit(enc->fbuf, &err))
		return enc_fail("emit", err);
	enc->pending = 0;
	enc->tmpl_open = 0;
	if (!had_msg)
		return 0;
	enc->seq += nrec;
	enc->emit(enc->ctx, enc->msg, fbExporterGetMsgLen(enc->exporter), nrec);
	return 0;
}

static int is_eom(GError *err)
{
	return g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOM);
}

int ipfix_encode_event(struct ipfix_enc *enc, const struct ipfix_event *ev)
{
	struct ipfix_rec rec;
	GError *err = NULL;
	uint16_t tid;
	int try, ret;

	tid = ipfix_event_to_rec(&enc->opts, ev, &rec);
	if (tid != enc->cur_tid) {
		if (!fBufSetExportTemplate(enc->fbuf, tid, &err))
			return enc_fail("set export template", err);
		enc->cur_tid = tid;
	}
	for (try = 0; try < 2; try++) {
		if (fBufAppend(enc->fbuf, (uint8_t *)&rec, sizeof(rec), &err)) {
			enc->pending++;
			return 0;
		}
		if (!is_eom(err) || try)
			break;
		g_clear_error(&err);
		ret = emit_msg(enc);
		if (ret)
			return ret;
	}
	return enc_fail("append", err);
}

int ipfix_encode_flush(struct ipfix_enc *enc)
{
	if (!enc->pending)
		return 0;
	return emit_msg(enc);
}

static int export_one(struct ipfix_enc *enc, uint16_t tid)
{
	GError *err = NULL;
	int try, ret;

	for (try = 0; try < 2; try++) {
		if (fbSessionExportTemplate(fBufGetSession(enc->fbuf), tid,
					    &err)) {
			enc->tmpl_open = 1;
			return 0;
		}
		/* The first template of a message forces a new message. */
		if (!is_eom(err) || try)
			break;
		g_clear_error(&err);
		ret = emit_msg(enc);
		if (ret)
			return ret;
	}
	return enc_fail("export template", err);
}

int ipfix_encode_templates(struct ipfix_enc *enc)
{
	unsigned int k;
	int ret;

	ret = ipfix_encode_flush(enc);
	for (k = 0; !ret && k < IPFIX_K_COUNT; k++)
		if (ipfix_kind_enabled(&enc->opts, k))
			ret = export_one(enc, ipfix_kind_tid(&enc->opts, k));
	if (!ret)
		ret = emit_msg(enc);
	/* The next data record must select its template again. */
	enc->cur_tid = 0;
	return ret;
}

unsigned int ipfix_enc_pending(const struct ipfix_enc *enc)
{
	return enc->pending;
}

uint32_t ipfix_enc_sequence(const struct ipfix_enc *enc)
{
	return enc->seq;
}
