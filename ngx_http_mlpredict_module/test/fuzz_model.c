
/*
 * libFuzzer target: any bytes as a model file. The CRC is recomputed first
 * so that mutations reach the structural checks behind it. Properties: no
 * crash, no leak; a model that loads predicts a row without fault and
 * describes itself as valid JSON.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mlp_internal.h"


static unsigned char  *buf;

#define MAX_MODEL  (1024 * 1024)


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char  err[MLP_ERR_LEN];

    if (mlp_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_model: %s\n", err);
        exit(1);
    }

    buf = aligned_alloc(64, MAX_MODEL);

    return buf == NULL;
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char          err[MLP_ERR_LEN];
    double       *x, *out, *in, *w;
    size_t        i, k, len, nf, no;
    json_t       *v;
    uint32_t      crc, label;
    mlp_model_t  *m;
    mlp_error_t   e;
    const char   *info;
    json_error_t  je;

    if (size > MAX_MODEL) {
        return 0;
    }

    memcpy(buf, data, size);

    if (size >= 32) {
        crc = mlp_crc32(0, buf + 32, size - 32);
        for (i = 0; i < 4; i++) {
            buf[24 + i] = (unsigned char) (crc >> (8 * i));
        }
    }

    m = mlp_model_load_mem(buf, size, err, sizeof(err));
    if (m == NULL) {
        return 0;
    }

    info = mlp_model_info(m, &len);
    v = json_loadb(info, len, 0, &je);
    if (v == NULL) {
        abort();
    }
    json_decref(v);

    nf = mlp_model_n_features(m);
    no = mlp_model_out_width(m);          /* values a row writes */

    x = malloc(nf * sizeof(double));
    out = malloc(no * sizeof(double));
    in = malloc(m->n_inputs * sizeof(double));
    w = malloc(m->n_columns * sizeof(double));

    /* rows of inputs through the steps: codes 0, -1 and 3, NaN, numbers */
    for (k = 0; x && out && in && w && k < 4; k++) {
        for (i = 0; i < m->n_inputs; i++) {
            in[i] = (k == 3) ? NAN : (k == 0) ? 1.0 : (k == 1) ? -1.0 : 3.0;

            if (k == 0 && m->inputs[i].kind == MLP_INPUT_CATEGORY) {
                in[i] = 0.0;
            }
        }

        if (m->schema) {
            if (mlp_steps_apply(m, in, 1, 0, w, x, &e) != 0) {
                if (e.status != 400) {
                    abort();
                }

                continue;
            }

        } else {
            memcpy(x, in, nf * sizeof(double));
        }

        if (mlp_predict(m, x, 1, out, &label, &e) == 0
            && mlp_model_is_classifier(m) && label >= mlp_model_n_outputs(m))
        {
            abort();
        }
    }

    free(in);
    free(w);
    free(x);
    free(out);
    mlp_model_close(m);

    return 0;
}
