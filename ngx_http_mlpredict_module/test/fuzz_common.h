
/*
 * What the request fuzzers share: a bump arena reset for every input (the
 * request pool's behaviour) and a model loaded once (MLP_FUZZ_MODEL, by
 * default the example iris model, run from the repository's top).
 */

#ifndef _FUZZ_COMMON_H_INCLUDED_
#define _FUZZ_COMMON_H_INCLUDED_


#include <stdio.h>
#include <stdlib.h>

#include "mlp.h"


#define FUZZ_ARENA_SIZE  (64 * 1024 * 1024)


static mlp_model_t  *fuzz_model;
static char         *fuzz_arena;
static size_t        fuzz_arena_used;


static void *
fuzz_alloc(void *data, size_t size)
{
    void  *p;

    size = (size + 15) & ~(size_t) 15;

    if (size > FUZZ_ARENA_SIZE - fuzz_arena_used) {
        return NULL;
    }

    p = fuzz_arena + fuzz_arena_used;
    fuzz_arena_used += size;

    return p;
}


static void
fuzz_setup(const char *name)
{
    char         err[MLP_ERR_LEN];
    const char  *path;

    path = getenv("MLP_FUZZ_MODEL");
    if (path == NULL) {
        path = "models/iris.mlp";
    }

    if (mlp_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", name, err);
        exit(1);
    }

    fuzz_model = mlp_model_open(path, err, sizeof(err));
    fuzz_arena = malloc(FUZZ_ARENA_SIZE);

    if (fuzz_model == NULL || fuzz_arena == NULL) {
        fprintf(stderr, "%s: %s: %s\n", name, path,
                fuzz_model ? "out of memory" : err);
        exit(1);
    }
}


#endif /* _FUZZ_COMMON_H_INCLUDED_ */
