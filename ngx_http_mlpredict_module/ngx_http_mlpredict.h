
/*
 * What the glue files share: the model registry (one mapping per model
 * file, whoever names it) and the allocator the core is given.
 */

#ifndef _NGX_HTTP_MLPREDICT_H_INCLUDED_
#define _NGX_HTTP_MLPREDICT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "mlp.h"


/* mlpredict_heap_keep's default: the freed heap a worker keeps */
#define NGX_HTTP_MLPREDICT_HEAP_KEEP  (64 * 1024 * 1024)


/* one per model file, shared by every location and variable naming it */
typedef struct {
    ngx_str_t                    path;
    dev_t                        dev;
    ngx_file_uniq_t              uniq;
    mlp_model_t                 *model;
    ngx_str_t                    info;      /* GET answer, built at load */
    void                        *metrics;   /* its slot in the metrics zone */
} ngx_http_mlpredict_model_t;


/* a model by name and version (mlpredict_model), for the protocol routes */
typedef struct {
    ngx_str_t                    name;
    ngx_str_t                    json_name;     /* quoted */
    ngx_uint_t                   version;
    ngx_str_t                    json_version;  /* quoted */
    ngx_http_mlpredict_model_t  *model;
    ngx_str_t                    v2_meta;       /* built at configuration */
    ngx_str_t                    v2_ready;
    ngx_str_t                    tf_meta;
    ngx_str_t                    tf_status;     /* this version's */
    ngx_str_t                    tf_status_all; /* every version's */
    void                        *metrics;   /* its slot: its name, version */
} ngx_http_mlpredict_named_t;


typedef struct {
    ngx_array_t                  models;    /* ngx_http_mlpredict_model_t * */
    ngx_array_t                  named;     /* ngx_http_mlpredict_named_t */
    size_t                       heap_keep; /* mlpredict_heap_keep */
} ngx_http_mlpredict_main_conf_t;


typedef struct {
    ngx_http_mlpredict_model_t  *model;
    ngx_int_t                    max_batch;
    ngx_flag_t                   explain;   /* mlpredict_explain */
    unsigned                     api:1;     /* mlpredict_api */
} ngx_http_mlpredict_loc_conf_t;


typedef struct {
    ngx_str_t                    error;     /* replaces nginx's own page */
    unsigned                     own:1;
    unsigned                     replace:1;
    unsigned                     sent:1;
} ngx_http_mlpredict_ctx_t;


ngx_http_mlpredict_model_t *ngx_http_mlpredict_load(ngx_conf_t *cf,
    ngx_str_t *path);
void *ngx_http_mlpredict_alloc(void *data, size_t size);
ngx_int_t ngx_http_mlpredict_collect_body(ngx_http_request_t *r,
    ngx_str_t *body);
ngx_int_t ngx_http_mlpredict_body_pieces(ngx_http_request_t *r,
    ngx_str_t *body, ngx_str_t *tail);
ngx_int_t ngx_http_mlpredict_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *message);
ngx_http_mlpredict_ctx_t *ngx_http_mlpredict_get_ctx(ngx_http_request_t *r);

/* the protocol routes (ngx_http_mlpredict_protocol.c) */
char *ngx_http_mlpredict_model(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_mlpredict_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_mlpredict_protocol_init(ngx_conf_t *cf);

char *ngx_http_mlpredict_score(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* the model of the request's location, NULL if none */
ngx_http_mlpredict_model_t *ngx_http_mlpredict_location_model(
    ngx_http_request_t *r);

/* ngx_http_mlpredict_metrics.c: metrics, log variables, JSON errors */
ngx_int_t ngx_http_mlpredict_model_label(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *version);
uint64_t ngx_http_mlpredict_clock(void);
ngx_int_t ngx_http_mlpredict_is_csv(ngx_http_request_t *r);
ngx_int_t ngx_http_mlpredict_csv_location(ngx_http_request_t *r,
    ngx_str_t *body, mlp_outcome_t *oc, ngx_uint_t *failed);
void ngx_http_mlpredict_use_model(ngx_http_request_t *r,
    ngx_http_mlpredict_named_t *nm);
ngx_http_mlpredict_model_t *ngx_http_mlpredict_request_model(
    ngx_http_request_t *r);
void ngx_http_mlpredict_keep_row(ngx_http_request_t *r, const double *row0,
    size_t n);
void ngx_http_mlpredict_note(ngx_http_request_t *r, mlp_outcome_t *oc,
    uint64_t core_ns, ngx_uint_t failed);


extern ngx_module_t  ngx_http_mlpredict_module;
extern ngx_module_t  ngx_http_mlpredict_metrics_module;


#endif /* _NGX_HTTP_MLPREDICT_H_INCLUDED_ */
