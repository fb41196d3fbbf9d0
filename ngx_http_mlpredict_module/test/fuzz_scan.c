
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


static mlp_model_t  *model;
static char         *arena;
static size_t        arena_used;

#define ARENA_SIZE  (64 * 1024 * 1024)


static void *
fuzz_alloc(void *data, size_t size)
{
    void  *p;

    size = (size + 15) & ~(size_t) 15;

    if (size > ARENA_SIZE - arena_used) {
        return NULL;
    }

    p = arena + arena_used;
    arena_used += size;

    return p;
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char        err[MLP_ERR_LEN];
    const char  *path;

    path = getenv("MLP_FUZZ_MODEL");
    if (path == NULL) {
        path = "models/iris.mlp";
    }

    mlp_init();

    model = mlp_model_open(path, err, sizeof(err));
    arena = malloc(ARENA_SIZE);

    if (model == NULL || arena == NULL) {
        fprintf(stderr, "fuzz_scan: %s: %s\n", path, err);
        exit(1);
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char           *copy;
    mlp_error_t     e;
    mlp_request_t   fast, slow;
    mlp_alloc_t     a = { fuzz_alloc, NULL };

    arena_used = 0;

    /* an exact-size copy, so that ASan sees any read past the body */
    copy = malloc(size ? size : 1);
    memcpy(copy, data, size);

    if (mlp_scan_request(model, copy, size, 8, &a, &fast) == 0) {
        if (mlp_parse_json(model, copy, size, 8, &a, &slow, &e) != 0) {
            fprintf(stderr, "scanner accepted what jansson refuses: %s\n",
                    e.message);
            abort();
        }

        if (fast.shape != slow.shape || fast.rows != slow.rows
            || memcmp(fast.x, slow.x, fast.rows
                      * mlp_model_n_features(model) * sizeof(double))
               != 0)
        {
            fprintf(stderr, "scanner and jansson disagree\n");
            abort();
        }
    }

    free(copy);

    return 0;
}
