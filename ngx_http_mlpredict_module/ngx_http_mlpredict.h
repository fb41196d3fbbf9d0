
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


/* one per model file, shared by every location and variable naming it */
typedef struct {
    ngx_str_t                    path;
    dev_t                        dev;
    ngx_file_uniq_t              uniq;
    mlp_model_t                 *model;
    ngx_str_t                    info;      /* GET answer, built at load */
    void                        *metrics;   /* its slot in the metrics zone */
} ngx_http_mlpredict_model_t;


typedef struct {
    ngx_array_t                  models;    /* ngx_http_mlpredict_model_t * */
} ngx_http_mlpredict_main_conf_t;


ngx_http_mlpredict_model_t *ngx_http_mlpredict_load(ngx_conf_t *cf,
    ngx_str_t *path);
void *ngx_http_mlpredict_alloc(void *data, size_t size);

char *ngx_http_mlpredict_score(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* the model of the request's location, NULL if none */
ngx_http_mlpredict_model_t *ngx_http_mlpredict_location_model(
    ngx_http_request_t *r);

/* ngx_http_mlpredict_metrics.c: metrics, log variables, JSON errors */
ngx_int_t ngx_http_mlpredict_model_label(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *version);
uint64_t ngx_http_mlpredict_clock(void);
void ngx_http_mlpredict_note(ngx_http_request_t *r, mlp_outcome_t *oc,
    uint64_t core_ns, ngx_uint_t failed);


extern ngx_module_t  ngx_http_mlpredict_module;
extern ngx_module_t  ngx_http_mlpredict_metrics_module;


#endif /* _NGX_HTTP_MLPREDICT_H_INCLUDED_ */
