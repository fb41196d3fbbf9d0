
/*
 * The input schema (format version 2): what a client sends, by name and
 * kind, with the known values of each category input, hashed once here so
 * that a request looks a value up in one probe. A file without a schema
 * takes its features as its inputs.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"


static int mlp_schema_inputs(mlp_model_t *m, const mlp_section_t **by_id,
    char *err, size_t errlen);


int
mlp_schema_load(mlp_model_t *m, const mlp_section_t **by_id, char *err,
    size_t errlen)
{
    uint32_t               i;
    const uint32_t        *t;

    m->takes_nan = (m->kind == MLP_KIND_TREES
                    && (m->tree_flags & MLP_TREE_MISSING));

    if (by_id[MLP_SEC_INPUT_NAMES] == NULL) {
        for (i = MLP_SEC_INPUT_INFO; i <= MLP_SEC_TARGET; i++) {
            if (by_id[i] != NULL) {
                mlp_fail(err, errlen, "section id %u without input_names "
                         "(id 40)", i);
                return -1;
            }
        }

        /* the features are the inputs, numbers all */
        m->n_inputs = m->n_features;
        m->input_names = m->features;
        m->n_columns = m->n_features;

        m->inputs = calloc(m->n_inputs, sizeof(mlp_input_t));
        if (m->inputs == NULL) {
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        for (i = 0; i < m->n_inputs; i++) {
            m->inputs[i].flags = m->takes_nan ? MLP_INPUT_MISSING : 0;
        }

        return 0;
    }

    m->schema = 1;

    if (mlp_schema_inputs(m, by_id, err, errlen) != 0
        || mlp_steps_load(m, by_id, err, errlen) != 0)
    {
        return -1;
    }

    if (by_id[MLP_SEC_OUTPUT_COLUMNS] == NULL) {
        mlp_fail(err, errlen, "input_names without output_columns (id 46)");
        return -1;
    }

    if (mlp_model_u32s(m, by_id[MLP_SEC_OUTPUT_COLUMNS], m->n_features,
                       &m->out_cols, "output_columns", err, errlen)
        != 0)
    {
        return -1;
    }

    for (i = 0; i < m->n_features; i++) {
        if (m->out_cols[i] >= m->n_columns) {
            mlp_fail(err, errlen, "output_columns[%u] = %u is not a column "
                     "of the work row (%u columns)", i, m->out_cols[i],
                     m->n_columns);
            return -1;
        }
    }

    if (by_id[MLP_SEC_TARGET] != NULL) {
        if (mlp_model_u32s(m, by_id[MLP_SEC_TARGET], 1, &t,
                           "target_transform", err, errlen)
            != 0)
        {
            return -1;
        }

        if (t[0] > MLP_FUNC_MAX) {
            mlp_fail(err, errlen, "target_transform: unknown function %u",
                     t[0]);
            return -1;
        }

        if (t[0] != MLP_FUNC_NONE && m->classifier) {
            mlp_fail(err, errlen, "target_transform on a classifier");
            return -1;
        }

        m->target_func = t[0];
    }

    return 0;
}


static int
mlp_schema_inputs(mlp_model_t *m, const mlp_section_t **by_id, char *err,
    size_t errlen)
{
    int                    rc;
    uint64_t               n_cats;
    uint32_t               i, first, dup, next;
    mlp_input_t           *in;
    const uint32_t        *info;
    const mlp_section_t   *s;

    s = by_id[MLP_SEC_INPUT_NAMES];

    if (s->count == 0 || s->count > MLP_MAX_FEATURES) {
        mlp_fail(err, errlen, "input_names: %llu inputs, out of range 1..%d",
                 (unsigned long long) s->count, MLP_MAX_FEATURES);
        return -1;
    }

    m->n_inputs = (uint32_t) s->count;

    if (mlp_model_strings(s, m->base, &m->input_strs, "input_names", err,
                          errlen)
        != 0)
    {
        return -1;
    }

    m->input_names = m->input_strs;

    for (i = 0; i < m->n_inputs; i++) {
        if (m->input_names[i].len == 0) {
            mlp_fail(err, errlen, "input %u has an empty name", i);
            return -1;
        }
    }

    if (by_id[MLP_SEC_INPUT_INFO] == NULL) {
        mlp_fail(err, errlen, "input_names without input_info (id 41)");
        return -1;
    }

    if (mlp_model_u32s(m, by_id[MLP_SEC_INPUT_INFO],
                       (uint64_t) m->n_inputs * 4, &info, "input_info", err,
                       errlen)
        != 0)
    {
        return -1;
    }

    m->inputs = calloc(m->n_inputs, sizeof(mlp_input_t));
    if (m->inputs == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    /* the categories' strings, each input's run in order */
    s = by_id[MLP_SEC_CATEGORIES];
    n_cats = 0;
    next = 0;

    for (i = 0; i < m->n_inputs; i++) {
        in = &m->inputs[i];
        in->kind = info[4 * i];
        in->flags = info[4 * i + 1];
        first = info[4 * i + 2];
        in->n_cats = info[4 * i + 3];

        if (in->kind > MLP_INPUT_CATEGORY
            || (in->flags & ~(MLP_INPUT_MISSING | MLP_INPUT_UNKNOWN_ERROR)))
        {
            mlp_fail(err, errlen, "input %u: unknown kind %u or flags 0x%x",
                     i, in->kind, in->flags);
            return -1;
        }

        if (in->n_cats > MLP_MAX_FEATURES) {
            mlp_fail(err, errlen, "input %u: %u categories, at most %d", i,
                     in->n_cats, MLP_MAX_FEATURES);
            return -1;
        }

        if (in->kind == MLP_INPUT_NUMBER) {
            if (first != 0 || in->n_cats != 0
                || (in->flags & MLP_INPUT_UNKNOWN_ERROR))
            {
                mlp_fail(err, errlen, "input %u: a number input with "
                         "categories", i);
                return -1;
            }

            continue;
        }

        /* each input's run right after the previous one's */
        if (first != next) {
            mlp_fail(err, errlen, "input %u: categories %u..+%u, expected "
                     "them from %u", i, first, in->n_cats, next);
            return -1;
        }

        n_cats += in->n_cats;

        if (n_cats > UINT32_MAX) {
            mlp_fail(err, errlen, "input %u: too many categories", i);
            return -1;
        }

        next = (uint32_t) n_cats;
        m->has_categories = 1;
    }

    if ((s == NULL && n_cats != 0)
        || (s != NULL && s->count != n_cats))
    {
        mlp_fail(err, errlen, "category_values (id 42) has %llu values, the "
                 "inputs name %llu",
                 (unsigned long long) (s ? s->count : 0),
                 (unsigned long long) n_cats);
        return -1;
    }

    if (n_cats == 0) {
        /* no table: every category input's is empty (n_cats 0: no step
         * reads the input) */
        if (s != NULL) {
            mlp_str_t  *none;

            if (mlp_model_strings(s, m->base, &none, "category_values", err,
                                  errlen)
                != 0)
            {
                return -1;
            }

            free(none);
        }

        return 0;
    }

    /* names and categories in one allocation: the names go first */
    {
        mlp_str_t  *cats, *all;

        if (mlp_model_strings(s, m->base, &cats, "category_values", err,
                              errlen)
            != 0)
        {
            return -1;
        }

        all = realloc(m->input_strs,
                      (m->n_inputs + n_cats) * sizeof(mlp_str_t));
        if (all == NULL) {
            free(cats);
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        memcpy(all + m->n_inputs, cats, n_cats * sizeof(mlp_str_t));
        free(cats);
        m->input_strs = all;
        m->input_names = all;
    }

    next = m->n_inputs;

    for (i = 0; i < m->n_inputs; i++) {
        in = &m->inputs[i];

        if (in->kind != MLP_INPUT_CATEGORY) {
            continue;
        }

        in->cats = m->input_strs + next;
        next += in->n_cats;

        rc = mlp_table_build(in->cats, in->n_cats, &in->cat_index,
                             &in->cat_mask, &dup, &first);

        if (rc < 0) {
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        if (rc > 0) {
            mlp_fail(err, errlen, "input \"%.64s\": category \"%.64s\" "
                     "appears twice", m->input_names[i].s, in->cats[dup].s);
            return -1;
        }
    }

    return 0;
}


void
mlp_schema_free(mlp_model_t *m)
{
    uint32_t  i;

    if (m->inputs != NULL) {
        for (i = 0; i < m->n_inputs; i++) {
            free(m->inputs[i].cat_index);
        }
    }

    free(m->inputs);
    free(m->input_strs);
    free(m->steps);
}


/* The code of a category value, -1 when the input does not know it. */

long
mlp_input_code(const mlp_input_t *in, const char *s, size_t len)
{
    if (in->n_cats == 0) {
        return -1;
    }

    return mlp_table_find(in->cat_index, in->cat_mask, in->cats, s, len);
}
