
/*
 * libFuzzer target: any bytes as a request body to the example iris model
 * (or MLP_FUZZ_MODEL). Properties: no crash, no leak, no undefined
 * behaviour; an accepted request yields valid JSON; a refused one a 4xx;
 * jansson never allocates past the reserve the pre-pass sized for it.
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
    fuzz_setup("fuzz_request");

    return 0;
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char          *resp;
    size_t            len, before;
    mlp_json_stats_t  st;
    json_t        *v;
    mlp_alloc_t    a = { fuzz_alloc, NULL };
    mlp_error_t    e;
    json_error_t   je;

    fuzz_reset();
    mlp_json_last_parse(&st);
    before = st.parses;

    if (mlp_handle_request(fuzz_model, (const char *) data, size, 8, &a, &resp,
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

    } else {
        /* the error body quotes client bytes: still valid JSON */
        char  body[8 * MLP_ERR_LEN];

        len = mlp_write_error(e.message, body, sizeof(body));
        v = json_loadb(body, len, 0, &je);

        if (len == 0 || v == NULL) {
            fprintf(stderr, "invalid JSON error body: %.*s\n", (int) len,
                    body);
            abort();
        }

        json_decref(v);
    }

    mlp_json_last_parse(&st);

    /* the bound holds without its slack: a margin, never needed */
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
