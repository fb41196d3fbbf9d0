
/*
 * The clients' protocols: models named once (mlpredict_model), and a
 * location (mlpredict_api) that serves, for every named model, the Open
 * Inference Protocol v2 REST routes (/v2/...) and TF Serving's REST routes
 * (/v1/models/...). The tensors are read and written by the core
 * (core/io/mlp_v2.c); here: directives, routing, bodies and headers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "mlp.h"
#include "ngx_http_mlpredict.h"


#define NGX_HTTP_MLPREDICT_API_VERSION  "1"


typedef enum {
    ngx_http_mlpredict_v2_server = 0,
    ngx_http_mlpredict_v2_live,
    ngx_http_mlpredict_v2_ready,
    ngx_http_mlpredict_v2_model,
    ngx_http_mlpredict_v2_model_ready,
    ngx_http_mlpredict_v2_infer,
    ngx_http_mlpredict_tf_status,
    ngx_http_mlpredict_tf_metadata,
    ngx_http_mlpredict_tf_predict,
    ngx_http_mlpredict_tf_classify,
    ngx_http_mlpredict_tf_regress,
    ngx_http_mlpredict_tf_explain
} ngx_http_mlpredict_route_e;


typedef struct {
    ngx_http_mlpredict_route_e   route;
    ngx_http_mlpredict_named_t  *named;
    unsigned                     versioned:1;
} ngx_http_mlpredict_route_t;


static ngx_int_t ngx_http_mlpredict_api_handler(ngx_http_request_t *r);
static void ngx_http_mlpredict_api_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_mlpredict_route(ngx_http_request_t *r,
    ngx_http_mlpredict_route_t *rt, char *msg, size_t size);
static ngx_http_mlpredict_named_t *ngx_http_mlpredict_find(
    ngx_http_request_t *r, ngx_str_t *name, ngx_str_t *version,
    char *msg, size_t size);
static void ngx_http_mlpredict_first_row(ngx_http_request_t *r,
    const mlp_model_t *m, mlp_v2_request_t *req);
static ngx_int_t ngx_http_mlpredict_infer_core(ngx_http_request_t *r,
    ngx_http_mlpredict_route_t *rt, ngx_str_t *body, ngx_str_t *tail,
    ngx_table_elt_t *ih, mlp_outcome_t *oc, ngx_uint_t *failed);
static ngx_int_t ngx_http_mlpredict_infer(ngx_http_request_t *r,
    ngx_http_mlpredict_route_t *rt, ngx_str_t *body, ngx_str_t *tail,
    ngx_table_elt_t *ih);
static ngx_table_elt_t *ngx_http_mlpredict_v2_header_len(
    ngx_http_request_t *r);

/* the answer of ngx_http_mlpredict_v2_header_len to a repeated header */
static ngx_table_elt_t  ngx_http_mlpredict_v2_twice;
static ngx_int_t ngx_http_mlpredict_api_send(ngx_http_request_t *r,
    ngx_uint_t status, ngx_str_t *type, u_char *data, size_t len);
static ngx_str_t *ngx_http_mlpredict_api_type(ngx_http_request_t *r);
static ngx_int_t ngx_http_mlpredict_accepts_csv(ngx_http_request_t *r);
static ngx_int_t ngx_http_mlpredict_json_text(ngx_pool_t *pool,
    ngx_str_t *in, ngx_str_t *out);


static ngx_str_t  ngx_http_mlpredict_api_json =
    ngx_string("application/json");
static ngx_str_t  ngx_http_mlpredict_api_binary =
    ngx_string("application/octet-stream");
static ngx_str_t  ngx_http_mlpredict_api_csv = ngx_string("text/csv");

static ngx_str_t  ngx_http_mlpredict_v2_server_meta = ngx_string(
    "{\"name\":\"mlpredict\",\"version\":\"" NGX_HTTP_MLPREDICT_API_VERSION
    "\",\"extensions\":[\"binary_tensor_data\"]}\n");
static ngx_str_t  ngx_http_mlpredict_v2_live_answer =
    ngx_string("{\"live\":true}\n");
static ngx_str_t  ngx_http_mlpredict_v2_ready_answer =
    ngx_string("{\"ready\":true}\n");


/* mlpredict_model NAME PATH [version=N]; */

char *
ngx_http_mlpredict_model(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mlpredict_main_conf_t *mmcf = conf;

    u_char                      *p;
    ngx_int_t                    version;
    ngx_str_t                   *value;
    ngx_uint_t                   i;
    ngx_http_mlpredict_named_t  *nm;

    value = cf->args->elts;
    version = 1;

    if (value[1].len == 0) {
        return "takes a model name, not an empty string";
    }

    for (i = 0; i < value[1].len; i++) {
        /* a path segment of every route, and TF Serving's ':' verbs */
        if (value[1].data[i] == '/' || value[1].data[i] == ':'
            || value[1].data[i] <= ' ' || value[1].data[i] == '"'
            || value[1].data[i] == '\\')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid model name "
                               "\"%V\": no '/', ':', quotes, spaces or "
                               "control characters", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (cf->args->nelts == 4) {
        if (value[3].len <= 8
            || ngx_strncmp(value[3].data, "version=", 8) != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[3]);
            return NGX_CONF_ERROR;
        }

        version = ngx_atoi(value[3].data + 8, value[3].len - 8);

        if (version < 1 || version > 999999999) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid version "
                               "\"%V\": a number from 1", &value[3]);
            return NGX_CONF_ERROR;
        }
    }

    nm = mmcf->named.elts;

    for (i = 0; i < mmcf->named.nelts; i++) {
        if (nm[i].name.len == value[1].len
            && ngx_strncmp(nm[i].name.data, value[1].data, value[1].len) == 0
            && nm[i].version == (ngx_uint_t) version)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "model \"%V\" version "
                               "%i is duplicate", &value[1], version);
            return NGX_CONF_ERROR;
        }
    }

    nm = ngx_array_push(&mmcf->named);
    if (nm == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(nm, sizeof(ngx_http_mlpredict_named_t));

    nm->name = value[1];
    nm->version = version;

    /* one mapping per file, whichever directives name it */
    nm->model = ngx_http_mlpredict_load(cf, &value[2]);

    if (nm->model == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_mlpredict_json_text(cf->pool, &nm->name, &nm->json_name)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    p = ngx_pnalloc(cf->pool, NGX_INT_T_LEN + 2);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    nm->json_version.data = p;
    nm->json_version.len = ngx_sprintf(p, "\"%ui\"", nm->version) - p;

    return NGX_CONF_OK;
}


char *
ngx_http_mlpredict_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mlpredict_loc_conf_t *mlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (mlcf->api || mlcf->model != NULL) {
        return "is duplicate";
    }

    mlcf->api = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_mlpredict_api_handler;

    return NGX_CONF_OK;
}


/*
 * After the configuration is read, every answer that depends only on the
 * models: the v2 model metadata (with every version of the name) and TF
 * Serving's version status.
 */

ngx_int_t
ngx_http_mlpredict_protocol_init(ngx_conf_t *cf)
{
    u_char                          *p, *q;
    size_t                           vlen, slen;
    ngx_uint_t                       i, k;
    mlp_alloc_t                      a;
    ngx_http_mlpredict_named_t      *nm;
    ngx_http_mlpredict_main_conf_t  *mmcf;

    mmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_mlpredict_module);

    if (mmcf == NULL) {
        return NGX_OK;
    }

    a.alloc = ngx_http_mlpredict_alloc;
    a.data = cf->pool;

    nm = mmcf->named.elts;

    for (i = 0; i < mmcf->named.nelts; i++) {

        /* ["1","2"] and TF Serving's status of each version of the name */
        vlen = 2;
        slen = sizeof("{\"model_version_status\":[]}\n");

        for (k = 0; k < mmcf->named.nelts; k++) {
            if (nm[k].name.len == nm[i].name.len
                && ngx_strncmp(nm[k].name.data, nm[i].name.data,
                               nm[i].name.len) == 0)
            {
                vlen += nm[k].json_version.len + 1;
                slen += nm[k].json_version.len + 96;
            }
        }

        p = ngx_pnalloc(cf->pool, vlen);
        q = ngx_pnalloc(cf->pool, slen);
        nm[i].tf_status.data = ngx_pnalloc(cf->pool, 160 + NGX_INT_T_LEN);

        if (p == NULL || q == NULL || nm[i].tf_status.data == NULL) {
            return NGX_ERROR;
        }

        nm[i].tf_status_all.data = q;
        q = ngx_cpymem(q, "{\"model_version_status\":[",
                       sizeof("{\"model_version_status\":[") - 1);

        vlen = 0;
        p[vlen++] = '[';

        for (k = 0; k < mmcf->named.nelts; k++) {
            if (nm[k].name.len != nm[i].name.len
                || ngx_strncmp(nm[k].name.data, nm[i].name.data,
                               nm[i].name.len) != 0)
            {
                continue;
            }

            if (vlen > 1) {
                p[vlen++] = ',';
                *q++ = ',';
            }

            ngx_memcpy(p + vlen, nm[k].json_version.data,
                       nm[k].json_version.len);
            vlen += nm[k].json_version.len;

            q = ngx_sprintf(q, "{\"version\":%V,\"state\":\"AVAILABLE\","
                            "\"status\":{\"error_code\":\"OK\","
                            "\"error_message\":\"\"}}",
                            &nm[k].json_version);
        }

        p[vlen++] = ']';
        q = ngx_cpymem(q, "]}\n", 3);
        nm[i].tf_status_all.len = q - nm[i].tf_status_all.data;

        q = nm[i].tf_status.data;
        q = ngx_sprintf(q, "{\"model_version_status\":[{\"version\":%V,"
                        "\"state\":\"AVAILABLE\",\"status\":{\"error_code\":"
                        "\"OK\",\"error_message\":\"\"}}]}\n",
                        &nm[i].json_version);
        nm[i].tf_status.len = q - nm[i].tf_status.data;

        nm[i].v2_meta.data = (u_char *) mlp_v2_metadata(nm[i].model->model,
                                 (char *) nm[i].json_name.data,
                                 nm[i].json_name.len, (char *) p, vlen, &a,
                                 &nm[i].v2_meta.len);

        if (nm[i].v2_meta.data == NULL) {
            return NGX_ERROR;
        }

        nm[i].tf_meta.data = (u_char *) mlp_tf_metadata(nm[i].model->model,
                                 (char *) nm[i].json_name.data,
                                 nm[i].json_name.len,
                                 (char *) nm[i].json_version.data,
                                 nm[i].json_version.len, &a,
                                 &nm[i].tf_meta.len);

        if (nm[i].tf_meta.data == NULL) {
            return NGX_ERROR;
        }

        q = ngx_pnalloc(cf->pool, nm[i].json_name.len + 32);
        if (q == NULL) {
            return NGX_ERROR;
        }

        nm[i].v2_ready.data = q;
        q = ngx_sprintf(q, "{\"name\":%V,\"ready\":true}\n",
                        &nm[i].json_name);
        nm[i].v2_ready.len = q - nm[i].v2_ready.data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_mlpredict_api_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc, status;
    ngx_str_t                   *s;
    ngx_table_elt_t             *allow;
    ngx_http_mlpredict_route_t   rt;
    char                         msg[MLP_ERR_LEN];

    if (ngx_http_mlpredict_get_ctx(r) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_mlpredict_route(r, &rt, msg, sizeof(msg));

    if (rc != NGX_OK) {
        /* a broken chunked body is nginx's 400 here as on every route */
        status = ngx_http_discard_request_body(r);

        if (status != NGX_OK) {
            return status;
        }

        return ngx_http_mlpredict_send_error(r, rc, msg);
    }

    if (rt.route >= ngx_http_mlpredict_v2_infer
        && rt.route != ngx_http_mlpredict_tf_status
        && rt.route != ngx_http_mlpredict_tf_metadata)
    {
        if (!(r->method & NGX_HTTP_POST)) {
            goto not_allowed;
        }

        if (ngx_http_mlpredict_api_type(r) == NULL) {
            rc = ngx_http_discard_request_body(r);

            if (rc != NGX_OK) {
                return rc;
            }

            return ngx_http_mlpredict_send_error(r,
                       NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                       "unsupported Content-Type: send application/json, "
                       "text/csv, or application/octet-stream with "
                       "Inference-Header-Content-Length");
        }

        rc = ngx_http_read_client_request_body(r,
                                               ngx_http_mlpredict_api_body);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        goto not_allowed;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    switch (rt.route) {
    case ngx_http_mlpredict_v2_server:
        s = &ngx_http_mlpredict_v2_server_meta;
        break;
    case ngx_http_mlpredict_v2_live:
        s = &ngx_http_mlpredict_v2_live_answer;
        break;
    case ngx_http_mlpredict_v2_ready:
        s = &ngx_http_mlpredict_v2_ready_answer;
        break;
    case ngx_http_mlpredict_v2_model:
        s = &rt.named->v2_meta;
        break;
    case ngx_http_mlpredict_v2_model_ready:
        s = &rt.named->v2_ready;
        break;
    case ngx_http_mlpredict_tf_status:
        s = rt.versioned ? &rt.named->tf_status : &rt.named->tf_status_all;
        break;
    default: /* ngx_http_mlpredict_tf_metadata */
        s = &rt.named->tf_meta;
        break;
    }

    return ngx_http_mlpredict_api_send(r, NGX_HTTP_OK,
                                       &ngx_http_mlpredict_api_json,
                                       s->data, s->len);

not_allowed:

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

    if (rt.route >= ngx_http_mlpredict_v2_infer
        && rt.route != ngx_http_mlpredict_tf_status
        && rt.route != ngx_http_mlpredict_tf_metadata)
    {
        ngx_str_set(&allow->value, "POST");

    } else {
        ngx_str_set(&allow->value, "GET, HEAD");
    }

    return ngx_http_mlpredict_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                         "method not allowed on this route");
}


static void
ngx_http_mlpredict_api_body(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_str_t                   body, tail;
    ngx_table_elt_t            *ih;
    ngx_http_mlpredict_route_t  rt;
    char                        msg[MLP_ERR_LEN];

    /* routed again: cheaper than a context that outlives the read */
    rc = ngx_http_mlpredict_route(r, &rt, msg, sizeof(msg));

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r,
                                  ngx_http_mlpredict_send_error(r, rc, msg));
        return;
    }

    ngx_str_null(&tail);

    /* the binary extension's header, looked up once for infer_core too */
    ih = (rt.route == ngx_http_mlpredict_v2_infer
          && ngx_http_mlpredict_api_type(r) != &ngx_http_mlpredict_api_csv)
         ? ngx_http_mlpredict_v2_header_len(r) : NULL;

    /* binary tensors are read from nginx's buffers where they lie */
    if (ih != NULL) {
        rc = ngx_http_mlpredict_body_pieces(r, &body, &tail);

    } else {
        rc = ngx_http_mlpredict_collect_body(r, &body);
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_mlpredict_infer(r, &rt, &body,
                                                          &tail, ih));
}


/*
 * The route of r->uri:
 *   /v2, /v2/health/live, /v2/health/ready,
 *   /v2/models/M[/versions/V][/ready|/infer],
 *   /v1/models/M[/versions/V][/metadata|:predict|:classify|:regress
 *                              |:explain]
 * NGX_OK, or the status (404) with msg set.
 */

static ngx_int_t
ngx_http_mlpredict_route(ngx_http_request_t *r,
    ngx_http_mlpredict_route_t *rt, char *msg, size_t size)
{
    u_char     *p, *last, *start;
    ngx_str_t   name, version, rest;
    ngx_uint_t  v1;

    p = r->uri.data;
    last = p + r->uri.len;

    ngx_memzero(rt, sizeof(ngx_http_mlpredict_route_t));

    if (last - p >= 3 && ngx_strncmp(p, "/v2", 3) == 0
        && (last - p == 3 || (last - p == 4 && p[3] == '/')))
    {
        rt->route = ngx_http_mlpredict_v2_server;
        return NGX_OK;
    }

    rest.data = p;
    rest.len = last - p;

    if (rest.len == sizeof("/v2/health/live") - 1
        && ngx_strncmp(p, "/v2/health/live", rest.len) == 0)
    {
        rt->route = ngx_http_mlpredict_v2_live;
        return NGX_OK;
    }

    if (rest.len == sizeof("/v2/health/ready") - 1
        && ngx_strncmp(p, "/v2/health/ready", rest.len) == 0)
    {
        rt->route = ngx_http_mlpredict_v2_ready;
        return NGX_OK;
    }

    if (last - p > 11 && ngx_strncmp(p, "/v2/models/", 11) == 0) {
        v1 = 0;

    } else if (last - p > 11 && ngx_strncmp(p, "/v1/models/", 11) == 0) {
        v1 = 1;

    } else {
        goto not_found;
    }

    p += 11;
    start = p;

    while (p < last && *p != '/' && !(v1 && *p == ':')) {
        p++;
    }

    name.data = start;
    name.len = p - start;
    ngx_str_null(&version);

    if (last - p > 10 && ngx_strncmp(p, "/versions/", 10) == 0) {
        p += 10;
        start = p;

        while (p < last && *p != '/' && !(v1 && *p == ':')) {
            p++;
        }

        version.data = start;
        version.len = p - start;
        rt->versioned = 1;
    }

    rest.data = p;
    rest.len = last - p;

    if (rest.len == 0) {
        rt->route = v1 ? ngx_http_mlpredict_tf_status
                       : ngx_http_mlpredict_v2_model;

    } else if (!v1 && rest.len == 6 && ngx_strncmp(p, "/ready", 6) == 0) {
        rt->route = ngx_http_mlpredict_v2_model_ready;

    } else if (!v1 && rest.len == 6 && ngx_strncmp(p, "/infer", 6) == 0) {
        rt->route = ngx_http_mlpredict_v2_infer;

    } else if (v1 && rest.len == 9 && ngx_strncmp(p, "/metadata", 9) == 0) {
        rt->route = ngx_http_mlpredict_tf_metadata;

    } else if (v1 && rest.len == 8 && ngx_strncmp(p, ":predict", 8) == 0) {
        rt->route = ngx_http_mlpredict_tf_predict;

    } else if (v1 && rest.len == 9 && ngx_strncmp(p, ":classify", 9) == 0) {
        rt->route = ngx_http_mlpredict_tf_classify;

    } else if (v1 && rest.len == 8 && ngx_strncmp(p, ":regress", 8) == 0) {
        rt->route = ngx_http_mlpredict_tf_regress;

    } else if (v1 && rest.len == 8 && ngx_strncmp(p, ":explain", 8) == 0) {
        rt->route = ngx_http_mlpredict_tf_explain;

    } else {
        goto not_found;
    }

    rt->named = ngx_http_mlpredict_find(r, &name,
                                        rt->versioned ? &version : NULL,
                                        msg, size);

    return rt->named ? NGX_OK : NGX_HTTP_NOT_FOUND;

not_found:

    ngx_snprintf((u_char *) msg, size, "no such route: see /v2 (Open "
                 "Inference Protocol) or /v1/models/NAME:predict (TF "
                 "Serving)%Z");
    return NGX_HTTP_NOT_FOUND;
}


/* The named model: the version asked, or the highest of the name. */

static ngx_http_mlpredict_named_t *
ngx_http_mlpredict_find(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *version, char *msg, size_t size)
{
    ngx_int_t                        v;
    ngx_uint_t                       i, found;
    ngx_http_mlpredict_named_t      *nm, *best;
    ngx_http_mlpredict_main_conf_t  *mmcf;

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_mlpredict_module);

    v = -1;

    if (version != NULL) {
        v = ngx_atoi(version->data, version->len);
    }

    nm = mmcf->named.elts;
    best = NULL;
    found = 0;

    for (i = 0; i < mmcf->named.nelts; i++) {
        if (nm[i].name.len != name->len
            || ngx_strncmp(nm[i].name.data, name->data, name->len) != 0)
        {
            continue;
        }

        found = 1;

        if (version == NULL) {
            if (best == NULL || nm[i].version > best->version) {
                best = &nm[i];
            }

        } else if (v >= 0 && nm[i].version == (ngx_uint_t) v) {
            return &nm[i];
        }
    }

    if (best != NULL) {
        return best;
    }

    /* the client's bytes, bounded, in a JSON-safe message */
    if (found) {
        ngx_snprintf((u_char *) msg, size, "model \"%*s\" has no version "
                     "\"%*s\"%Z", name->len > 64 ? 64 : name->len,
                     name->data, version->len > 32 ? 32 : version->len,
                     version->data);

    } else {
        ngx_snprintf((u_char *) msg, size, "unknown model \"%*s\"%Z",
                     name->len > 64 ? 64 : name->len, name->data);
    }

    return NULL;
}


/* the first row kept, before the answer predicts (and may change) it */

static void
ngx_http_mlpredict_first_row(ngx_http_request_t *r, const mlp_model_t *m,
    mlp_v2_request_t *req)
{
    if (req->rows > 0) {
        ngx_http_mlpredict_keep_row(r, req->x, mlp_model_n_inputs(m));
    }
}


/* An inference, counted in the metrics under the named model. */

static ngx_int_t
ngx_http_mlpredict_infer(ngx_http_request_t *r,
    ngx_http_mlpredict_route_t *rt, ngx_str_t *body, ngx_str_t *tail,
    ngx_table_elt_t *ih)
{
    uint64_t       t0;
    ngx_int_t      rc;
    ngx_uint_t     failed;
    mlp_outcome_t  oc;

    ngx_http_mlpredict_use_model(r, rt->named);

    ngx_memzero(&oc, sizeof(mlp_outcome_t));
    failed = 0;
    t0 = ngx_http_mlpredict_clock();

    rc = ngx_http_mlpredict_infer_core(r, rt, body, tail, ih, &oc, &failed);

    ngx_http_mlpredict_note(r, &oc, ngx_http_mlpredict_clock() - t0, failed);

    return rc;
}


static ngx_int_t
ngx_http_mlpredict_infer_core(ngx_http_request_t *r,
    ngx_http_mlpredict_route_t *rt, ngx_str_t *body, ngx_str_t *tail,
    ngx_table_elt_t *ih, mlp_outcome_t *oc, ngx_uint_t *failed)
{
    int                             verb, columnar;
    char                           *resp;
    off_t                           hlen;
    size_t                          resp_len, json_len;
    ngx_table_elt_t                *oh;
    mlp_alloc_t                     a;
    mlp_error_t                     e;
    mlp_v2_request_t                req;
    ngx_http_mlpredict_named_t     *nm;
    ngx_http_mlpredict_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mlpredict_module);
    nm = rt->named;

    a.alloc = ngx_http_mlpredict_alloc;
    a.data = r->pool;

    verb = rt->route == ngx_http_mlpredict_tf_predict ? MLP_TF_PREDICT
           : rt->route == ngx_http_mlpredict_tf_classify ? MLP_TF_CLASSIFY
           : rt->route == ngx_http_mlpredict_tf_explain ? MLP_TF_EXPLAIN
           : MLP_TF_REGRESS;

    if (verb == MLP_TF_EXPLAIN && !mlcf->explain) {
        return ngx_http_mlpredict_send_error(r, NGX_HTTP_FORBIDDEN,
                   "explanations are off here (mlpredict_explain off)");
    }

    if (rt->route != ngx_http_mlpredict_v2_infer
        && mlp_tf_verb_check(nm->model->model, verb, &e) != 0)
    {
        goto failed;
    }

    if (ngx_http_mlpredict_api_type(r) == &ngx_http_mlpredict_api_csv) {
        if (mlp_csv_request(nm->model->model, (char *) body->data,
                            body->len, (size_t) mlcf->max_batch, &a, &req,
                            &e)
            != 0)
        {
            goto failed;
        }

        oc->rows = req.rows;
        ngx_http_mlpredict_first_row(r, nm->model->model, &req);

        if (verb != MLP_TF_EXPLAIN && ngx_http_mlpredict_accepts_csv(r)) {
            if (mlp_csv_answer(nm->model->model, &req, &a, &resp,
                               &resp_len, &e)
                != 0)
            {
                goto failed;
            }

            return ngx_http_mlpredict_api_send(r, NGX_HTTP_OK,
                                               &ngx_http_mlpredict_api_csv,
                                               (u_char *) resp, resp_len);
        }

        if (rt->route == ngx_http_mlpredict_v2_infer) {
            goto answer;
        }

        if (mlp_tf_answer(nm->model->model, &req, verb, 0, &a, &resp,
                          &resp_len, &e)
            != 0)
        {
            goto failed;
        }

        return ngx_http_mlpredict_api_send(r, NGX_HTTP_OK,
                                           &ngx_http_mlpredict_api_json,
                                           (u_char *) resp, resp_len);
    }

    if (rt->route != ngx_http_mlpredict_v2_infer) {
        /* :explain takes what :predict takes */
        if (mlp_tf_parse(nm->model->model, (char *) body->data, body->len,
                         verb == MLP_TF_EXPLAIN ? MLP_TF_PREDICT : verb,
                         (size_t) mlcf->max_batch, &a, &req,
                         &columnar, &e)
            != 0)
        {
            goto failed;
        }

        oc->rows = req.rows;
        ngx_http_mlpredict_first_row(r, nm->model->model, &req);

        if (mlp_tf_answer(nm->model->model, &req, verb, columnar, &a,
                          &resp, &resp_len, &e)
            != 0)
        {
            goto failed;
        }

        return ngx_http_mlpredict_api_send(r, NGX_HTTP_OK,
                                           &ngx_http_mlpredict_api_json,
                                           (u_char *) resp, resp_len);
    }

    /* the binary tensor data extension: the JSON's length in a header */
    json_len = body->len + tail->len;

    if (ih == &ngx_http_mlpredict_v2_twice) {
        return ngx_http_mlpredict_send_error(r, NGX_HTTP_BAD_REQUEST,
                   "Inference-Header-Content-Length given more than once");
    }

    if (ih != NULL) {
        hlen = ngx_atoof(ih->value.data, ih->value.len);

        if (hlen == NGX_ERROR || (size_t) hlen > json_len) {
            return ngx_http_mlpredict_send_error(r, NGX_HTTP_BAD_REQUEST,
                       "Inference-Header-Content-Length must be a number "
                       "of bytes within the body");
        }

        json_len = (size_t) hlen;
    }

    if (mlp_v2_parse_split(nm->model->model, (char *) body->data, body->len,
                           (char *) tail->data, tail->len, json_len,
                           (size_t) mlcf->max_batch, &a, &req, &e)
        != 0)
    {
        goto failed;
    }

    oc->rows = req.rows;
    ngx_http_mlpredict_first_row(r, nm->model->model, &req);

    if ((req.outputs & MLP_V2_EXPLAIN) && !mlcf->explain) {
        return ngx_http_mlpredict_send_error(r, NGX_HTTP_FORBIDDEN,
                   "explanations are off here (mlpredict_explain off)");
    }

answer:

    if (mlp_v2_answer(nm->model->model, (char *) nm->json_name.data,
                         nm->json_name.len, (char *) nm->json_version.data,
                         nm->json_version.len, &req, &a, &resp, &resp_len,
                         &json_len, &e)
           != 0)
    {
        goto failed;
    }

    if (json_len == resp_len) {
        return ngx_http_mlpredict_api_send(r, NGX_HTTP_OK,
                                           &ngx_http_mlpredict_api_json,
                                           (u_char *) resp, resp_len);
    }

    oh = ngx_list_push(&r->headers_out.headers);
    if (oh == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    oh->hash = 1;
    ngx_str_set(&oh->key, "Inference-Header-Content-Length");

    oh->value.data = ngx_pnalloc(r->pool, NGX_SIZE_T_LEN);
    if (oh->value.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    oh->value.len = ngx_sprintf(oh->value.data, "%uz", json_len)
                    - oh->value.data;

    return ngx_http_mlpredict_api_send(r, NGX_HTTP_OK,
                                       &ngx_http_mlpredict_api_binary,
                                       (u_char *) resp, resp_len);

failed:

    *failed = 1;

    if (e.status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "mlpredict: %s",
                      e.message);
        return e.status;
    }

    return ngx_http_mlpredict_send_error(r, e.status, e.message);
}


static ngx_int_t
ngx_http_mlpredict_api_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, u_char *data, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
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


/*
 * The body's type: none or application/json, application/octet-stream
 * (binary tensor data after a JSON header), or text/csv; NULL for any
 * other.
 */

static ngx_str_t *
ngx_http_mlpredict_api_type(ngx_http_request_t *r)
{
    size_t      n;
    u_char     *p, *last;
    ngx_str_t  *ct;

    if (r->headers_in.content_type == NULL) {
        return &ngx_http_mlpredict_api_json;
    }

    ct = &r->headers_in.content_type->value;
    last = ct->data + ct->len;

    for (p = ct->data; p < last && *p != ';' && *p != ' ' && *p != '\t'; p++)
    {
        /* void */
    }

    n = p - ct->data;

    if (n == ngx_http_mlpredict_api_json.len
        && ngx_strncasecmp(ct->data, ngx_http_mlpredict_api_json.data, n)
           == 0)
    {
        return &ngx_http_mlpredict_api_json;
    }

    if (n == ngx_http_mlpredict_api_binary.len
        && ngx_strncasecmp(ct->data, ngx_http_mlpredict_api_binary.data, n)
           == 0)
    {
        return &ngx_http_mlpredict_api_binary;
    }

    if (n == ngx_http_mlpredict_api_csv.len
        && ngx_strncasecmp(ct->data, ngx_http_mlpredict_api_csv.data, n)
           == 0)
    {
        return &ngx_http_mlpredict_api_csv;
    }

    return NULL;
}


static ngx_int_t
ngx_http_mlpredict_json_text(ngx_pool_t *pool, ngx_str_t *in,
    ngx_str_t *out)
{
    out->data = ngx_pnalloc(pool, 6 * in->len + 2);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    out->len = mlp_json_escape((char *) in->data, in->len,
                               (char *) out->data);

    return NGX_OK;
}


/* Accept names text/csv (a plain search: no quality values weighed). */

static ngx_int_t
ngx_http_mlpredict_accepts_csv(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("Accept") - 1
            && ngx_strncasecmp(h[i].key.data, (u_char *) "Accept", 6) == 0
            && ngx_strlcasestrn(h[i].value.data,
                                h[i].value.data + h[i].value.len,
                                (u_char *) "text/csv", 8 - 1)
               != NULL)
        {
            return 1;
        }
    }
}


/* A text/csv body, for a location's own model too (mlpredict PATH). */

ngx_int_t
ngx_http_mlpredict_is_csv(ngx_http_request_t *r)
{
    return ngx_http_mlpredict_api_type(r) == &ngx_http_mlpredict_api_csv;
}


/*
 * A CSV body to a location's own model: answered in CSV when Accept asks
 * for it, else as a JSON batch ({"predictions": [...]}), the answer the
 * same rows sent as "instances" get.
 */

ngx_int_t
ngx_http_mlpredict_csv_location(ngx_http_request_t *r, ngx_str_t *body,
    mlp_outcome_t *oc, ngx_uint_t *failed)
{
    char                           *resp;
    double                         *out;
    size_t                          resp_len;
    uint32_t                       *labels;
    mlp_alloc_t                     a;
    mlp_error_t                     e;
    mlp_request_t                   jr;
    mlp_v2_request_t                req;
    const mlp_model_t              *m;
    ngx_http_mlpredict_loc_conf_t  *mlcf;

    mlcf = ngx_http_get_module_loc_conf(r, ngx_http_mlpredict_module);
    m = mlcf->model->model;

    a.alloc = ngx_http_mlpredict_alloc;
    a.data = r->pool;

    if (mlp_csv_request(m, (char *) body->data, body->len,
                        (size_t) mlcf->max_batch, &a, &req, &e)
        != 0)
    {
        goto failed;
    }

    oc->rows = req.rows;
    ngx_http_mlpredict_first_row(r, m, &req);

    if (ngx_http_mlpredict_accepts_csv(r)) {
        if (mlp_csv_answer(m, &req, &a, &resp, &resp_len, &e) != 0) {
            goto failed;
        }

        return ngx_http_mlpredict_api_send(r, NGX_HTTP_OK,
                                           &ngx_http_mlpredict_api_csv,
                                           (u_char *) resp, resp_len);
    }

    if (mlp_predict_inputs(m, req.x, req.rows, &a, &out, &labels, &e) != 0) {
        goto failed;
    }

    if (req.rows > 0) {
        oc->predicted = 1;
        oc->first_label = mlp_model_is_classifier(m) ? labels[0] : 0;
        oc->first_value = out[0];
    }

    jr.shape = MLP_SHAPE_INSTANCES;
    jr.rows = req.rows;
    jr.x = req.x;
    jr.explain = 0;

    resp = ngx_palloc(r->pool, mlp_response_bound(m, req.rows));
    if (resp == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    resp_len = mlp_write_response(m, &jr, out, labels, resp);

    return ngx_http_mlpredict_api_send(r, NGX_HTTP_OK,
                                       &ngx_http_mlpredict_api_json,
                                       (u_char *) resp, resp_len);

failed:

    *failed = 1;

    if (e.status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "mlpredict: %s",
                      e.message);
        return e.status;
    }

    return ngx_http_mlpredict_send_error(r, e.status, e.message);
}


/*
 * The binary extension's Inference-Header-Content-Length, NULL if none, or
 * ngx_http_mlpredict_v2_twice if given more than once.
 */

static ngx_table_elt_t *
ngx_http_mlpredict_v2_header_len(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *found;

    found = NULL;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return found;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("Inference-Header-Content-Length") - 1
            && ngx_strncasecmp(h[i].key.data,
                               (u_char *) "Inference-Header-Content-Length",
                               h[i].key.len)
               == 0)
        {
            if (found != NULL) {
                return &ngx_http_mlpredict_v2_twice;
            }

            found = &h[i];
        }
    }
}
