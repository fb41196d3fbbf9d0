
/*
 * ngx_http_mlpredict_module: machine-learning predictions inside nginx.
 *
 * Directives, the model registry, the content handler, body collection and
 * HTTP responses; the variable (mlpredict_score) is in
 * ngx_http_mlpredict_variable.c. The arithmetic lives in the core
 * (core/mlp.h), which knows nothing of nginx.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "mlp.h"
#include "ngx_http_mlpredict.h"


#define NGX_HTTP_MLPREDICT_MAX_BATCH  1000


static ngx_int_t ngx_http_mlpredict_handler(ngx_http_request_t *r);
static void ngx_http_mlpredict_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_mlpredict_json_type(ngx_http_request_t *r);
static ngx_int_t ngx_http_mlpredict_send(ngx_http_request_t *r,
    ngx_uint_t status, u_char *data, size_t len);

static ngx_int_t ngx_http_mlpredict_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_mlpredict_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);

static char *ngx_http_mlpredict(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_mlpredict_describe(ngx_conf_t *cf,
    ngx_http_mlpredict_model_t *mm);
static void ngx_http_mlpredict_cleanup(void *data);
static void *ngx_http_mlpredict_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_mlpredict_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_mlpredict_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_mlpredict_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_mlpredict_init_module(ngx_cycle_t *cycle);
static char *ngx_http_mlpredict_heap_keep(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_mlpredict_init_process(ngx_cycle_t *cycle);


static ngx_conf_num_bounds_t  ngx_http_mlpredict_max_batch_bounds = {
    ngx_conf_check_num_bounds, 1, 10000000
};


static ngx_command_t  ngx_http_mlpredict_commands[] = {

    { ngx_string("mlpredict"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_mlpredict,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mlpredict_score"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_BLOCK|NGX_CONF_TAKE2,
      ngx_http_mlpredict_score,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mlpredict_model"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE23,
      ngx_http_mlpredict_model,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mlpredict_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mlpredict_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mlpredict_max_batch"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mlpredict_loc_conf_t, max_batch),
      &ngx_http_mlpredict_max_batch_bounds },

    { ngx_string("mlpredict_explain"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mlpredict_loc_conf_t, explain),
      NULL },

    { ngx_string("mlpredict_heap_keep"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_mlpredict_heap_keep,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_mlpredict_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_mlpredict_init,               /* postconfiguration */

    ngx_http_mlpredict_create_main_conf,   /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_mlpredict_create_loc_conf,    /* create location configuration */
    ngx_http_mlpredict_merge_loc_conf      /* merge location configuration */
};


ngx_module_t  ngx_http_mlpredict_module = {
    NGX_MODULE_V1,
    &ngx_http_mlpredict_module_ctx,        /* module context */
    ngx_http_mlpredict_commands,           /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_mlpredict_init_module,        /* init module */
    ngx_http_mlpredict_init_process,       /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_str_t  ngx_http_mlpredict_json = ngx_string("application/json");


static ngx_int_t
ngx_http_mlpredict_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_table_elt_t                *allow;
    ngx_http_mlpredict_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mlpredict_module);

    if (mlcf->model == NULL) {
        return NGX_DECLINED;
    }

    if (ngx_http_mlpredict_get_ctx(r) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_mlpredict_send(r, NGX_HTTP_OK, mlcf->model->info.data,
                                       mlcf->model->info.len);
    }

    if (!(r->method & NGX_HTTP_POST)) {
        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        allow = ngx_list_push(&r->headers_out.headers);
        if (allow == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        allow->hash = 1;
        ngx_str_set(&allow->key, "Allow");
        ngx_str_set(&allow->value, "GET, HEAD, POST");

        return ngx_http_mlpredict_send_error(r, NGX_HTTP_NOT_ALLOWED,
                   "method not allowed: POST a JSON body to predict, GET "
                   "the model's metadata");
    }

    if (ngx_http_mlpredict_json_type(r) != NGX_OK
        && !ngx_http_mlpredict_is_csv(r))
    {
        rc = ngx_http_discard_request_body(r);

        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_mlpredict_send_error(r,
                   NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                   "unsupported Content-Type: send application/json "
                   "(or text/csv)");
    }

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_mlpredict_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_mlpredict_body_handler(ngx_http_request_t *r)
{
    char                           *resp;
    size_t                          resp_len;
    uint64_t                        t0;
    ngx_int_t                       rc, failed;
    ngx_uint_t                      csv_failed;
    ngx_str_t                       body;
    mlp_alloc_t                     a;
    mlp_error_t                     e;
    mlp_outcome_t                   oc;
    ngx_http_mlpredict_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mlpredict_module);

    rc = ngx_http_mlpredict_collect_body(r, &body);

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    a.alloc = ngx_http_mlpredict_alloc;
    a.data = r->pool;

    ngx_memzero(&oc, sizeof(mlp_outcome_t));

    t0 = ngx_http_mlpredict_clock();

    if (ngx_http_mlpredict_is_csv(r)) {
        csv_failed = 0;
        rc = ngx_http_mlpredict_csv_location(r, &body, &oc, &csv_failed);
        ngx_http_mlpredict_note(r, &oc, ngx_http_mlpredict_clock() - t0,
                                csv_failed);
        ngx_http_finalize_request(r, rc);
        return;
    }

    failed = mlp_handle_request_flags(mlcf->model->model, (char *) body.data,
                                      body.len, (size_t) mlcf->max_batch,
                                      mlcf->explain ? MLP_ALLOW_EXPLAIN : 0,
                                      &a, &resp, &resp_len, &oc, &e);

    ngx_http_mlpredict_note(r, &oc, ngx_http_mlpredict_clock() - t0, failed);

    if (failed) {
        if (e.status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "mlpredict: %s", e.message);
            ngx_http_finalize_request(r, e.status);
            return;
        }

        rc = ngx_http_mlpredict_send_error(r, e.status, e.message);
        ngx_http_finalize_request(r, rc);
        return;
    }

    rc = ngx_http_mlpredict_send(r, NGX_HTTP_OK, (u_char *) resp, resp_len);
    ngx_http_finalize_request(r, rc);
}


/*
 * The body as one contiguous string: used in place when nginx holds it in
 * a single memory buffer, else copied from the chain and any temp file.
 */

ngx_int_t
ngx_http_mlpredict_collect_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    off_t         len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    ngx_str_null(body);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && !cl->buf->in_file) {
        body->data = cl->buf->pos;
        body->len = cl->buf->last - cl->buf->pos;
        return NGX_OK;
    }

    len = 0;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? b->file_last - b->file_pos : b->last - b->pos;
    }

    if (len == 0) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, (size_t) len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body->data = p;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            /* a chunked body's last buffer is empty, its pos NULL */
            if (b->last != b->pos) {
                p = ngx_cpymem(p, b->pos, b->last - b->pos);
            }

            continue;
        }

        n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos),
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "mlpredict: short read of the body's temp file "
                          "\"%V\"", &b->file->name);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p += n;
    }

    body->len = p - body->data;

    return NGX_OK;
}


/*
 * The body as at most two pieces without a copy: nginx keeps the part that
 * came with the headers in their buffer and reads the rest into its own,
 * a chain link a recv() (neighbours, merged back here). Anything else (a
 * temp file, more pieces) is joined as above.
 */

ngx_int_t
ngx_http_mlpredict_body_pieces(ngx_http_request_t *r, ngx_str_t *body,
    ngx_str_t *tail)
{
    ngx_str_t    *piece;
    ngx_uint_t    n;
    ngx_chain_t  *cl;

    ngx_str_null(body);
    ngx_str_null(tail);

    if (r->request_body == NULL) {
        return NGX_OK;
    }

    n = 0;
    piece = NULL;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {

        /* a chunked body's last buffer is empty */
        if (!cl->buf->in_file && cl->buf->last == cl->buf->pos) {
            continue;
        }

        if (cl->buf->in_file) {
            break;
        }

        if (piece != NULL && cl->buf->pos == piece->data + piece->len) {
            piece->len += cl->buf->last - cl->buf->pos;
            continue;
        }

        if (n == 2) {
            break;
        }

        piece = (n++ == 0) ? body : tail;
        piece->data = cl->buf->pos;
        piece->len = cl->buf->last - cl->buf->pos;
    }

    if (cl != NULL) {
        ngx_str_null(tail);
        return ngx_http_mlpredict_collect_body(r, body);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mlpredict: body read in place, %uz + %uz bytes",
                   body->len, tail->len);

    return NGX_OK;
}


/* No Content-Type is taken as JSON; otherwise application/json[; ...]. */

static ngx_int_t
ngx_http_mlpredict_json_type(ngx_http_request_t *r)
{
    u_char     *p, *last;
    ngx_str_t  *ct;

    if (r->headers_in.content_type == NULL) {
        return NGX_OK;
    }

    ct = &r->headers_in.content_type->value;
    last = ct->data + ct->len;

    p = ct->data;

    while (p < last && *p != ';' && *p != ' ' && *p != '\t') {
        p++;
    }

    if ((size_t) (p - ct->data) == ngx_http_mlpredict_json.len
        && ngx_strncasecmp(ct->data, ngx_http_mlpredict_json.data,
                           ngx_http_mlpredict_json.len)
           == 0)
    {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_mlpredict_send(ngx_http_request_t *r, ngx_uint_t status,
    u_char *data, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_type = ngx_http_mlpredict_json;
    r->headers_out.content_type_len = ngx_http_mlpredict_json.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = data;
    b->last = data + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* A client's mistake: logged at info, answered {"error": "..."}. */

ngx_int_t
ngx_http_mlpredict_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *message)
{
    u_char                    *p;
    size_t                     size, len;
    ngx_http_mlpredict_ctx_t  *ctx;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "mlpredict: %s", message);

    ctx = ngx_http_get_module_ctx(r, ngx_http_mlpredict_module);
    ctx->own = 1;

    size = 6 * ngx_strlen(message) + 16;

    p = ngx_pnalloc(r->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = mlp_write_error(message, (char *) p, size);

    return ngx_http_mlpredict_send(r, status, p, len);
}


ngx_http_mlpredict_model_t *
ngx_http_mlpredict_location_model(ngx_http_request_t *r)
{
    ngx_http_mlpredict_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mlpredict_module);

    return mlcf->model;
}


void *
ngx_http_mlpredict_alloc(void *data, size_t size)
{
    return ngx_palloc(data, size);
}


ngx_http_mlpredict_ctx_t *
ngx_http_mlpredict_get_ctx(ngx_http_request_t *r)
{
    ngx_http_mlpredict_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_mlpredict_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_mlpredict_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_mlpredict_module);
    }

    return ctx;
}


/*
 * Errors that nginx itself answers in an mlpredict location (413 for a body
 * over client_max_body_size, 400 for a broken chunked body, 408, 500...)
 * become JSON too: clients of this API parse every answer as JSON.
 */

static ngx_int_t
ngx_http_mlpredict_header_filter(ngx_http_request_t *r)
{
    u_char                         *p;
    size_t                          size;
    ngx_uint_t                      status;
    const char                     *message;
    ngx_http_mlpredict_ctx_t       *ctx;
    ngx_http_mlpredict_loc_conf_t  *mlcf;

    status = r->headers_out.status;

    /* only nginx's own error pages: err_status marks them, not "return" */
    if (r != r->main || status < NGX_HTTP_BAD_REQUEST || r->err_status == 0) {
        return ngx_http_next_header_filter(r);
    }

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mlpredict_module);

    if (mlcf->model == NULL && !mlcf->api) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_mlpredict_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (ctx->own) {
        return ngx_http_next_header_filter(r);
    }

    switch (status) {
    case NGX_HTTP_BAD_REQUEST:
        message = "bad request";
        break;
    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        message = "request body too large (over client_max_body_size)";
        break;
    default:
        message = status >= NGX_HTTP_INTERNAL_SERVER_ERROR
                  ? "internal server error" : "request refused";
    }

    size = 6 * ngx_strlen(message) + 16;

    p = ngx_pnalloc(r->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->error.data = p;
    ctx->error.len = mlp_write_error(message, (char *) p, size);
    ctx->replace = 1;

    r->headers_out.content_type = ngx_http_mlpredict_json;
    r->headers_out.content_type_len = ngx_http_mlpredict_json.len;
    r->headers_out.content_type_lowcase = NULL;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    r->headers_out.content_length_n = ctx->error.len;

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_mlpredict_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t                 *b;
    ngx_chain_t               *cl, out;
    ngx_http_mlpredict_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_mlpredict_module);

    if (ctx == NULL || !ctx->replace) {
        return ngx_http_next_body_filter(r, in);
    }

    /* nginx's HTML page is consumed unsent; our JSON goes instead */
    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->sent) {
        /* still let a later call flush what is buffered downstream */
        return ngx_http_next_body_filter(r, NULL);
    }

    ctx->sent = 1;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = ctx->error.data;
    b->last = ctx->error.data + ctx->error.len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


static char *
ngx_http_mlpredict(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mlpredict_loc_conf_t *mlcf = conf;

    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    /* one endpoint a location: a model, or the protocol routes */
    if (mlcf->model != NULL || mlcf->api) {
        return "is duplicate";
    }

    value = cf->args->elts;

    mlcf->model = ngx_http_mlpredict_load(cf, &value[1]);

    if (mlcf->model == NULL) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_mlpredict_handler;

    return NGX_CONF_OK;
}


/*
 * The registry: the model file at path (relative to the prefix), loaded
 * once per configuration whoever names it. NULL with the reason logged.
 */

ngx_http_mlpredict_model_t *
ngx_http_mlpredict_load(ngx_conf_t *cf, ngx_str_t *name)
{
    char                              err[MLP_ERR_LEN];
    ngx_str_t                         path, *value;
    ngx_uint_t                        i;
    ngx_file_info_t                   fi;
    ngx_pool_cleanup_t               *cln;
    ngx_http_mlpredict_model_t      **mmp, *mm;
    ngx_http_mlpredict_main_conf_t   *mmcf;

    path = *name;

    if (path.len == 0) {
        value = cf->args->elts;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" directive takes a "
                           "model file path, not an empty string", &value[0]);
        return NULL;
    }

    if (ngx_conf_full_name(cf->cycle, &path, 0) != NGX_OK) {
        return NULL;
    }

    /* path.data is NUL-terminated by ngx_conf_full_name() */
    if (ngx_file_info(path.data, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "mlpredict: cannot load model \"%V\": "
                           ngx_file_info_n " failed", &path);
        return NULL;
    }

    if (!ngx_is_file(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "mlpredict: cannot load model \"%V\": "
                           "not a regular file", &path);
        return NULL;
    }

    mmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mlpredict_module);

    /* the file itself is the key, however its path is spelled */

    mmp = mmcf->models.elts;

    for (i = 0; i < mmcf->models.nelts; i++) {
        if (mmp[i]->dev == fi.st_dev && mmp[i]->uniq == ngx_file_uniq(&fi)) {
            return mmp[i];
        }
    }

    mm = ngx_pcalloc(cf->pool, sizeof(ngx_http_mlpredict_model_t));
    if (mm == NULL) {
        return NULL;
    }

    mm->path = path;
    mm->dev = fi.st_dev;
    mm->uniq = ngx_file_uniq(&fi);

    /*
     * The cleanup is registered before the model exists, on the cycle's
     * pool: it unmaps the file whether this configuration is later replaced
     * by a reload or refused.
     */

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_mlpredict_cleanup;
    cln->data = mm;

    mm->model = mlp_model_open((char *) path.data, err, sizeof(err));

    if (mm->model == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "mlpredict: cannot load model \"%V\": %s",
                           &path, err);
        return NULL;
    }

    if (ngx_http_mlpredict_describe(cf, mm) != NGX_OK) {
        return NULL;
    }

    mmp = ngx_array_push(&mmcf->models);
    if (mmp == NULL) {
        return NULL;
    }

    *mmp = mm;

    return mm;
}


/*
 * The GET answer, once per file: {"file": base name, then the core's
 * metadata}. The base name only: clients need not learn server paths.
 */

static ngx_int_t
ngx_http_mlpredict_describe(ngx_conf_t *cf, ngx_http_mlpredict_model_t *mm)
{
    u_char      *p, *name;
    size_t       len, size;
    const char  *info;

    info = mlp_model_info(mm->model, &len);

    name = mm->path.data + mm->path.len;

    while (name > mm->path.data && name[-1] != '/') {
        name--;
    }

    size = sizeof("{\"file\":,") + 6 * (mm->path.data + mm->path.len - name)
           + len + 2;

    p = ngx_pnalloc(cf->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    mm->info.data = p;

    p = ngx_cpymem(p, "{\"file\":", sizeof("{\"file\":") - 1);
    p += mlp_json_escape((char *) name, mm->path.data + mm->path.len - name,
                         (char *) p);
    *p++ = ',';
    p = ngx_cpymem(p, info + 1, len - 1);
    *p++ = '\n';

    mm->info.len = p - mm->info.data;

    return NGX_OK;
}


static void
ngx_http_mlpredict_cleanup(void *data)
{
    ngx_http_mlpredict_model_t  *mm = data;

    if (mm->model != NULL) {
        mlp_model_close(mm->model);
        mm->model = NULL;
    }
}


static void *
ngx_http_mlpredict_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_mlpredict_main_conf_t  *mmcf;

    mmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mlpredict_main_conf_t));
    if (mmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&mmcf->models, cf->pool, 4,
                       sizeof(ngx_http_mlpredict_model_t *))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&mmcf->named, cf->pool, 4,
                       sizeof(ngx_http_mlpredict_named_t))
        != NGX_OK)
    {
        return NULL;
    }

    mmcf->heap_keep = NGX_CONF_UNSET_SIZE;

    return mmcf;
}


static void *
ngx_http_mlpredict_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_mlpredict_loc_conf_t  *mlcf;

    mlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mlpredict_loc_conf_t));
    if (mlcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     mlcf->model = NULL;
     *     mlcf->api = 0;
     */

    mlcf->max_batch = NGX_CONF_UNSET;
    mlcf->explain = NGX_CONF_UNSET;

    return mlcf;
}


static char *
ngx_http_mlpredict_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_mlpredict_loc_conf_t *prev = parent;
    ngx_http_mlpredict_loc_conf_t *conf = child;

    ngx_http_core_loc_conf_t  *clcf;

    ngx_conf_merge_value(conf->max_batch, prev->max_batch,
                         NGX_HTTP_MLPREDICT_MAX_BATCH);

    /* off: an explanation costs more per row and discloses the model */
    ngx_conf_merge_value(conf->explain, prev->explain, 0);

    /*
     * A nested location does not inherit the model, but the unnamed
     * locations of "if" and "limit_except" inside an mlpredict location
     * are the same endpoint and keep it.
     */

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->noname && conf->model == NULL) {
        conf->model = prev->model;
    }

    if (clcf->lmt_excpt && clcf->handler == NULL && conf->model != NULL) {
        clcf->handler = ngx_http_mlpredict_handler;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_mlpredict_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_mlpredict_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_mlpredict_body_filter;

    return ngx_http_mlpredict_protocol_init(cf);
}


static ngx_int_t
ngx_http_mlpredict_init_module(ngx_cycle_t *cycle)
{
    char  err[MLP_ERR_LEN];

    if (mlp_init(err, sizeof(err)) != 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "mlpredict: %s", err);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* mlpredict_heap_keep size | off */

static char *
ngx_http_mlpredict_heap_keep(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mlpredict_main_conf_t *mmcf = conf;

    ssize_t     size;
    ngx_str_t  *value;

    if (mmcf->heap_keep != NGX_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        mmcf->heap_keep = 0;
        return NGX_CONF_OK;
    }

    size = ngx_parse_size(&value[1]);

    /* glibc takes an int; below its defaults (128k) it would trim more */
    if (size < 128 * 1024 || size > NGX_MAX_INT32_VALUE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\": a size from 128k to "
                           "2047m, or off", &value[1]);
        return NGX_CONF_ERROR;
    }

#ifndef __GLIBC__
    ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                       "\"mlpredict_heap_keep\" has no effect without glibc");
#endif

    mmcf->heap_keep = (size_t) size;

    return NGX_CONF_OK;
}


/*
 * A batch request allocates megabytes (nginx's body buffer, the matrix of
 * rows, the answer) and frees them at its end. glibc's defaults then give
 * that memory back to the kernel (munmap, or the heap trimmed) and every
 * request faults it in again: a thousand minor faults for a 10,000-row v2
 * tensor, milliseconds of a worker in a VM. With blocks up to the mmap
 * threshold taken from the heap and up to heap_keep of free heap top kept,
 * the pages are reused; a worker's RSS then stays near its high-water mark.
 * Once a process (mallopt cannot be undone, and with master_process off a
 * reload does not run init_process again).
 */

static ngx_int_t
ngx_http_mlpredict_init_process(ngx_cycle_t *cycle)
{
#ifdef __GLIBC__
    int                              ok;
    size_t                           keep, mmap_max;
    ngx_uint_t                       level;
    ngx_http_mlpredict_main_conf_t  *mmcf;

    mmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_mlpredict_module);

    if (mmcf == NULL || mmcf->models.nelts == 0) {
        return NGX_OK;
    }

    keep = (mmcf->heap_keep == NGX_CONF_UNSET_SIZE)
           ? NGX_HTTP_MLPREDICT_HEAP_KEEP : mmcf->heap_keep;

    if (keep == 0) {
        return NGX_OK;
    }

    /* glibc's largest mmap threshold: 32 MB on 64-bit hosts, 512 KB on 32 */
    mmap_max = (sizeof(long) == 8) ? 32 * 1024 * 1024 : 512 * 1024;

    ok = mallopt(M_MMAP_THRESHOLD, (int) ngx_min(keep, mmap_max));
    ok &= mallopt(M_TRIM_THRESHOLD, (int) keep);

    /*
     * done: debug (a worker's start is not news); a sanitizer's allocator
     * refuses: notice, not a warning, it is meant. The directive's name
     * leads: the "mlpredict: " of request-time lines stays theirs.
     */
    level = ok ? NGX_LOG_DEBUG : NGX_LOG_NOTICE;

    ngx_log_error(level, cycle->log, 0,
                  "mlpredict_heap_keep %uz: mallopt %s", keep,
                  ok ? "done" : "refused by the allocator, its defaults stay");
#endif

    return NGX_OK;
}
