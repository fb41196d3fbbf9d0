
/*
 * What the request fuzzers share: a bump arena reset for every input (the
 * request pool's behaviour) and a model loaded once (MLP_FUZZ_MODEL, by
 * default the example iris model, run from the repository's top).
 *
 * Under AddressSanitizer the arena is poisoned but for the blocks handed
 * out, each followed by a poisoned red zone: a write past one block into
 * the next is reported, as it would not be in one malloc'ed arena.
 */

#ifndef _FUZZ_COMMON_H_INCLUDED_
#define _FUZZ_COMMON_H_INCLUDED_


#include <stdio.h>
#include <stdlib.h>

#include "mlp.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN  1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__) && !defined(FUZZ_ASAN)
#define FUZZ_ASAN  1
#endif

#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#define FUZZ_POISON(p, n)    ASAN_POISON_MEMORY_REGION(p, n)
#define FUZZ_UNPOISON(p, n)  ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define FUZZ_POISON(p, n)
#define FUZZ_UNPOISON(p, n)
#endif


#define FUZZ_ARENA_SIZE  (64 * 1024 * 1024)
#define FUZZ_REDZONE     16


static mlp_model_t  *fuzz_model;
static char         *fuzz_arena;
static size_t        fuzz_arena_used;


static void *
fuzz_alloc(void *data, size_t size)
{
    char    *p;
    size_t   step;

    if (size > FUZZ_ARENA_SIZE) {
        return NULL;
    }

    step = ((size + 15) & ~(size_t) 15) + FUZZ_REDZONE;

    if (step > FUZZ_ARENA_SIZE - fuzz_arena_used) {
        return NULL;
    }

    p = fuzz_arena + fuzz_arena_used;
    fuzz_arena_used += step;
    FUZZ_UNPOISON(p, size);

    return p;
}


/* a new input: every block of the last one is gone */

static void
fuzz_reset(void)
{
    FUZZ_POISON(fuzz_arena, fuzz_arena_used);
    fuzz_arena_used = 0;
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

    FUZZ_POISON(fuzz_arena, FUZZ_ARENA_SIZE);
}


#endif /* _FUZZ_COMMON_H_INCLUDED_ */
