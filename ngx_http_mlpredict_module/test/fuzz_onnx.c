
/*
 * libFuzzer target: any bytes as an ONNX model for `mlpredict convert`.
 * Properties: no crash, no leak, no read outside the bytes (protobuf-c's
 * parse and every count the converter reads after it); a refusal is one
 * line; a network the converter accepts is a file the loader accepts, which
 * predicts rows without fault, labels in range, and describes itself as
 * valid JSON. Seeds: test/corpus/onnx, small torch.onnx.export networks.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mlp_internal.h"
#include "convert/mlp_onnx.h"


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char  err[MLP_ERR_LEN];

    if (mlp_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_onnx: %s\n", err);
        exit(1);
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char            err[MLP_ERR_LEN], lerr[MLP_ERR_LEN];
    double         *x, *out;
    size_t          i, k, len, file_len, nf, width;
    json_t         *v;
    uint32_t        labels[2];
    mlp_model_t    *m;
    mlp_error_t     e;
    const char     *info;
    json_error_t    je;
    unsigned char  *file, *copy;

    err[0] = '\0';

    if (mlp_convert_onnx_mem(data, size, NULL, NULL, &file, &file_len, err,
                             sizeof(err))
        != 0)
    {
        if (err[0] == '\0' || strchr(err, '\n') != NULL) {
            abort();
        }

        return 0;
    }

    /* the loader reads f64 in place: 64-byte aligned, as a mapping is */
    copy = aligned_alloc(64, (file_len + 63) & ~(size_t) 63);
    if (copy == NULL) {
        free(file);
        return 0;
    }

    memcpy(copy, file, file_len);
    free(file);

    m = mlp_model_load_mem(copy, file_len, lerr, sizeof(lerr));
    if (m == NULL) {
        fprintf(stderr, "fuzz_onnx: converted but refused: %s\n", lerr);
        abort();
    }

    info = mlp_model_info(m, &len);
    v = json_loadb(info, len, 0, &je);
    if (v == NULL) {
        abort();
    }
    json_decref(v);

    nf = mlp_model_n_features(m);
    width = mlp_model_out_width(m);
    x = malloc(2 * nf * sizeof(double));
    out = malloc(2 * width * sizeof(double));

    /* two rows at once: zeros, ones, minus ones, large values */
    for (k = 0; x && out && k < 4; k++) {
        for (i = 0; i < 2 * nf; i++) {
            x[i] = k == 0 ? 0.0 : k == 1 ? 1.0 : k == 2 ? -1.0 : 1e30;
        }

        if (mlp_predict(m, x, 2, out, labels, &e) == 0) {
            if (mlp_model_is_classifier(m)
                && (labels[0] >= mlp_model_n_outputs(m)
                    || labels[1] >= mlp_model_n_outputs(m)))
            {
                abort();
            }

        } else if (e.status != 400) {
            abort();
        }
    }

    free(x);
    free(out);
    mlp_model_close(m);
    free(copy);

    return 0;
}
