
/*
 * Allocation failures on the request path. Two properties, for bodies of
 * every shape (good ones and client mistakes) on every example model:
 *
 * - Nothing on the request path allocates behind the caller's allocator:
 *   malloc, calloc, realloc and mmap are interposed and counted (OpenBLAS
 *   allocates its buffers once, in mlp_init; jansson allocates from a
 *   reserve the request path sizes before it parses).
 * - When the caller's allocator fails its n-th call, for every n, the
 *   request ends in the answer it would have had, in the same 4xx, or in a
 *   500 "out of memory": never a crash, a hang, another error or another
 *   answer.
 *
 * Also: jansson never goes past the reserve the pre-pass computed, on
 * bodies built to make it allocate the most per byte, and the bodies that
 * once crashed a worker (issue 7) are refused with a 400.
 *
 * usage: test_alloc MODELS_DIR CORPUS_DIR      Ends with "N passed, N failed".
 */

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "mlp_internal.h"
#include "test_check.h"


#define ARENA_SIZE  (256 * 1024 * 1024)
#define MAX_BODY    (1 << 20)
#define MAX_ANSWER  (1 << 20)
#define N_GOOD      6


typedef struct {
    char         *body;
    size_t        len;
} body_t;


/* the interposed allocators count while armed */
static __thread int   armed;      /* this thread only: OpenBLAS has its own */
static size_t         sys_allocs;

static char          *arena;
static size_t         arena_used;
static size_t         arena_calls;
static size_t         arena_fail_at;     /* 0: never */

static body_t         bodies[256];
static int            n_bodies;


void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);


void *
malloc(size_t size)
{
    sys_allocs += armed;
    return __libc_malloc(size);
}


void *
calloc(size_t n, size_t size)
{
    sys_allocs += armed;
    return __libc_calloc(n, size);
}


void *
realloc(void *p, size_t size)
{
    sys_allocs += armed;
    return __libc_realloc(p, size);
}


void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    sys_allocs += armed;
    return (void *) syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}


static void *
arena_alloc(void *data, size_t size)
{
    void  *p;

    arena_calls++;

    if (arena_calls == arena_fail_at) {
        return NULL;
    }

    size = (size + 15) & ~(size_t) 15;

    if (size > ARENA_SIZE - arena_used) {
        return NULL;
    }

    p = arena + arena_used;
    arena_used += size;

    return p;
}


/* One request; the answer (or the error as JSON) is copied into out. */

static int
run(mlp_model_t *m, const body_t *b, size_t fail_at, char *out,
    size_t outlen, mlp_error_t *e)
{
    int           rc;
    char         *resp;
    size_t        len;
    mlp_alloc_t   a = { arena_alloc, NULL };

    arena_used = 0;
    arena_calls = 0;
    arena_fail_at = fail_at;
    e->status = 0;
    e->message[0] = '\0';

    armed = 1;
    rc = mlp_handle_request(m, b->body, b->len, 400, &a, &resp, &len, e);
    armed = 0;

    if (rc == 0) {
        CHECK(len < outlen, "an answer of %zu bytes", len);
        len = len < outlen ? len : outlen - 1;
        memcpy(out, resp, len);
        out[len] = '\0';

    } else {
        snprintf(out, outlen, "%d %s", e->status, e->message);
    }

    return rc;
}


static void
add_body(const char *fmt, ...)
{
    int      n;
    char    *p;
    va_list  args;

    p = malloc(MAX_BODY);

    va_start(args, fmt);
    n = vsnprintf(p, MAX_BODY, fmt, args);
    va_end(args);

    bodies[n_bodies].body = p;
    bodies[n_bodies].len = (size_t) n;
    n_bodies++;
}


/*
 * Input j's value in a row: a number, or a category (now and then one the
 * model does not know, where it takes that, and null where it may).
 */

static size_t
value(const mlp_model_t *m, uint32_t j, double seed, char *p)
{
    uint32_t            k;
    const mlp_input_t  *in;

    in = &m->inputs[j];
    k = (uint32_t) (seed * 100) + j;

    if ((in->flags & MLP_INPUT_MISSING) && k % 7 == 3) {
        return sprintf(p, "null");
    }

    if (in->kind == MLP_INPUT_NUMBER) {
        return sprintf(p, "%.6g", 0.1 + seed + 0.37 * sin(1.0 + j * 7.0
                                                          + seed));
    }

    k %= in->n_cats + !(in->flags & MLP_INPUT_UNKNOWN_ERROR);

    if (k == in->n_cats) {
        return sprintf(p, "\"no such category\"");
    }

    return sprintf(p, "\"%.*s\"", (int) in->cats[k].len, in->cats[k].s);
}


static size_t
row_values(const mlp_model_t *m, char *p, double seed)
{
    size_t    n;
    uint32_t  j;

    n = 0;

    for (j = 0; j < m->n_inputs; j++) {
        n += sprintf(p + n, "%s", j ? ", " : "");
        n += value(m, j, seed, p + n);
    }

    return n;
}


/* A named row; skip leaves an input out, bad gives one the wrong type. */

static size_t
row_named(const mlp_model_t *m, char *p, double seed, int skip, int bad)
{
    size_t    n;
    uint32_t  j;

    n = sprintf(p, "{");

    for (j = 0; j < m->n_inputs; j++) {
        if ((int) j == skip) {
            continue;
        }

        n += sprintf(p + n, "%s\"%s\": ", n > 1 ? ", " : "",
                     m->input_names[j].s);

        if ((int) j == bad) {
            n += sprintf(p + n, m->inputs[j].kind == MLP_INPUT_NUMBER
                                ? "\"text\"" : "7");

        } else {
            n += value(m, j, seed, p + n);
        }
    }

    return n + sprintf(p + n, "}");
}


/* Bodies of every shape for this model: answered ones and mistakes. */

static void
make_bodies(const mlp_model_t *m)
{
    int      i;
    char    *p;
    size_t   n;

    for (i = 0; i < n_bodies; i++) {
        free(bodies[i].body);
    }

    n_bodies = 0;
    p = malloc(MAX_BODY);

    row_named(m, p, 0.0, -1, -1);
    add_body("%s", p);
    add_body("  %s\n", p);                       /* white space: scanner */

    row_values(m, p, 0.5);
    add_body("{\"features\": [%s]}", p);

    n = sprintf(p, "{\"instances\": [");
    for (i = 0; i < 250; i++) {
        n += sprintf(p + n, "%s[", i ? ", " : "");
        n += row_values(m, p + n, i * 0.01);
        n += sprintf(p + n, "]");
    }
    add_body("%s]}", p);                         /* gemm / tree blocks */

    n = sprintf(p, "{\"signature_name\": \"s\", \"instances\": [");
    for (i = 0; i < 3; i++) {
        n += sprintf(p + n, "%s", i ? ", " : "");
        n += row_named(m, p + n, i * 0.1, -1, -1);
    }
    add_body("%s]}", p);                         /* jansson: a 2-key root */

    row_values(m, p, 0.25);
    add_body("{\"instances\": [[%s]]}", p);

    /* mistakes, each a 4xx (the first N_GOOD bodies are answered) */
    row_named(m, p, 0.0, 0, -1);
    add_body("%s", p);                           /* a feature left out */
    row_named(m, p, 0.0, -1, 1);
    add_body("%s", p);                           /* a string value */
    add_body("{\"features\": [1, 2]}");
    add_body("{\"instances\": []}");
    add_body("{\"instances\": [[1], 2, {\"x\": [3]}]}");
    add_body("{\"a\": 1,");
    add_body("[[[[{\"\\u00e9\\ud83d\\ude00\": [true, false, null]}]]]]");
    add_body("{\"no_such_feature\": 1e999}");
    add_body("%s", "");

    n = sprintf(p, "{\"instances\": [");
    for (i = 0; i < 450; i++) {
        n += sprintf(p + n, "%s[0]", i ? ", " : "");
    }
    add_body("%s]}", p);                         /* over max_batch */

    n = 0;
    for (i = 0; i < 40; i++) {
        n += sprintf(p + n, "[");
    }
    add_body("%s", p);                           /* too deep */

    free(p);
}


/*
 * jansson, when it parsed (parses moved on from before), stayed inside its
 * reserve with the slack to spare: the bound holds without the slack.
 */

static int
reserve_held(size_t before, const char *what, int i)
{
    mlp_json_stats_t  st;

    mlp_json_last_parse(&st);

    if (st.parses == before) {
        return 0;
    }

    CHECK(st.overflows == 0 && st.used + MLP_JSON_SLACK <= st.reserved,
          "%s %d: jansson took %zu of %zu reserved, %zu allocations past it",
          what, i, st.used, st.reserved, st.overflows);

    return 1;
}


static size_t
parses(void)
{
    mlp_json_stats_t  st;

    mlp_json_last_parse(&st);

    return st.parses;
}


/* Every n-th allocation failed, on every body, against its reference. */

static void
test_failures(mlp_model_t *m, const char *name)
{
    int          i, rc, ref_rc;
    size_t       n, calls, before;
    mlp_error_t  e, ref_e;

    static char  ref[MAX_ANSWER], got[MAX_ANSWER];

    for (i = 0; i < n_bodies; i++) {
        sys_allocs = 0;
        before = parses();
        ref_rc = run(m, &bodies[i], 0, ref, sizeof(ref), &ref_e);
        calls = arena_calls;

        CHECK(sys_allocs == 0, "%s body %d: %zu allocations behind the "
              "arena", name, i, sys_allocs);
        CHECK(ref_rc == 0 || (i >= N_GOOD && ref_e.status >= 400
                              && ref_e.status < 500),
              "%s body %d: %s", name, i, ref);

        reserve_held(before, name, i);

        for (n = 1; n <= calls; n++) {
            sys_allocs = 0;
            rc = run(m, &bodies[i], n, got, sizeof(got), &e);

            CHECK(sys_allocs == 0, "%s body %d, allocation %zu failed: %zu "
                  "allocations behind the arena", name, i, n, sys_allocs);

            if (rc == ref_rc && strcmp(got, ref) == 0) {
                passed++;
                continue;
            }

            CHECK(rc != 0 && e.status == 500
                  && strcmp(e.message, "out of memory") == 0,
                  "%s body %d, allocation %zu of %zu failed: got \"%.200s\""
                  ", want \"%.200s\" or 500 out of memory", name, i, n,
                  calls, got, ref);
        }
    }
}


/*
 * Bodies built to make jansson allocate the most per byte, each within the
 * body budget (a quarter to three quarters of the body the unit, the rest a
 * long string, which costs little): jansson parses them all, within its
 * reserve with the slack to spare, and allocates nothing else.
 */

static void
parse_within(mlp_model_t *m, const char *p, size_t n, const char *what,
    int i, double *worst)
{
    size_t            before;
    mlp_error_t       e;
    mlp_request_t     req;
    mlp_json_stats_t  st;
    mlp_alloc_t       a = { arena_alloc, NULL };

    arena_used = 0;
    arena_calls = 0;
    arena_fail_at = 0;
    sys_allocs = 0;
    before = parses();

    armed = 1;
    (void) mlp_parse_json(m, p, n, 100, &a, &req, &e);
    armed = 0;

    CHECK(sys_allocs == 0, "%s %d: %zu allocations behind the arena", what,
          i, sys_allocs);
    CHECK(reserve_held(before, what, i), "%s %d: refused before jansson: "
          "%d %s", what, i, e.status, e.message);

    mlp_json_last_parse(&st);

    if (getenv("MLP_TEST_VERBOSE")) {
        printf("  %-24s %d: %zu of %zu\n", what, i, st.used, st.reserved);
    }

    if (st.reserved && (double) st.used / st.reserved > *worst) {
        *worst = (double) st.used / st.reserved;
    }
}


static void
test_bound(mlp_model_t *m)
{
    int      k, i, j;
    char    *p;
    size_t   n, fill;
    double   worst;

    static const char  *unit[] = {
        "{}", "[]", "\"\"", "0", "true", "null", "{\"a\":{}}", "[[]]",
        "\"\\u00e9\"", "{\"k\":0}", "-1.5e-300", "\"aaaaaaaaaaaaaaaaaaaa\"",
        "[0,0,0,0,0,0,0,0,0]", "{\"a\":0,\"b\":0,\"c\":0,\"d\":0,\"e\":0,"
        "\"f\":0,\"g\":0,\"h\":0,\"i\":0}", "{\"a\":\"b\"}", "[\"a\",\"b\"]"
    };

    p = malloc(MAX_BODY);
    worst = 0;

    for (k = 0; k < (int) (sizeof(unit) / sizeof(unit[0])); k++) {
        for (j = 1; j <= 3; j++) {
            n = sprintf(p, "{\"x\": [");

            for (i = 0; n < (size_t) j * 15000; i++) {
                n += sprintf(p + n, "%s%s", i ? "," : "", unit[k]);
            }

            fill = 60000 - n;
            n += sprintf(p + n, ", \"");
            memset(p + n, 'z', fill);
            n += fill;
            n += sprintf(p + n, "\"]}");

            parse_within(m, p, n, unit[k], j, &worst);
        }
    }

    /* a single string of escapes, then nesting at the limit, repeated */
    n = sprintf(p, "{\"s\": \"");

    for (i = 0; i < 20000; i++) {
        n += sprintf(p + n, "\\n\\u0041");
    }

    n += sprintf(p + n, "\", \"d\": [");

    for (i = 0; i < 500; i++) {
        /* the root, "d", 29 arrays and an object: 32 levels */
        n += sprintf(p + n, "%s%s", i ? "," : "",
                     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]]]]]"
                     "]]]]]]]]]");
    }

    n += sprintf(p + n, "]}");
    parse_within(m, p, n, "escapes and nesting at the limit", 0, &worst);

    printf("jansson's reserve: at most %.0f%% of it used on the worst "
           "body\n", worst * 100);

    free(p);
}


/* Every file of the regression corpus (crashes found) is a clean 4xx. */

static void
test_corpus(mlp_model_t *m, const char *dir)
{
    int             ok;
    char            path[4096], got[512];
    FILE           *f;
    DIR            *d;
    body_t          b;
    mlp_error_t     e;
    struct dirent  *de;

    d = opendir(dir);
    CHECK(d != NULL, "cannot open %s", dir);

    if (d == NULL) {
        return;
    }

    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "crash-", 6) != 0) {
            continue;
        }

        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        f = fopen(path, "rb");
        CHECK(f != NULL, "cannot open %s", path);

        if (f == NULL) {
            continue;
        }

        b.body = malloc(MAX_BODY);
        b.len = fread(b.body, 1, MAX_BODY, f);
        fclose(f);

        ok = run(m, &b, 0, got, sizeof(got), &e) != 0;
        CHECK(ok && e.status == 400, "%s: %s", de->d_name, got);
        free(b.body);
    }

    closedir(d);
}


int
main(int argc, char **argv)
{
    int           i, status;
    char          path[4096], err[MLP_ERR_LEN];
    pid_t         pid;
    mlp_model_t  *m;

    static const char  *models[] = {
        "iris", "breast_cancer", "diabetes", "linnerud", "iris_ovr",
        "breast_cancer_forest", "diabetes_hgb", "iris_gb", "diabetes_forest",
        "churn", "churn_hgb"
    };

    if (argc < 3) {
        fprintf(stderr, "usage: test_alloc MODELS_DIR CORPUS_DIR\n");
        return 2;
    }

    if (mlp_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "test_alloc: %s\n", err);
        return 2;
    }

    /*
     * Requests run in a child, as in an nginx worker forked from the master
     * that called mlp_init: OpenBLAS's server thread, which takes a buffer
     * of its own when it starts, lives in the master only.
     */
    fflush(stdout);
    pid = fork();

    if (pid != 0) {
        if (pid < 0 || waitpid(pid, &status, 0) != pid) {
            perror("test_alloc: fork");
            return 2;
        }

        return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
    }

    arena = malloc(ARENA_SIZE);

    for (i = 0; i < (int) (sizeof(models) / sizeof(models[0])); i++) {
        snprintf(path, sizeof(path), "%s/%s.mlp", argv[1], models[i]);
        m = mlp_model_open(path, err, sizeof(err));
        CHECK(m != NULL, "%s: %s", path, err);

        if (m == NULL) {
            continue;
        }

        make_bodies(m);
        test_failures(m, models[i]);

        if (i == 0) {
            test_bound(m);
            test_corpus(m, argv[2]);
        }

        mlp_model_close(m);
    }

    printf("%d passed, %d failed\n", passed, failed);

    return failed != 0;
}
