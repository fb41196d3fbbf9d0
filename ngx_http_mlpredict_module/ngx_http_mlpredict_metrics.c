
/*
 * Operability: Prometheus metrics from a shared memory zone, the access log
 * variables, and JSON bodies for the errors nginx answers itself outside
 * mlpredict locations. A module of its own in the same shared object, so
 * that its configuration and request state stay apart from the predictor's.
 *
 * The zone holds one fixed-size slot per model label (name and version),
 * claimed by the master when a configuration is loaded; workers only add to
 * counters with atomic operations, so a request never locks nor allocates
 * shared memory. The zone is reused by a reload that keeps its name and
 * size, and so are the slots of labels the new configuration keeps.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <time.h>

#include "mlp.h"
#include "ngx_http_mlpredict.h"


#define NGX_HTTP_MLPREDICT_NAME_LEN     64
#define NGX_HTTP_MLPREDICT_VERSION_LEN  16


/* the error reasons, a fixed set (README "Metrics") */
enum {
    NGX_HTTP_MLPREDICT_ERR_INVALID_INPUT = 0,
    NGX_HTTP_MLPREDICT_ERR_TOO_LARGE,
    NGX_HTTP_MLPREDICT_ERR_METHOD,
    NGX_HTTP_MLPREDICT_ERR_MEDIA_TYPE,
    NGX_HTTP_MLPREDICT_ERR_BAD_REQUEST,
    NGX_HTTP_MLPREDICT_ERR_TIMEOUT,
    NGX_HTTP_MLPREDICT_ERR_CLIENT_CLOSED,
    NGX_HTTP_MLPREDICT_ERR_INTERNAL,
    NGX_HTTP_MLPREDICT_ERR_OTHER,
    NGX_HTTP_MLPREDICT_NREASONS
};


static ngx_str_t  ngx_http_mlpredict_reasons[] = {
    ngx_string("invalid_input"),
    ngx_string("too_large"),
    ngx_string("method_not_allowed"),
    ngx_string("unsupported_media_type"),
    ngx_string("bad_request"),
    ngx_string("timeout"),
    ngx_string("client_closed"),
    ngx_string("internal"),
    ngx_string("other")
};


/* histogram bounds in microseconds, and as the "le" labels print them */

static ngx_uint_t  ngx_http_mlpredict_request_us[] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000
};

static char  *ngx_http_mlpredict_request_le[] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5", "1", "2.5", "5", "10", "+Inf"
};

static ngx_uint_t  ngx_http_mlpredict_core_us[] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000
};

static char  *ngx_http_mlpredict_core_le[] = {
    "5e-06", "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005",
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.1", "+Inf"
};

#define NGX_HTTP_MLPREDICT_NBUCKETS  14     /* each table's bounds + Inf */


typedef struct {
    uint64_t                     count[NGX_HTTP_MLPREDICT_NBUCKETS];
    uint64_t                     sum;       /* microseconds or ns */
} ngx_http_mlpredict_histogram_t;


typedef struct ngx_http_mlpredict_slot_s  ngx_http_mlpredict_slot_t;

struct ngx_http_mlpredict_slot_s {
    ngx_http_mlpredict_slot_t   *next;
    ngx_uint_t                   gen;       /* the last load that used it */
    u_char                       name[NGX_HTTP_MLPREDICT_NAME_LEN];
    u_char                       version[NGX_HTTP_MLPREDICT_VERSION_LEN];
    size_t                       name_len;
    size_t                       version_len;

    uint64_t                     requests[5];   /* 1xx .. 5xx */
    uint64_t                     rows;
    uint64_t                     errors[NGX_HTTP_MLPREDICT_NREASONS];
    ngx_http_mlpredict_histogram_t  request;    /* sum in microseconds */
    ngx_http_mlpredict_histogram_t  core;       /* sum in nanoseconds */
};


typedef struct {
    ngx_http_mlpredict_slot_t   *slots;     /* the labels of recent loads */
    ngx_uint_t                   gen;       /* configuration loads */
} ngx_http_mlpredict_shm_t;


typedef struct {
    ngx_shm_zone_t              *zone;
    ngx_http_mlpredict_shm_t    *shm;
    ngx_http_mlpredict_main_conf_t  *mmcf;  /* the predictor's registry */
    ngx_array_t                  slots;     /* the current configuration's */
    ngx_array_t                  loads;     /* a load for each of slots */
} ngx_http_mlpredict_metrics_main_conf_t;


/*
 * What a configuration loaded, kept with it, not in the shared slot: a
 * reload that fails after the zone is set up must leave the running
 * workers' figures alone.
 */
typedef struct {
    uint32_t                     checksum;
    time_t                       loaded;
    ngx_http_mlpredict_model_t  *owner;     /* the file counted there */
} ngx_http_mlpredict_load_t;


typedef struct {
    ngx_flag_t                   metrics;
    ngx_flag_t                   json_errors;
} ngx_http_mlpredict_metrics_loc_conf_t;


typedef struct {
    mlp_outcome_t                outcome;
    uint64_t                     core_ns;
    ngx_http_mlpredict_model_t  *model;     /* a named model's, by a route */
    ngx_http_mlpredict_named_t  *named;
    double                      *row0;      /* a route's first row, kept */
    ngx_str_t                    error;     /* the JSON body replacing */
    unsigned                     cored:1;   /* the core ran */
    unsigned                     core_error:1;
    unsigned                     replace:1;
    unsigned                     sent:1;
} ngx_http_mlpredict_metrics_ctx_t;


static ngx_int_t ngx_http_mlpredict_metrics_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_mlpredict_log_handler(ngx_http_request_t *r);
static ngx_uint_t ngx_http_mlpredict_reason(ngx_http_request_t *r,
    ngx_http_mlpredict_metrics_ctx_t *ctx);
static void ngx_http_mlpredict_observe(ngx_http_mlpredict_histogram_t *h,
    ngx_uint_t *bounds, uint64_t us, uint64_t sum);
static u_char *ngx_http_mlpredict_write_histogram(u_char *p,
    ngx_http_mlpredict_slot_t *s, ngx_http_mlpredict_histogram_t *h,
    const char *metric, char **le, double unit);
static u_char *ngx_http_mlpredict_write_labels(u_char *p,
    ngx_http_mlpredict_slot_t *s);
static ngx_int_t ngx_http_mlpredict_metrics_init_zone(
    ngx_shm_zone_t *shm_zone, void *data);
static ngx_http_mlpredict_slot_t *ngx_http_mlpredict_slot(
    ngx_slab_pool_t *shpool, ngx_http_mlpredict_shm_t *shm, ngx_str_t *name,
    ngx_str_t *version);
static void ngx_http_mlpredict_model_label_of(ngx_http_mlpredict_model_t *mm,
    ngx_str_t *name, ngx_str_t *version);

static ngx_int_t ngx_http_mlpredict_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static ngx_int_t ngx_http_mlpredict_errors_header_filter(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_mlpredict_errors_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);

static char *ngx_http_mlpredict_metrics_zone(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_mlpredict_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_mlpredict_metrics_add_variables(ngx_conf_t *cf);
static void *ngx_http_mlpredict_metrics_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_mlpredict_metrics_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_mlpredict_metrics_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static ngx_int_t ngx_http_mlpredict_metrics_postconf(ngx_conf_t *cf);


static ngx_command_t  ngx_http_mlpredict_metrics_commands[] = {

    { ngx_string("mlpredict_metrics_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_mlpredict_metrics_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mlpredict_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_mlpredict_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("mlpredict_json_errors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_mlpredict_metrics_loc_conf_t, json_errors),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_mlpredict_metrics_module_ctx = {
    ngx_http_mlpredict_metrics_add_variables,   /* preconfiguration */
    ngx_http_mlpredict_metrics_postconf,        /* postconfiguration */

    ngx_http_mlpredict_metrics_create_main_conf, /* create main conf */
    NULL,                                        /* init main conf */

    NULL,                                        /* create server conf */
    NULL,                                        /* merge server conf */

    ngx_http_mlpredict_metrics_create_loc_conf,  /* create location conf */
    ngx_http_mlpredict_metrics_merge_loc_conf    /* merge location conf */
};


ngx_module_t  ngx_http_mlpredict_metrics_module = {
    NGX_MODULE_V1,
    &ngx_http_mlpredict_metrics_module_ctx,     /* module context */
    ngx_http_mlpredict_metrics_commands,        /* module directives */
    NGX_HTTP_MODULE,                            /* module type */
    NULL,                                       /* init master */
    NULL,                                       /* init module */
    NULL,                                       /* init process */
    NULL,                                       /* init thread */
    NULL,                                       /* exit thread */
    NULL,                                       /* exit process */
    NULL,                                       /* exit master */
    NGX_MODULE_V1_PADDING
};


enum {
    NGX_HTTP_MLPREDICT_VAR_MODEL = 0,
    NGX_HTTP_MLPREDICT_VAR_VERSION,
    NGX_HTTP_MLPREDICT_VAR_ROWS,
    NGX_HTTP_MLPREDICT_VAR_PREDICTION,
    NGX_HTTP_MLPREDICT_VAR_CORE_US,
    NGX_HTTP_MLPREDICT_VAR_ERROR
};


static ngx_http_variable_t  ngx_http_mlpredict_metrics_vars[] = {

    { ngx_string("mlpredict_model"), NULL, ngx_http_mlpredict_variable,
      NGX_HTTP_MLPREDICT_VAR_MODEL, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mlpredict_model_version"), NULL,
      ngx_http_mlpredict_variable, NGX_HTTP_MLPREDICT_VAR_VERSION,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mlpredict_rows"), NULL, ngx_http_mlpredict_variable,
      NGX_HTTP_MLPREDICT_VAR_ROWS, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mlpredict_prediction"), NULL, ngx_http_mlpredict_variable,
      NGX_HTTP_MLPREDICT_VAR_PREDICTION, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mlpredict_core_us"), NULL, ngx_http_mlpredict_variable,
      NGX_HTTP_MLPREDICT_VAR_CORE_US, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("mlpredict_error"), NULL, ngx_http_mlpredict_variable,
      NGX_HTTP_MLPREDICT_VAR_ERROR, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_str_t  ngx_http_mlpredict_prometheus_type =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");
static ngx_str_t  ngx_http_mlpredict_json_type =
    ngx_string("application/json");


/*
 * The label of the model a request is answered by. One function, so that
 * named models can give their own name and version here.
 */

ngx_int_t
ngx_http_mlpredict_model_label(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *version)
{
    ngx_http_mlpredict_model_t        *mm;
    ngx_http_mlpredict_metrics_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_mlpredict_metrics_module);

    /* a named model: its configured name and version */
    if (ctx != NULL && ctx->named != NULL) {
        *name = ctx->named->name;
        version->data = ctx->named->json_version.data + 1;
        version->len = ctx->named->json_version.len - 2;
        return NGX_OK;
    }

    mm = ngx_http_mlpredict_request_model(r);

    if (mm == NULL) {
        return NGX_DECLINED;
    }

    ngx_http_mlpredict_model_label_of(mm, name, version);

    return NGX_OK;
}


/* a model file's label: its base name without ".mlp", version "1" */

static void
ngx_http_mlpredict_model_label_of(ngx_http_mlpredict_model_t *mm,
    ngx_str_t *name, ngx_str_t *version)
{
    u_char  *p, *last;

    last = mm->path.data + mm->path.len;
    p = last;

    while (p > mm->path.data && p[-1] != '/') {
        p--;
    }

    if (last - p > 4 && ngx_strncmp(last - 4, ".mlp", 4) == 0) {
        last -= 4;
    }

    name->data = p;
    name->len = last - p;     /* over NGX_HTTP_MLPREDICT_NAME_LEN: refused */

    ngx_str_set(version, "1");
}


uint64_t
ngx_http_mlpredict_clock(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}


static ngx_http_mlpredict_metrics_ctx_t *
ngx_http_mlpredict_metrics_ctx(ngx_http_request_t *r)
{
    ngx_http_mlpredict_metrics_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_mlpredict_metrics_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_mlpredict_metrics_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_mlpredict_metrics_module);
    }

    return ctx;
}


/* A protocol route names the model it answers by: counted under it. */

void
ngx_http_mlpredict_use_model(ngx_http_request_t *r,
    ngx_http_mlpredict_named_t *nm)
{
    ngx_http_mlpredict_metrics_ctx_t  *ctx;

    ctx = ngx_http_mlpredict_metrics_ctx(r);

    if (ctx != NULL) {
        ctx->model = nm->model;
        ctx->named = nm;
    }
}


ngx_http_mlpredict_model_t *
ngx_http_mlpredict_request_model(ngx_http_request_t *r)
{
    ngx_http_mlpredict_metrics_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_mlpredict_metrics_module);

    if (ctx != NULL && ctx->model != NULL) {
        return ctx->model;
    }

    return ngx_http_mlpredict_location_model(r);
}


/* The predictor tells what the core did; counted at the log phase. */

/* A route keeps its first row for $mlpredict_prediction (row0: n_inputs). */

void
ngx_http_mlpredict_keep_row(ngx_http_request_t *r, const double *row0,
    size_t n)
{
    ngx_http_mlpredict_metrics_ctx_t  *ctx;

    ctx = ngx_http_mlpredict_metrics_ctx(r);

    if (ctx == NULL) {
        return;
    }

    ctx->row0 = ngx_palloc(r->pool, n * sizeof(double) + 1);

    if (ctx->row0 != NULL) {
        ngx_memcpy(ctx->row0, row0, n * sizeof(double));
    }
}


void
ngx_http_mlpredict_note(ngx_http_request_t *r, mlp_outcome_t *oc,
    uint64_t core_ns, ngx_uint_t failed)
{
    ngx_http_mlpredict_metrics_ctx_t  *ctx;

    ctx = ngx_http_mlpredict_metrics_ctx(r);

    if (ctx == NULL) {
        return;
    }

    ctx->outcome = *oc;
    ctx->core_ns = core_ns;
    ctx->cored = 1;
    ctx->core_error = failed ? 1 : 0;
}


static ngx_uint_t
ngx_http_mlpredict_reason(ngx_http_request_t *r,
    ngx_http_mlpredict_metrics_ctx_t *ctx)
{
    ngx_uint_t  status;

    status = r->headers_out.status;

    switch (status) {
    case NGX_HTTP_BAD_REQUEST:
        return (ctx && ctx->core_error) ? NGX_HTTP_MLPREDICT_ERR_INVALID_INPUT
                                        : NGX_HTTP_MLPREDICT_ERR_BAD_REQUEST;
    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        return NGX_HTTP_MLPREDICT_ERR_TOO_LARGE;
    case NGX_HTTP_NOT_ALLOWED:
        return NGX_HTTP_MLPREDICT_ERR_METHOD;
    case NGX_HTTP_UNSUPPORTED_MEDIA_TYPE:
        return NGX_HTTP_MLPREDICT_ERR_MEDIA_TYPE;
    case NGX_HTTP_REQUEST_TIME_OUT:
        return NGX_HTTP_MLPREDICT_ERR_TIMEOUT;
    case NGX_HTTP_CLIENT_CLOSED_REQUEST:
        return NGX_HTTP_MLPREDICT_ERR_CLIENT_CLOSED;
    }

    return status >= NGX_HTTP_INTERNAL_SERVER_ERROR
           ? NGX_HTTP_MLPREDICT_ERR_INTERNAL : NGX_HTTP_MLPREDICT_ERR_OTHER;
}


static ngx_int_t
ngx_http_mlpredict_log_handler(ngx_http_request_t *r)
{
    uint64_t                                 us;
    ngx_msec_int_t                           ms;
    ngx_uint_t                               status, i;
    struct timespec                          ts;
    ngx_http_mlpredict_slot_t               *s;
    ngx_http_mlpredict_model_t              *mm;
    ngx_http_mlpredict_metrics_ctx_t        *ctx;
    ngx_http_mlpredict_metrics_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_mlpredict_metrics_module);

    if (mcf->zone == NULL) {
        return NGX_OK;
    }

    mm = ngx_http_mlpredict_request_model(r);

    if (mm == NULL || mm->metrics == NULL) {
        return NGX_OK;
    }

    s = mm->metrics;

    ctx = ngx_http_get_module_ctx(r, ngx_http_mlpredict_metrics_module);

    if (ctx != NULL && ctx->named != NULL && ctx->named->metrics != NULL) {
        s = ctx->named->metrics;
    }

    status = r->headers_out.status;

    if (status < 100 || status > 599) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_mlpredict_metrics_module);

    (void) __atomic_fetch_add(&s->requests[status / 100 - 1], 1,
                              __ATOMIC_RELAXED);

    if (status >= NGX_HTTP_BAD_REQUEST) {
        i = ngx_http_mlpredict_reason(r, ctx);
        (void) __atomic_fetch_add(&s->errors[i], 1, __ATOMIC_RELAXED);

    } else if (ctx && ctx->cored && status < 300) {
        (void) __atomic_fetch_add(&s->rows, ctx->outcome.rows,
                                  __ATOMIC_RELAXED);
    }

    /*
     * as $request_time, from the request's start in milliseconds, but to
     * the clock's present rather than nginx's cached time
     */
    (void) clock_gettime(CLOCK_REALTIME, &ts);

    ms = (ngx_msec_int_t) (ts.tv_sec - r->start_sec) * 1000
         + (ngx_msec_int_t) (ts.tv_nsec / 1000000)
         - (ngx_msec_int_t) r->start_msec;
    us = (uint64_t) ngx_max(ms, 0) * 1000;

    ngx_http_mlpredict_observe(&s->request,
                               ngx_http_mlpredict_request_us, us, us);

    if (ctx && ctx->cored) {
        ngx_http_mlpredict_observe(&s->core,
                                   ngx_http_mlpredict_core_us,
                                   ctx->core_ns / 1000, ctx->core_ns);
    }

    return NGX_OK;
}


static void
ngx_http_mlpredict_observe(ngx_http_mlpredict_histogram_t *h,
    ngx_uint_t *bounds, uint64_t us, uint64_t sum)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_MLPREDICT_NBUCKETS - 1; i++) {
        if (us <= bounds[i]) {
            break;
        }
    }

    (void) __atomic_fetch_add(&h->count[i], 1, __ATOMIC_RELAXED);
    (void) __atomic_fetch_add(&h->sum, sum, __ATOMIC_RELAXED);
}


/* a line of the exposition at most, but for its labels' values */
#define NGX_HTTP_MLPREDICT_LINE                                              \
    (sizeof("mlpredict_request_duration_seconds_bucket{model=\"\","          \
            "version=\"\",le=\"\",checksum=\"crc32:00000000\"} ")            \
     + 64 + NGX_ATOMIC_T_LEN + NGX_INT64_LEN)

#define NGX_HTTP_MLPREDICT_LINES                                             \
    (5 + NGX_HTTP_MLPREDICT_NREASONS + 1 + 2                                 \
     + 2 * (NGX_HTTP_MLPREDICT_NBUCKETS + 2))


/*
 * Each family's HELP and TYPE, then its samples for every model: the text
 * format wants a family's lines together.
 */

static const char  *ngx_http_mlpredict_help[] = {
    "# HELP mlpredict_requests_total Requests answered by an mlpredict "
    "location, by status class.\n"
    "# TYPE mlpredict_requests_total counter\n",
    "# HELP mlpredict_predicted_rows_total Rows predicted in successful "
    "answers.\n"
    "# TYPE mlpredict_predicted_rows_total counter\n",
    "# HELP mlpredict_errors_total Requests answered with a 4xx or 5xx "
    "status, by reason.\n"
    "# TYPE mlpredict_errors_total counter\n",
    "# HELP mlpredict_request_duration_seconds Time from the request's "
    "start to its log phase (millisecond resolution).\n"
    "# TYPE mlpredict_request_duration_seconds histogram\n",
    "# HELP mlpredict_core_duration_seconds Time spent in the core: parse, "
    "predict, write.\n"
    "# TYPE mlpredict_core_duration_seconds histogram\n",
    "# HELP mlpredict_model_info The loaded model file: its checksum and "
    "load time.\n"
    "# TYPE mlpredict_model_info gauge\n",
    "# HELP mlpredict_model_load_timestamp_seconds When the model was "
    "loaded (the configuration load), Unix time.\n"
    "# TYPE mlpredict_model_load_timestamp_seconds gauge\n"
};

#define NGX_HTTP_MLPREDICT_FAMILIES  7


static ngx_int_t
ngx_http_mlpredict_metrics_handler(ngx_http_request_t *r)
{
    u_char                                  *p, *start;
    size_t                                   size;
    ngx_tm_t                                 tm;
    ngx_int_t                                rc;
    ngx_buf_t                               *b;
    ngx_uint_t                               i, k, f;
    ngx_chain_t                              out;
    ngx_http_mlpredict_slot_t              **sp, *s;
    ngx_http_mlpredict_load_t               *ld;
    ngx_http_mlpredict_metrics_main_conf_t  *mcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_mlpredict_metrics_module);

    sp = mcf->slots.elts;
    ld = mcf->loads.elts;

    /* label values are escaped into twice their length at most */
    size = 0;

    for (f = 0; f < NGX_HTTP_MLPREDICT_FAMILIES; f++) {
        size += ngx_strlen(ngx_http_mlpredict_help[f]);
    }

    for (i = 0; i < mcf->slots.nelts; i++) {
        size += NGX_HTTP_MLPREDICT_LINES
                * (NGX_HTTP_MLPREDICT_LINE
                   + 2 * (sp[i]->name_len + sp[i]->version_len));
    }

    start = ngx_pnalloc(r->pool, size);
    if (start == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = start;

    for (f = 0; f < NGX_HTTP_MLPREDICT_FAMILIES; f++) {
        p = ngx_cpymem(p, ngx_http_mlpredict_help[f],
                       ngx_strlen(ngx_http_mlpredict_help[f]));

        for (i = 0; i < mcf->slots.nelts; i++) {
            s = sp[i];

            switch (f) {

            case 0:
                for (k = 0; k < 5; k++) {
                    p = ngx_sprintf(p, "mlpredict_requests_total");
                    p = ngx_http_mlpredict_write_labels(p, s);
                    p = ngx_sprintf(p, ",status_class=\"%uixx\"} %uL\n",
                                    k + 1, s->requests[k]);
                }

                break;

            case 1:
                p = ngx_sprintf(p, "mlpredict_predicted_rows_total");
                p = ngx_http_mlpredict_write_labels(p, s);
                p = ngx_sprintf(p, "} %uL\n", s->rows);
                break;

            case 2:
                for (k = 0; k < NGX_HTTP_MLPREDICT_NREASONS; k++) {
                    p = ngx_sprintf(p, "mlpredict_errors_total");
                    p = ngx_http_mlpredict_write_labels(p, s);
                    p = ngx_sprintf(p, ",reason=\"%V\"} %uL\n",
                                    &ngx_http_mlpredict_reasons[k],
                                    s->errors[k]);
                }

                break;

            case 3:
                p = ngx_http_mlpredict_write_histogram(p, s, &s->request,
                        "mlpredict_request_duration_seconds",
                        ngx_http_mlpredict_request_le, 1e6);
                break;

            case 4:
                p = ngx_http_mlpredict_write_histogram(p, s, &s->core,
                        "mlpredict_core_duration_seconds",
                        ngx_http_mlpredict_core_le, 1e9);
                break;

            case 5:
                ngx_libc_gmtime(ld[i].loaded, &tm);

                p = ngx_sprintf(p, "mlpredict_model_info");
                p = ngx_http_mlpredict_write_labels(p, s);
                p = ngx_sprintf(p, ",checksum=\"crc32:%08xD\","
                                "loaded=\"%4d-%02d-%02dT%02d:%02d:%02dZ\"} "
                                "1\n", ld[i].checksum, tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                tm.tm_min, tm.tm_sec);
                break;

            default:
                p = ngx_sprintf(p, "mlpredict_model_load_timestamp_seconds");
                p = ngx_http_mlpredict_write_labels(p, s);
                p = ngx_sprintf(p, "} %T\n", ld[i].loaded);
            }
        }
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type = ngx_http_mlpredict_prometheus_type;
    r->headers_out.content_type_len = ngx_http_mlpredict_prometheus_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = p - start;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = start;
    b->last = p;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* "{model=...,version=..." without the closing brace */

static u_char *
ngx_http_mlpredict_write_labels(u_char *p, ngx_http_mlpredict_slot_t *s)
{
    u_char      *v;
    size_t       len;
    ngx_uint_t   i, k;

    for (k = 0; k < 2; k++) {
        if (k == 0) {
            p = ngx_cpymem(p, "{model=\"", sizeof("{model=\"") - 1);
            v = s->name;
            len = s->name_len;

        } else {
            p = ngx_cpymem(p, ",version=\"", sizeof(",version=\"") - 1);
            v = s->version;
            len = s->version_len;
        }

        /* the text format's label escapes */
        for (i = 0; i < len; i++) {
            switch (v[i]) {
            case '\\':
            case '"':
                *p++ = '\\';
                *p++ = v[i];
                break;
            case '\n':
                *p++ = '\\';
                *p++ = 'n';
                break;
            default:
                *p++ = v[i];
            }
        }

        *p++ = '"';
    }

    return p;
}


static u_char *
ngx_http_mlpredict_write_histogram(u_char *p, ngx_http_mlpredict_slot_t *s,
    ngx_http_mlpredict_histogram_t *h, const char *metric, char **le,
    double unit)
{
    uint64_t    total;
    ngx_uint_t  i;

    total = 0;

    for (i = 0; i < NGX_HTTP_MLPREDICT_NBUCKETS; i++) {
        total += h->count[i];

        p = ngx_sprintf(p, "%s_bucket", metric);
        p = ngx_http_mlpredict_write_labels(p, s);
        p = ngx_sprintf(p, ",le=\"%s\"} %uL\n", le[i], total);
    }

    p = ngx_sprintf(p, "%s_sum", metric);
    p = ngx_http_mlpredict_write_labels(p, s);
    p = ngx_sprintf(p, "} %.9f\n", (double) h->sum / unit);

    p = ngx_sprintf(p, "%s_count", metric);
    p = ngx_http_mlpredict_write_labels(p, s);
    p = ngx_sprintf(p, "} %uL\n", total);

    return p;
}


/*
 * In the master, at every configuration load: the slots of the
 * configuration's models found or claimed, their load recorded with the
 * configuration. A label a reload dropped keeps its slot through the next
 * load (old workers may still count in it); a full zone takes back those
 * older (ngx_http_mlpredict_slot).
 */

static ngx_int_t
ngx_http_mlpredict_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_mlpredict_metrics_main_conf_t  *omcf = data;

    u_char                                  *p;
    ngx_str_t                                name, version;
    ngx_uint_t                               i, j;
    ngx_slab_pool_t                         *shpool;
    ngx_http_mlpredict_slot_t               *s, **sp;
    ngx_http_mlpredict_load_t               *ld;
    ngx_http_mlpredict_named_t              *nm;
    ngx_http_mlpredict_model_t             **mmp;
    ngx_http_mlpredict_metrics_main_conf_t  *mcf;

    mcf = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (omcf != NULL) {
        mcf->shm = omcf->shm;

    } else {
        mcf->shm = ngx_slab_calloc(shpool, sizeof(ngx_http_mlpredict_shm_t));
        if (mcf->shm == NULL) {
            return NGX_ERROR;
        }

        shpool->data = mcf->shm;
    }

    mcf->shm->gen++;

    mmp = mcf->mmcf->models.elts;

    for (i = 0; i < mcf->mmcf->models.nelts; i++) {
        ngx_http_mlpredict_model_label_of(mmp[i], &name, &version);

        /* a label Prometheus refuses would fail the whole scrape */
        p = name.data;
        j = 0;

        while (p < name.data + name.len && !j) {
            if (*p < 0x80) {
                p++;

            } else {
                j = ngx_utf8_decode(&p, name.data + name.len - p)
                    > 0x10ffff;
            }
        }

        if (name.len > NGX_HTTP_MLPREDICT_NAME_LEN || j) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "mlpredict_metrics_zone \"%V\": the model file "
                          "\"%V\" makes a label over %d bytes or not UTF-8",
                          &shm_zone->shm.name, &mmp[i]->path,
                          NGX_HTTP_MLPREDICT_NAME_LEN);
            return NGX_ERROR;
        }

        s = ngx_http_mlpredict_slot(shpool, mcf->shm, &name, &version);

        if (s == NULL) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "mlpredict_metrics_zone \"%V\" is too small: "
                          "no room for model \"%V\" (%uz bytes a model)",
                          &shm_zone->shm.name, &name,
                          sizeof(ngx_http_mlpredict_slot_t));
            return NGX_ERROR;
        }

        mmp[i]->metrics = s;

        /* the exposition lists a label once */
        sp = mcf->slots.elts;

        for (j = 0; j < mcf->slots.nelts; j++) {
            if (sp[j] == s) {
                /* two files counted as one would mislead every graph */
                ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                              "mlpredict_metrics_zone \"%V\": the model "
                              "files \"%V\" and another share the label "
                              "model=\"%V\": give them different file "
                              "names", &shm_zone->shm.name, &mmp[i]->path,
                              &name);
                return NGX_ERROR;
            }
        }

        if (j == mcf->slots.nelts) {
            sp = ngx_array_push(&mcf->slots);
            ld = ngx_array_push(&mcf->loads);
            if (sp == NULL || ld == NULL) {
                return NGX_ERROR;
            }

            *sp = s;
            ld->checksum = mlp_model_checksum(mmp[i]->model);
            ld->loaded = ngx_time();
            ld->owner = mmp[i];
        }
    }

    /* named models (mlpredict_model): their own name and version */
    nm = mcf->mmcf->named.elts;

    for (i = 0; i < mcf->mmcf->named.nelts; i++) {
        name = nm[i].name;
        version.data = nm[i].json_version.data + 1;
        version.len = nm[i].json_version.len - 2;

        if (name.len > NGX_HTTP_MLPREDICT_NAME_LEN
            || version.len > NGX_HTTP_MLPREDICT_VERSION_LEN)
        {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "mlpredict_metrics_zone \"%V\": the model name "
                          "\"%V\" is over %d bytes", &shm_zone->shm.name,
                          &name, NGX_HTTP_MLPREDICT_NAME_LEN);
            return NGX_ERROR;
        }

        s = ngx_http_mlpredict_slot(shpool, mcf->shm, &name, &version);

        if (s == NULL) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "mlpredict_metrics_zone \"%V\" is too small: "
                          "no room for model \"%V\" (%uz bytes a model)",
                          &shm_zone->shm.name, &name,
                          sizeof(ngx_http_mlpredict_slot_t));
            return NGX_ERROR;
        }

        nm[i].metrics = s;

        sp = mcf->slots.elts;
        ld = mcf->loads.elts;

        for (j = 0; j < mcf->slots.nelts; j++) {
            if (sp[j] == s) {
                break;
            }
        }

        if (j < mcf->slots.nelts) {
            /* the same file by a location and a name: one model */
            if (ld[j].owner == nm[i].model) {
                continue;
            }

            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "mlpredict_metrics_zone \"%V\": model=\"%V\", "
                          "version=\"%V\" would count two model files "
                          "(\"%V\" and another)", &shm_zone->shm.name,
                          &name, &version, &nm[i].model->path);
            return NGX_ERROR;
        }

        sp = ngx_array_push(&mcf->slots);
        ld = ngx_array_push(&mcf->loads);
        if (sp == NULL || ld == NULL) {
            return NGX_ERROR;
        }

        *sp = s;
        ld->checksum = mlp_model_checksum(nm[i].model->model);
        ld->loaded = ngx_time();
        ld->owner = nm[i].model;
    }

    return NGX_OK;
}


static ngx_http_mlpredict_slot_t *
ngx_http_mlpredict_slot(ngx_slab_pool_t *shpool,
    ngx_http_mlpredict_shm_t *shm, ngx_str_t *name, ngx_str_t *version)
{
    ngx_http_mlpredict_slot_t  *s, **pp;

    for (s = shm->slots; s; s = s->next) {
        if (s->name_len == name->len
            && ngx_memcmp(s->name, name->data, name->len) == 0
            && s->version_len == version->len
            && ngx_memcmp(s->version, version->data, version->len) == 0)
        {
            s->gen = shm->gen;
            return s;
        }
    }

    if (version->len > NGX_HTTP_MLPREDICT_VERSION_LEN) {
        return NULL;
    }

    s = ngx_slab_calloc(shpool, sizeof(ngx_http_mlpredict_slot_t));

    if (s == NULL) {
        /*
         * Full: the labels neither this load nor the one before it uses
         * are given back (workers older than that have had a reload's
         * time to finish), so renamed models cannot exhaust the zone
         */
        for (pp = &shm->slots; *pp; /* void */) {
            if ((*pp)->gen + 1 < shm->gen) {
                s = *pp;
                *pp = s->next;
                ngx_slab_free(shpool, s);

            } else {
                pp = &(*pp)->next;
            }
        }

        s = ngx_slab_calloc(shpool, sizeof(ngx_http_mlpredict_slot_t));
        if (s == NULL) {
            return NULL;
        }
    }

    s->gen = shm->gen;

    ngx_memcpy(s->name, name->data, name->len);
    s->name_len = name->len;
    ngx_memcpy(s->version, version->data, version->len);
    s->version_len = version->len;

    s->next = shm->slots;
    shm->slots = s;

    return s;
}


static ngx_int_t
ngx_http_mlpredict_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                            *p;
    double                            *out;
    size_t                             len;
    uint32_t                          *labels;
    ngx_str_t                          name, version;
    mlp_alloc_t                        a;
    mlp_error_t                        e;
    ngx_http_mlpredict_model_t        *mm;
    ngx_http_mlpredict_metrics_ctx_t  *ctx;

    mm = ngx_http_mlpredict_request_model(r);

    if (mm == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_mlpredict_metrics_module);

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    switch (data) {

    case NGX_HTTP_MLPREDICT_VAR_MODEL:
    case NGX_HTTP_MLPREDICT_VAR_VERSION:
        (void) ngx_http_mlpredict_model_label(r, &name, &version);

        if (data == NGX_HTTP_MLPREDICT_VAR_VERSION) {
            name = version;
        }

        v->data = name.data;
        v->len = name.len;
        return NGX_OK;

    case NGX_HTTP_MLPREDICT_VAR_ERROR:
        if (r->headers_out.status < NGX_HTTP_BAD_REQUEST) {
            v->not_found = 1;
            return NGX_OK;
        }

        name = ngx_http_mlpredict_reasons[ngx_http_mlpredict_reason(r, ctx)];
        v->data = name.data;
        v->len = name.len;
        return NGX_OK;
    }

    /* a route's first row is there before its answer is noted */
    if (ctx == NULL
        || (!ctx->cored
            && !(data == NGX_HTTP_MLPREDICT_VAR_PREDICTION && ctx->row0)))
    {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 32
                             + NGX_HTTP_MLPREDICT_NAME_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    switch (data) {

    case NGX_HTTP_MLPREDICT_VAR_ROWS:
        len = ngx_sprintf(p, "%uz", ctx->outcome.rows) - p;
        break;

    case NGX_HTTP_MLPREDICT_VAR_CORE_US:
        len = ngx_sprintf(p, "%uL", ctx->core_ns / 1000) - p;
        break;

    default: /* NGX_HTTP_MLPREDICT_VAR_PREDICTION */

        /* a protocol route's first row is predicted again only if asked */
        if (!ctx->outcome.predicted && ctx->row0 != NULL
            && r->headers_out.status < NGX_HTTP_SPECIAL_RESPONSE)
        {
            a.alloc = ngx_http_mlpredict_alloc;
            a.data = r->pool;

            if (mlp_predict_inputs(mm->model, ctx->row0, 1, &a, &out,
                                   &labels, &e)
                == 0)
            {
                ctx->outcome.predicted = 1;
                ctx->outcome.first_label = labels[0];
                ctx->outcome.first_value = out[0];
            }

            ctx->row0 = NULL;
        }

        if (!ctx->outcome.predicted) {
            v->not_found = 1;
            return NGX_OK;
        }

        /* a class as its label's text; a label too long is not shown */
        if (mlp_model_is_classifier(mm->model)) {
            if (mlp_model_class_text(mm->model, ctx->outcome.first_label,
                                     (char *) p, NGX_HTTP_MLPREDICT_NAME_LEN,
                                     &len)
                != 0)
            {
                v->not_found = 1;
                return NGX_OK;
            }

        } else {
            len = mlp_write_double(ctx->outcome.first_value, (char *) p);
        }
    }

    v->data = p;
    v->len = len;

    return NGX_OK;
}


/*
 * mlpredict_json_errors: the error pages nginx makes itself (err_status
 * set: a bad request line, headers too large, TRACE, a broken
 * Content-Length...) as {"error": "..."}. The predictor's own filter
 * handles mlpredict locations.
 */

static ngx_int_t
ngx_http_mlpredict_errors_header_filter(ngx_http_request_t *r)
{
    u_char                                 *p;
    size_t                                  size;
    const char                             *message;
    ngx_http_mlpredict_metrics_ctx_t       *ctx;
    ngx_http_mlpredict_metrics_loc_conf_t  *lcf;

    if (r != r->main || r->err_status == 0
        || r->headers_out.status < NGX_HTTP_BAD_REQUEST)
    {
        return ngx_http_next_header_filter(r);
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_mlpredict_metrics_module);

    /* a page error_page redirected to is the configuration's choice */
    if (!lcf->json_errors || (r->error_page && r->internal)
        || ngx_http_mlpredict_location_model(r) != NULL)
    {
        return ngx_http_next_header_filter(r);
    }

    switch (r->headers_out.status) {
    case NGX_HTTP_BAD_REQUEST:
        message = "bad request: a malformed request line or header, "
                  "or headers too large";
        break;
    case NGX_HTTP_NOT_FOUND:
        message = "not found";
        break;
    case NGX_HTTP_NOT_ALLOWED:
        message = "method not allowed";
        break;
    case NGX_HTTP_REQUEST_TIME_OUT:
        message = "request timeout";
        break;
    case NGX_HTTP_LENGTH_REQUIRED:
        message = "length required";
        break;
    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        message = "request body too large";
        break;
    case NGX_HTTP_REQUEST_URI_TOO_LARGE:
        message = "request URI too long";
        break;
    case NGX_HTTP_NOT_IMPLEMENTED:
        message = "not implemented";
        break;
    default:
        message = r->headers_out.status >= NGX_HTTP_INTERNAL_SERVER_ERROR
                  ? "internal server error" : "request refused";
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_mlpredict_metrics_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_mlpredict_metrics_ctx_t));
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_mlpredict_metrics_module);
    }

    size = 6 * ngx_strlen(message) + 16;

    p = ngx_pnalloc(r->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->error.data = p;
    ctx->error.len = mlp_write_error(message, (char *) p, size);
    ctx->replace = 1;

    r->headers_out.content_type = ngx_http_mlpredict_json_type;
    r->headers_out.content_type_len = ngx_http_mlpredict_json_type.len;
    r->headers_out.content_type_lowcase = NULL;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    r->headers_out.content_length_n = ctx->error.len;

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_mlpredict_errors_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t                         *b;
    ngx_chain_t                       *cl, out;
    ngx_http_mlpredict_metrics_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_mlpredict_metrics_module);

    if (ctx == NULL || !ctx->replace) {
        return ngx_http_next_body_filter(r, in);
    }

    /* nginx's HTML page is consumed unsent */
    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }

    if (ctx->sent) {
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
ngx_http_mlpredict_metrics_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_mlpredict_metrics_main_conf_t *mcf = conf;

    ssize_t     size;
    ngx_str_t  *value;

    if (mcf->zone != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[2]);

    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid mlpredict_metrics_zone size \"%V\": at "
                           "least %uz bytes", &value[2], 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    mcf->zone = ngx_shared_memory_add(cf, &value[1], size,
                                      &ngx_http_mlpredict_metrics_module);
    if (mcf->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (mcf->zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "mlpredict_metrics_zone \"%V\" is duplicate",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    mcf->zone->init = ngx_http_mlpredict_metrics_init_zone;
    mcf->zone->data = mcf;

    mcf->mmcf = ngx_http_conf_get_module_main_conf(cf,
                                                   ngx_http_mlpredict_module);

    return NGX_CONF_OK;
}


static char *
ngx_http_mlpredict_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_mlpredict_metrics_loc_conf_t *lcf = conf;

    ngx_http_core_loc_conf_t                *clcf;
    ngx_http_mlpredict_metrics_main_conf_t  *mcf;

    if (lcf->metrics) {
        return "is duplicate";
    }

    mcf = ngx_http_conf_get_module_main_conf(cf,
                                          ngx_http_mlpredict_metrics_module);

    if (mcf->zone == NULL) {
        return "needs an mlpredict_metrics_zone at the http level before it";
    }

    lcf->metrics = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_mlpredict_metrics_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_mlpredict_metrics_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_mlpredict_metrics_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static void *
ngx_http_mlpredict_metrics_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_mlpredict_metrics_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool,
                      sizeof(ngx_http_mlpredict_metrics_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&mcf->slots, cf->pool, 4,
                       sizeof(ngx_http_mlpredict_slot_t *))
        != NGX_OK
        || ngx_array_init(&mcf->loads, cf->pool, 4,
                          sizeof(ngx_http_mlpredict_load_t))
           != NGX_OK)
    {
        return NULL;
    }

    return mcf;
}


static void *
ngx_http_mlpredict_metrics_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_mlpredict_metrics_loc_conf_t  *lcf;

    lcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_mlpredict_metrics_loc_conf_t));
    if (lcf == NULL) {
        return NULL;
    }

    lcf->json_errors = NGX_CONF_UNSET;

    return lcf;
}


static char *
ngx_http_mlpredict_metrics_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_mlpredict_metrics_loc_conf_t *prev = parent;
    ngx_http_mlpredict_metrics_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->json_errors, prev->json_errors, 0);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_mlpredict_metrics_postconf(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_mlpredict_log_handler;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_mlpredict_errors_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_mlpredict_errors_body_filter;

    return NGX_OK;
}
