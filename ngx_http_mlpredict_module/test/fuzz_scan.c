
/*
 * libFuzzer target, differential: the fast scanner (mlp_scan.c) against the
 * jansson path (mlp_parse.c) on the same bytes. Whatever the scanner
 * accepts, jansson must accept with the same shape, the same rows and the
 * same doubles, bit for bit; the scanner may hand anything back.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"
#include "fuzz_common.h"


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_setup("fuzz_scan");

    return 0;
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char           *copy;
    mlp_error_t     e;
    mlp_request_t   fast, slow;
    mlp_alloc_t     a = { fuzz_alloc, NULL };

    fuzz_reset();

    /* an exact-size copy, so that ASan sees any read past the body */
    copy = malloc(size ? size : 1);
    memcpy(copy, data, size);

    if (mlp_scan_request(fuzz_model, copy, size, 8, &a, &fast) == 0) {
        if (mlp_parse_json(fuzz_model, copy, size, 8, &a, &slow, &e) != 0) {
            fprintf(stderr, "scanner accepted what jansson refuses: %s\n",
                    e.message);
            abort();
        }

        if (fast.shape != slow.shape || fast.rows != slow.rows
            || memcmp(fast.x, slow.x, fast.rows
                      * mlp_model_n_inputs(fuzz_model) * sizeof(double))
               != 0)
        {
            fprintf(stderr, "scanner and jansson disagree\n");
            abort();
        }
    }

    free(copy);

    return 0;
}
