
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
} ngx_http_mlpredict_model_t;


typedef struct {
    ngx_array_t                  models;    /* ngx_http_mlpredict_model_t * */
} ngx_http_mlpredict_main_conf_t;


ngx_http_mlpredict_model_t *ngx_http_mlpredict_load(ngx_conf_t *cf,
    ngx_str_t *path);
void *ngx_http_mlpredict_alloc(void *data, size_t size);

char *ngx_http_mlpredict_score(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


extern ngx_module_t  ngx_http_mlpredict_module;


#endif /* _NGX_HTTP_MLPREDICT_H_INCLUDED_ */
