
/*
 * libFuzzer target: one row as text (mlp_predict_values, the nginx
 * variable's path) on the model MLP_FUZZ_MODEL. The input is the row's
 * values separated by newlines, in the model's input order; a value that
 * is the single byte 0x01, and every value past the last line, is absent.
 * An accepted row has finite outputs, a class the model has and a number
 * for every output that has one; a refused row a 400 (or 500 when the
 * arena runs out) and a message.
 */

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int            done;
    double        *out, v;
    uint32_t       i, n, label;
    mlp_text_t    *row;
    mlp_alloc_t    a;
    mlp_error_t    e;
    const char    *p, *last, *nl;

    if (fuzz_model == NULL) {
        fuzz_setup("fuzz_values");
    }

    fuzz_reset();
    a.alloc = fuzz_alloc;
    a.data = NULL;

    n = mlp_model_n_inputs(fuzz_model);
    row = fuzz_alloc(NULL, n * sizeof(mlp_text_t));

    p = (const char *) data;
    last = p + size;
    done = 0;

    for (i = 0; i < n; i++) {
        row[i].data = NULL;
        row[i].len = 0;

        if (done) {
            continue;
        }

        nl = memchr(p, '\n', last - p);
        if (nl == NULL) {
            nl = last;
            done = 1;
        }

        if (!(nl - p == 1 && *p == '\x01')) {
            row[i].data = p;
            row[i].len = nl - p;
        }

        if (!done) {
            p = nl + 1;
        }
    }

    if (mlp_predict_values(fuzz_model, row, &a, &out, &label, &e) != 0) {
        if ((e.status != 400 && e.status != 500) || e.message[0] == '\0') {
            __builtin_trap();
        }

        return 0;
    }

    for (i = 0; i < mlp_model_out_width(fuzz_model); i++) {
        if (!isfinite(out[i])) {
            __builtin_trap();
        }
    }

    if (mlp_model_is_classifier(fuzz_model)
        && label >= mlp_model_n_outputs(fuzz_model))
    {
        __builtin_trap();
    }

    for (i = 0; i < mlp_model_n_outputs(fuzz_model); i++) {
        if (mlp_output_value(fuzz_model, out, i, &v) == 0 && !isfinite(v)) {
            __builtin_trap();
        }
    }

    return 0;
}
