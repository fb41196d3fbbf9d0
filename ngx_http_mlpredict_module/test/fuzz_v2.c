
/*
 * libFuzzer target: any bytes as a body to the protocol parsers, on the
 * example iris model (or MLP_FUZZ_MODEL). The first byte picks the route:
 * v2 infer in JSON, v2 infer with binary data (the next two bytes give the
 * JSON header's length), TF Serving's :predict, :classify or :regress, a
 * CSV body answered in CSV, KServe v1's :explain.
 * Properties: no crash or undefined behaviour; an accepted request yields
 * a JSON answer (the v2 JSON header); a refused one a 4xx; jansson never
 * allocates past its reserve. A binary body cut in two pieces (each in a
 * buffer of its own, as nginx holds them) reads as the whole one: the same
 * rows bit for bit, or the same error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mlp_internal.h"
#include "fuzz_common.h"


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_setup("fuzz_v2");

    return 0;
}


/*
 * The same body in two pieces, each in a buffer of exactly its size (a
 * read past either is AddressSanitizer's): cut inside the JSON header, at
 * its end, inside the first element, after the first FP32 and FP64
 * element, and where the bytes say.
 */

static void
fuzz_split(const unsigned char *data, size_t size, size_t json_len, int rc,
    const mlp_v2_request_t *req, const mlp_error_t *e)
{
    int                rc2;
    char              *head, *tail;
    size_t             cut, i;
    mlp_alloc_t        a = { fuzz_alloc, NULL };
    mlp_error_t        e2;
    mlp_v2_request_t   req2;
    size_t             cuts[6];

    cuts[0] = json_len > 0 ? json_len - 1 : 0;
    cuts[1] = json_len;
    cuts[2] = json_len + 1;
    cuts[3] = json_len + 4;
    cuts[4] = json_len + 8;
    cuts[5] = (json_len * 31 + size) % (size + 1);

    for (i = 0; i < 6; i++) {
        cut = cuts[i] < size ? cuts[i] : size;

        /* malloc(0) may be NULL: an empty piece gets a byte */
        head = malloc(cut ? cut : 1);
        tail = malloc(size - cut ? size - cut : 1);

        if (head == NULL || tail == NULL) {
            abort();
        }

        memcpy(head, data, cut);
        memcpy(tail, data + cut, size - cut);

        rc2 = mlp_v2_parse_split(fuzz_model, head, cut, tail, size - cut,
                                 json_len, 8, &a, &req2, &e2);

        if (rc2 != rc
            || (rc == 0
                && (req2.rows != req->rows
                    || (req->rows != 0
                        && memcmp(req2.x, req->x, req->rows
                                  * fuzz_model->n_inputs * sizeof(double))
                           != 0)))
            || (rc != 0 && (e2.status != e->status
                            || strcmp(e2.message, e->message) != 0)))
        {
            fprintf(stderr, "cut at %zu of %zu: %d \"%s\", whole: %d "
                    "\"%s\"\n", cut, size, rc2, rc2 ? e2.message : "", rc,
                    rc ? e->message : "");
            abort();
        }

        free(head);
        free(tail);
    }
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int                columnar, rc, mode;
    char              *resp;
    size_t             len, json_len, before;
    json_t            *v;
    mlp_alloc_t        a = { fuzz_alloc, NULL };
    mlp_error_t        e;
    json_error_t       je;
    mlp_json_stats_t   st;
    mlp_v2_request_t   req;

    if (size < 3) {
        return 0;
    }

    mode = data[0] % 7;
    json_len = ((size_t) data[1] | (size_t) data[2] << 8) % (size - 2);
    data += 3;
    size -= 3;

    fuzz_reset();
    mlp_json_last_parse(&st);
    before = st.parses;

    if (mode == 5) {
        rc = mlp_csv_request(fuzz_model, (const char *) data, size, 8, &a,
                             &req, &e);

        if (rc == 0) {
            rc = mlp_csv_answer(fuzz_model, &req, &a, &resp, &len, &e);

            /* CSV, not JSON: only that it ends a line */
            if (rc == 0 && (len == 0 || resp[len - 1] != '\n')) {
                fprintf(stderr, "CSV answer without its last line break\n");
                abort();
            }

            if (rc == 0) {
                return 0;
            }
        }

    } else if (mode < 2) {
        rc = mlp_v2_parse(fuzz_model, (const char *) data, size,
                          mode == 0 ? size : json_len, 8, &a, &req, &e);

        if (mode == 1) {
            fuzz_split(data, size, json_len, rc, &req, &e);
        }

        if (rc == 0) {
            rc = mlp_v2_answer(fuzz_model, "\"m\"", 3, "\"1\"", 3, &req, &a,
                               &resp, &len, &json_len, &e);
        }

    } else {
        /* :explain (mode 6) takes what :predict takes */
        rc = mlp_tf_parse(fuzz_model, (const char *) data, size,
                          mode == 6 ? MLP_TF_PREDICT : mode - 2, 8, &a, &req,
                          &columnar, &e);

        if (rc == 0) {
            rc = mlp_tf_answer(fuzz_model, &req,
                               mode == 6 ? MLP_TF_EXPLAIN : mode - 2,
                               columnar, &a, &resp, &len, &e);
            json_len = len;
        }
    }

    if (rc == 0) {
        v = json_loadb(resp, json_len, 0, &je);
        if (v == NULL) {
            fprintf(stderr, "invalid JSON answer: %.*s\n", (int) json_len,
                    resp);
            abort();
        }

        json_decref(v);

    } else if (e.status < 400 || e.status > 499 || e.message[0] == '\0') {
        fprintf(stderr, "status %d: %s\n", e.status, e.message);
        abort();
    }

    mlp_json_last_parse(&st);

    if (st.parses != before
        && (st.overflows != 0 || st.used + MLP_JSON_SLACK > st.reserved))
    {
        fprintf(stderr, "jansson took %zu bytes of %zu reserved, %zu "
                "allocations past it\n", st.used, st.reserved,
                st.overflows);
        abort();
    }

    return 0;
}
