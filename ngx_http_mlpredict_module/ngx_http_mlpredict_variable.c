
/*
 * mlpredict_score: a prediction as an nginx variable, computed from the
 * request's own variables while nginx decides what to do with it.
 *
 *     mlpredict_score models/bot.mlp $bot_score {
 *         input  rate    $http_x_request_rate;
 *         input  method  $request_method;
 *         class  bot;
 *         label  $bot_label;
 *         default "";
 *     }
 *
 * Everything that depends only on the configuration is done here at load:
 * the inputs resolved to the model's order, values compiled, the class
 * found, the labels decoded. A request pays only when it reads the
 * variable, and once: the result is kept in a tagged cleanup of the
 * request's pool, which outlives the module contexts an internal redirect
 * clears.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "mlp.h"
#include "ngx_http_mlpredict.h"


/* mlp_write_double writes at most 24 bytes */
#define NGX_HTTP_MLPREDICT_DOUBLE_LEN  32


typedef struct {
    ngx_int_t                    index;     /* a lone variable, or -1 */
    ngx_http_complex_value_t    *value;     /* anything else, or NULL */
    ngx_uint_t                   line;      /* where it was given */
} ngx_http_mlpredict_input_t;


typedef struct {
    ngx_http_mlpredict_model_t  *model;
    ngx_str_t                    name;      /* "$bot_score", for the log */
    ngx_http_mlpredict_input_t  *inputs;    /* in the model's input order */
    ngx_uint_t                   n_inputs;
    ngx_uint_t                   n_outputs;
    ngx_uint_t                   output;    /* the class, or the target */
    ngx_str_t                    class_name;
    ngx_int_t                    target;    /* "output", or -1 */
    ngx_str_t                   *labels;    /* classes as plain text */
    ngx_str_t                    label_name;
    ngx_str_t                    deflt;
    unsigned                     deflt_set:1;
    unsigned                     label_only:1;  /* no number per class */
} ngx_http_mlpredict_score_t;


/* one per request (and subrequest) and score read: the pool cleanup's data */
typedef struct {
    ngx_http_request_t          *r;
    ngx_http_mlpredict_score_t  *score;
    ngx_str_t                    value;
    ngx_str_t                    label;
    unsigned                     busy:1;
} ngx_http_mlpredict_result_t;


static char *ngx_http_mlpredict_score_block(ngx_conf_t *cf,
    ngx_command_t *dummy, void *conf);
static char *ngx_http_mlpredict_score_input(ngx_conf_t *cf,
    ngx_http_mlpredict_score_t *sc, ngx_str_t *name, ngx_str_t *value);
static char *ngx_http_mlpredict_score_check(ngx_conf_t *cf,
    ngx_http_mlpredict_score_t *sc);
static ngx_int_t ngx_http_mlpredict_score_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_mlpredict_label_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_http_mlpredict_result_t *ngx_http_mlpredict_result(
    ngx_http_request_t *r, ngx_http_mlpredict_score_t *sc);
static void ngx_http_mlpredict_result_tag(void *data);


char *
ngx_http_mlpredict_score(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                        *rv;
    ngx_str_t                   *value, name;
    ngx_uint_t                   i;
    ngx_conf_t                   save;
    ngx_http_variable_t         *var;
    ngx_http_mlpredict_score_t  *sc;

    value = cf->args->elts;
    name = value[2];

    if (name.len < 2 || name.data[0] != '$') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid variable name \"%V\"", &name);
        return NGX_CONF_ERROR;
    }

    sc = ngx_pcalloc(cf->pool, sizeof(ngx_http_mlpredict_score_t));
    if (sc == NULL) {
        return NGX_CONF_ERROR;
    }

    sc->model = ngx_http_mlpredict_load(cf, &value[1]);
    if (sc->model == NULL) {
        return NGX_CONF_ERROR;
    }

    sc->name = name;
    sc->target = -1;
    sc->n_inputs = mlp_model_n_inputs(sc->model->model);
    sc->n_outputs = mlp_model_n_outputs(sc->model->model);

    sc->inputs = ngx_pcalloc(cf->pool,
                             sc->n_inputs * sizeof(ngx_http_mlpredict_input_t));
    if (sc->inputs == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < sc->n_inputs; i++) {
        sc->inputs[i].index = NGX_ERROR;
    }

    name.len--;
    name.data++;

    var = ngx_http_add_variable(cf, &name, 0);
    if (var == NULL) {
        return NGX_CONF_ERROR;
    }

    var->get_handler = ngx_http_mlpredict_score_variable;
    var->data = (uintptr_t) sc;

    save = *cf;
    cf->handler = ngx_http_mlpredict_score_block;
    cf->handler_conf = (char *) sc;

    rv = ngx_conf_parse(cf, NULL);

    *cf = save;

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    return ngx_http_mlpredict_score_check(cf, sc);
}


/* One line of the block: input, class, label, output or default. */

static char *
ngx_http_mlpredict_score_block(ngx_conf_t *cf, ngx_command_t *dummy,
    void *conf)
{
    ngx_http_mlpredict_score_t *sc = (ngx_http_mlpredict_score_t *) conf;

    ngx_int_t             n;
    ngx_str_t            *value, name;
    ngx_http_variable_t  *var;

    value = cf->args->elts;

    if (cf->args->nelts == 3 && ngx_strcmp(value[0].data, "input") == 0) {
        return ngx_http_mlpredict_score_input(cf, sc, &value[1], &value[2]);
    }

    if (cf->args->nelts != 2) {
        goto invalid;
    }

    if (ngx_strcmp(value[0].data, "class") == 0) {
        if (sc->class_name.data) {
            return "has a duplicate \"class\"";
        }

        sc->class_name = value[1];
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[0].data, "default") == 0) {
        if (sc->deflt_set) {
            return "has a duplicate \"default\"";
        }

        sc->deflt = value[1];
        sc->deflt_set = 1;
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[0].data, "output") == 0) {
        if (sc->target != -1) {
            return "has a duplicate \"output\"";
        }

        n = ngx_atoi(value[1].data, value[1].len);

        if (n == NGX_ERROR || (ngx_uint_t) n >= sc->n_outputs) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid output \"%V\": the model has %ui "
                               "%s, numbered from 0", &value[1],
                               sc->n_outputs,
                               mlp_model_is_classifier(sc->model->model)
                               ? "classes (\"output\" is "
                               "for regressors with several targets)"
                               : "targets");
            return NGX_CONF_ERROR;
        }

        sc->target = n;
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[0].data, "label") == 0) {
        if (sc->label_name.data) {
            return "has a duplicate \"label\"";
        }

        name = value[1];

        if (name.len < 2 || name.data[0] != '$') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid variable name \"%V\"", &name);
            return NGX_CONF_ERROR;
        }

        sc->label_name = name;

        name.len--;
        name.data++;

        var = ngx_http_add_variable(cf, &name, 0);
        if (var == NULL) {
            return NGX_CONF_ERROR;
        }

        var->get_handler = ngx_http_mlpredict_label_variable;
        var->data = (uintptr_t) sc;

        return NGX_CONF_OK;
    }

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid line \"%V\" in mlpredict_score: \"input name "
                       "value\", \"class\", \"label\", \"output\" or "
                       "\"default\" expected", &value[0]);

    return NGX_CONF_ERROR;
}


/*
 * "input name value": a lone variable ($arg_age, ${http_x_plan}) is read
 * by its index, which keeps "not found" and costs no copy; anything else
 * (text, several variables) is a complex value compiled here.
 */

static char *
ngx_http_mlpredict_score_input(ngx_conf_t *cf, ngx_http_mlpredict_score_t *sc,
    ngx_str_t *name, ngx_str_t *value)
{
    long                               j;
    u_char                            *p, *last;
    ngx_str_t                          var;
    ngx_http_mlpredict_input_t        *in;
    ngx_http_compile_complex_value_t   ccv;

    j = mlp_model_feature_index(sc->model->model, (char *) name->data,
                                name->len);

    if (j < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "mlpredict_score: the model \"%V\" has no input "
                           "\"%V\"", &sc->model->path, name);
        return NGX_CONF_ERROR;
    }

    in = &sc->inputs[j];

    if (in->line) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "mlpredict_score: input \"%V\" is given twice "
                           "(first on line %ui)", name, in->line);
        return NGX_CONF_ERROR;
    }

    in->line = cf->conf_file->line;

    p = value->data;
    last = value->data + value->len;

    if (value->len > 1 && *p == '$') {
        p++;

        if (*p == '{' && last[-1] == '}') {
            p++;
            last--;
        }

        var.data = p;

        while (p < last
               && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                   || (*p >= '0' && *p <= '9') || *p == '_'))
        {
            p++;
        }

        var.len = p - var.data;

        /* $1 .. $9 are regex captures, which only a script reads */
        if (p == last && var.len > 0
            && !(var.data[0] >= '0' && var.data[0] <= '9'))
        {
            in->index = ngx_http_get_variable_index(cf, &var);

            if (in->index == NGX_ERROR) {
                return NGX_CONF_ERROR;
            }

            return NGX_CONF_OK;
        }
    }

    in->value = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (in->value == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = value;
    ccv.complex_value = in->value;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* The block as a whole, against the model: refused here, not per request. */

static char *
ngx_http_mlpredict_score_check(ngx_conf_t *cf, ngx_http_mlpredict_score_t *sc)
{
    u_char       *buf;
    size_t        len;
    ngx_str_t     known;
    ngx_uint_t    i, k;
    const char   *s;
    mlp_model_t  *m;

    m = sc->model->model;

    /* an input left out is absent: it must be one that may be missing */

    for (i = 0; i < sc->n_inputs; i++) {
        if (sc->inputs[i].line || mlp_model_input_takes_missing(m, i)) {
            continue;
        }

        s = mlp_model_input_name(m, i, &len);

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "mlpredict_score %V: no \"input %*s ...;\": the "
                           "model \"%V\" takes no missing value for it",
                           &sc->name, len, s, &sc->model->path);
        return NGX_CONF_ERROR;
    }

    if (!mlp_model_is_classifier(m)) {
        if (sc->class_name.data || sc->label_name.data) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "mlpredict_score %V: \"class\" and \"label\" "
                               "are for classifiers; the model \"%V\" is a "
                               "regressor", &sc->name, &sc->model->path);
            return NGX_CONF_ERROR;
        }

        sc->output = sc->target == -1 ? 0 : (ngx_uint_t) sc->target;

        return NGX_CONF_OK;
    }

    if (sc->target != -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "mlpredict_score %V: \"output\" is for regressors "
                           "with several targets; a classifier takes "
                           "\"class\"", &sc->name);
        return NGX_CONF_ERROR;
    }

    /* the labels as plain text, once */

    sc->labels = ngx_palloc(cf->pool, sc->n_outputs * sizeof(ngx_str_t));
    if (sc->labels == NULL) {
        return NGX_CONF_ERROR;
    }

    for (k = 0; k < sc->n_outputs; k++) {
        if (mlp_model_class_text(m, k, NULL, 0, &len) != 0) {
            return NGX_CONF_ERROR;
        }

        buf = ngx_pnalloc(cf->pool, len ? len : 1);
        if (buf == NULL) {
            return NGX_CONF_ERROR;
        }

        if (mlp_model_class_text(m, k, (char *) buf, len, &len) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "mlpredict_score %V: class %ui of \"%V\" "
                               "does not decode to text (a NUL in it?)",
                               &sc->name, k, &sc->model->path);
            return NGX_CONF_ERROR;
        }

        sc->labels[k].data = buf;
        sc->labels[k].len = len;
    }

    if (sc->class_name.data == NULL) {
        if (mlp_output_value(m, NULL, 0, NULL) != 0) {
            /* one-vs-one decision values: the label is all there is */
            sc->label_only = 1;
            return NGX_CONF_OK;
        }

        if (sc->n_outputs != 2) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "mlpredict_score %V: the model \"%V\" has "
                               "%ui classes: say which one's probability "
                               "the variable holds with \"class\"",
                               &sc->name, &sc->model->path, sc->n_outputs);
            return NGX_CONF_ERROR;
        }

        /* binary: the second class, as predict_proba(X)[:, 1] */
        sc->output = 1;

        return NGX_CONF_OK;
    }

    for (k = 0; k < sc->n_outputs; k++) {
        if (sc->labels[k].len == sc->class_name.len
            && ngx_strncmp(sc->labels[k].data, sc->class_name.data,
                           sc->class_name.len)
               == 0)
        {
            break;
        }
    }

    if (k < sc->n_outputs) {
        if (mlp_output_value(m, NULL, k, NULL) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "mlpredict_score %V: the model \"%V\" "
                               "answers decision values by pairs of classes "
                               "(one-vs-one), none for class \"%V\": leave "
                               "\"class\" out and the variable is the "
                               "predicted label", &sc->name,
                               &sc->model->path, &sc->class_name);
            return NGX_CONF_ERROR;
        }

        sc->output = k;
        return NGX_CONF_OK;
    }

    /* the classes it has, as many as a line shows */

    known.data = ngx_pnalloc(cf->pool, 256);
    if (known.data == NULL) {
        return NGX_CONF_ERROR;
    }

    buf = known.data;

    for (k = 0; k < sc->n_outputs && buf - known.data < 200; k++) {
        buf = ngx_snprintf(buf, 256 - (buf - known.data), "%s\"%*s\"",
                           k ? ", " : "",
                           ngx_min(sc->labels[k].len, 40),
                           sc->labels[k].data);
    }

    known.len = buf - known.data;

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "mlpredict_score %V: the model \"%V\" has no class "
                       "\"%V\" (classes: %V%s)", &sc->name, &sc->model->path,
                       &sc->class_name, &known,
                       k < sc->n_outputs ? ", ..." : "");

    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_mlpredict_score_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_mlpredict_result_t  *res;

    res = ngx_http_mlpredict_result(r, (ngx_http_mlpredict_score_t *) data);

    if (res == NULL) {
        return NGX_ERROR;
    }

    if (res->busy) {
        /* the variable is an input of itself */
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = res->value.data;
    v->len = res->value.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_mlpredict_label_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_mlpredict_result_t  *res;

    res = ngx_http_mlpredict_result(r, (ngx_http_mlpredict_score_t *) data);

    if (res == NULL) {
        return NGX_ERROR;
    }

    if (res->busy) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->data = res->label.data;
    v->len = res->label.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * The request's result for this score: found in the pool's cleanups (the
 * same request after an internal redirect finds it too), else computed
 * now. A value the model cannot take gives the default, logged at info: a
 * client's bytes never make an error of the request.
 */

static ngx_http_mlpredict_result_t *
ngx_http_mlpredict_result(ngx_http_request_t *r, ngx_http_mlpredict_score_t *sc)
{
    u_char                       *p;
    double                       *out, d;
    uint32_t                      label;
    ngx_str_t                     s;
    ngx_uint_t                    i, level;
    mlp_text_t                   *row;
    mlp_alloc_t                   a;
    mlp_error_t                   e;
    ngx_pool_cleanup_t           *cln;
    ngx_http_variable_value_t    *vv;
    ngx_http_mlpredict_input_t   *in;
    ngx_http_mlpredict_result_t  *res;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_mlpredict_result_tag) {
            res = cln->data;

            if (res->r == r && res->score == sc) {
                return res;
            }
        }
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_mlpredict_result_t));
    if (cln == NULL) {
        return NULL;
    }

    res = cln->data;
    ngx_memzero(res, sizeof(ngx_http_mlpredict_result_t));

    res->r = r;
    res->score = sc;
    res->busy = 1;

    cln->handler = ngx_http_mlpredict_result_tag;

    row = ngx_palloc(r->pool, sc->n_inputs * sizeof(mlp_text_t));
    p = ngx_pnalloc(r->pool, NGX_HTTP_MLPREDICT_DOUBLE_LEN);

    if (row == NULL || p == NULL) {
        return NULL;
    }

    for (i = 0; i < sc->n_inputs; i++) {
        in = &sc->inputs[i];
        row[i].data = NULL;
        row[i].len = 0;

        if (in->index != NGX_ERROR) {
            vv = ngx_http_get_indexed_variable(r, in->index);

            if (vv != NULL && !vv->not_found) {
                row[i].data = (char *) vv->data;
                row[i].len = vv->len;
            }

        } else if (in->value) {
            if (ngx_http_complex_value(r, in->value, &s) != NGX_OK) {
                return NULL;
            }

            row[i].data = (char *) s.data;
            row[i].len = s.len;
        }
    }

    a.alloc = ngx_http_mlpredict_alloc;
    a.data = r->pool;

    res->busy = 0;

    if (mlp_predict_values(sc->model->model, row, &a, &out, &label, &e) != 0) {
        level = (e.status >= 500) ? NGX_LOG_ERR : NGX_LOG_INFO;

        ngx_log_error(level, r->connection->log, 0,
                      "mlpredict: %V: %s; the variable is its default \"%V\"",
                      &sc->name, e.message, &sc->deflt);

        res->value = sc->deflt;
        res->label = sc->deflt;

        return res;
    }

    if (sc->labels) {
        res->label = sc->labels[label];
    }

    if (sc->label_only) {
        res->value = res->label;

    } else {
        (void) mlp_output_value(sc->model->model, out, sc->output, &d);

        res->value.data = p;
        res->value.len = mlp_write_double(d, (char *) p);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "mlpredict: scored %V: %V \"%V\"", &sc->name, &res->value,
                   &res->label);

    return res;
}


/* The tag that finds a request's results among its pool's cleanups. */

static void
ngx_http_mlpredict_result_tag(void *data)
{
}
