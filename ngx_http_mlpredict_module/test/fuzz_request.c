
/*
 * libFuzzer target: any bytes as a request body to the example iris model
 * (or MLP_FUZZ_MODEL). Properties: no crash, no leak, no undefined
 * behaviour; an accepted request yields valid JSON; a refused one a 4xx.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mlp.h"


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
    if (model == NULL) {
        fprintf(stderr, "fuzz_request: %s: %s\n", path, err);
        exit(1);
    }

    arena = malloc(ARENA_SIZE);
    if (arena == NULL) {
        exit(1);
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char          *resp;
    size_t         len;
    json_t        *v;
    mlp_alloc_t    a = { fuzz_alloc, NULL };
    mlp_error_t    e;
    json_error_t   je;

    arena_used = 0;

    if (mlp_handle_request(model, (const char *) data, size, 8, &a, &resp,
                           &len, &e)
        == 0)
    {
        v = json_loadb(resp, len, 0, &je);
        if (v == NULL) {
            fprintf(stderr, "invalid JSON answer: %.*s\n", (int) len, resp);
            abort();
        }

        json_decref(v);

    } else if (e.status < 400 || e.status > 499 || e.message[0] == '\0') {
        fprintf(stderr, "status %d: %s\n", e.status, e.message);
        abort();
    }

    return 0;
}
