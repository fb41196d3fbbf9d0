
/*
 * libFuzzer target: any bytes as a libsvm text model. Properties: no
 * crash, no leak, no read outside the text; a model the converter accepts
 * is a file the loader accepts (they must agree on every count), which
 * predicts rows without fault, labels in range, and describes itself as
 * valid JSON. Seeds: test/corpus/libsvm, svm-train's output for every
 * svm_type and kernel.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mlp_internal.h"
#include "convert/mlp_libsvm.h"


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char  err[MLP_ERR_LEN];

    if (mlp_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_libsvm: %s\n", err);
        exit(1);
    }

    return 0;
}


/*
 * The converter holds the support vectors dense, up to 2^27 values: a few
 * bytes ("1 1000000:1") may ask for megabytes per vector. Such inputs are
 * skipped so that the fuzzer's memory stays bounded (the bound itself is
 * checked by the converter and by test inputs of their own).
 */

static int
mlp_fuzz_too_big(const unsigned char *data, size_t size)
{
    size_t    i, lines;
    uint64_t  index, max;

    lines = 1;
    max = 0;
    index = 0;

    for (i = 0; i < size; i++) {
        if (data[i] >= '0' && data[i] <= '9') {
            index = index < 100000000 ? index * 10 + (data[i] - '0') : index;
            continue;
        }

        if (data[i] == ':' && index > max) {
            max = index;
        }

        lines += data[i] == '\n';
        index = 0;
    }

    return max * lines > (1 << 20);
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char            err[MLP_ERR_LEN], lerr[MLP_ERR_LEN];
    double         *x, *out;
    size_t          i, k, len, file_len, nf, width;
    json_t         *v;
    uint32_t        label;
    mlp_model_t    *m;
    mlp_error_t     e;
    const char     *info;
    json_error_t    je;
    unsigned char  *file, *copy;

    if (mlp_fuzz_too_big(data, size)) {
        return 0;
    }

    if (mlp_libsvm_build((const char *) data, size, 0, &file, &file_len, err,
                         sizeof(err))
        != 0)
    {
        /* a refusal names its reason, in one line */
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
        fprintf(stderr, "fuzz_libsvm: converted but refused: %s\n", lerr);
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
    x = malloc(nf * sizeof(double));
    out = malloc(width * sizeof(double));

    /* rows of zeros, ones, minus ones and large values */
    for (k = 0; x && out && k < 4; k++) {
        for (i = 0; i < nf; i++) {
            x[i] = k == 0 ? 0.0 : k == 1 ? 1.0 : k == 2 ? -1.0 : 1e150;
        }

        if (mlp_predict(m, x, 1, out, &label, &e) == 0) {
            if (mlp_model_is_classifier(m)
                && label >= mlp_model_n_outputs(m))
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
