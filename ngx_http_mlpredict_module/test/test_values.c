
/*
 * Unit tests of one row given as text (mlp_predict_values, the nginx
 * variable's path): every row agrees with the JSON request of the same
 * values, byte for byte in the written answer; numbers are read whole as
 * strtod reads them and nothing else; empty and absent values are missing
 * where the input takes one and refused where it does not; categories are
 * looked up exactly, unknown ones refused where the encoder refuses them.
 *
 * usage: test_values MODELS_DIR   (the example models)
 * Ends with "N passed, N failed".
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "test_check.h"


#define ABSENT  ((const char *) 1)


static _Alignas(16) unsigned char  arena[1 << 22];
static size_t                      arena_used;
static size_t                      arena_limit = sizeof(arena);
static const char                 *models;


static void *
arena_alloc(void *data, size_t size)
{
    void  *p;

    size = (size + 15) & ~(size_t) 15;

    if (size > arena_limit - arena_used) {
        return NULL;
    }

    p = arena + arena_used;
    arena_used += size;

    return p;
}


static mlp_model_t *
open_model(const char *name)
{
    char          path[1024], err[MLP_ERR_LEN];
    mlp_model_t  *m;

    snprintf(path, sizeof(path), "%s/%s.mlp", models, name);

    m = mlp_model_open(path, err, sizeof(err));
    CHECK(m != NULL, "open %s: %s", path, err);

    return m;
}


/* values[i] NULL ends the list early: the rest are absent */

static int
values(mlp_model_t *m, const char **vals, double **out, uint32_t *label,
    mlp_error_t *e)
{
    uint32_t     i, n;
    mlp_text_t   row[64];
    mlp_alloc_t  a;

    n = mlp_model_n_inputs(m);

    for (i = 0; i < n; i++) {
        if (vals[i] == ABSENT) {
            row[i].data = NULL;
            row[i].len = 0;

        } else {
            row[i].data = vals[i];
            row[i].len = strlen(vals[i]);
        }
    }

    a.alloc = arena_alloc;
    a.data = NULL;
    arena_used = 0;

    return mlp_predict_values(m, row, &a, out, label, e);
}


/* The text row's answer, written as a one-row JSON answer is. */

static void
agree(const char *name, const char **vals, const char *json)
{
    char           *resp, *mine;
    size_t          len, mine_len;
    double         *out;
    uint32_t        label;
    mlp_alloc_t     a;
    mlp_error_t     e;
    mlp_model_t    *m;
    mlp_request_t   req;

    m = open_model(name);
    if (m == NULL) {
        return;
    }

    if (values(m, vals, &out, &label, &e) != 0) {
        CHECK(0, "%s: values refused: %s", name, e.message);
        mlp_model_close(m);
        return;
    }

    req.shape = MLP_SHAPE_NAMED;
    req.rows = 1;
    req.x = NULL;

    mine = malloc(mlp_response_bound(m, 1));
    mine_len = mlp_write_response(m, &req, out, &label, mine);

    a.alloc = arena_alloc;
    a.data = NULL;
    arena_used = 0;

    if (mlp_handle_request(m, json, strlen(json), 1, &a, &resp, &len, &e)
        != 0)
    {
        CHECK(0, "%s: JSON refused: %s", name, e.message);

    } else {
        CHECK(len == mine_len && memcmp(resp, mine, len) == 0,
              "%s: text row answers %.*s, JSON %.*s", name, (int) mine_len,
              mine, (int) len, resp);
    }

    free(mine);
    mlp_model_close(m);
}


static void
refused(const char *name, const char **vals, int status, const char *want)
{
    double       *out;
    uint32_t      label;
    mlp_error_t   e;
    mlp_model_t  *m;

    m = open_model(name);
    if (m == NULL) {
        return;
    }

    if (values(m, vals, &out, &label, &e) == 0) {
        CHECK(0, "%s: accepted, expected \"%s\"", name, want);

    } else {
        CHECK(e.status == status && strcmp(e.message, want) == 0,
              "%s: %d \"%s\", expected %d \"%s\"", name, e.status,
              e.message, status, want);
    }

    mlp_model_close(m);
}


static void
test_agreement(void)
{
    const char  *iris[] = { "5.1", "3.5", "1.4", "0.2" };
    const char  *dia[] = { "0.038", "0.051", "0.062", "0.022", "-0.044",
                           "-0.035", "-0.043", "-0.003", "0.020", "-0.018" };
    const char  *dia_missing[] = { "0.038", ABSENT, "0.062", "", "-0.044",
                                   "-0.035", "-0.043", "-0.003", "0.020",
                                   "-0.018" };
    const char  *lin[] = { "5", "162", "60" };
    const char  *churn[] = { "37", "", "4", "2", "premium", "north",
                             "monthly" };
    const char  *churn_odd[] = { "61.5", "52000", "30", "0", "platinum",
                                 ABSENT, "Yearly" };
    const char  *bot[] = { "180", ABSENT, ABSENT, "61.2", "0", "0.4", "0",
                           "curl", "HEAD", "HTTP/1.0" };
    const char  *human[] = { "702", "1260", "7", "2.5", "35", "41.5", "1",
                             "browser", "GET", "HTTP/2.0" };

    agree("iris", iris, "{\"features\": [5.1, 3.5, 1.4, 0.2]}");
    agree("iris_forest", iris, "{\"features\": [5.1, 3.5, 1.4, 0.2]}");
    agree("iris_ovr", iris, "{\"features\": [5.1, 3.5, 1.4, 0.2]}");
    agree("diabetes", dia, "{\"features\": [0.038, 0.051, 0.062, 0.022, "
          "-0.044, -0.035, -0.043, -0.003, 0.020, -0.018]}");
    agree("diabetes_hgb", dia_missing, "{\"features\": [0.038, null, "
          "0.062, null, -0.044, -0.035, -0.043, -0.003, 0.020, -0.018]}");
    agree("linnerud", lin, "{\"features\": [5, 162, 60]}");
    agree("churn", churn, "{\"features\": [37, null, 4, 2, \"premium\", "
          "\"north\", \"monthly\"]}");
    agree("churn_hgb", churn, "{\"features\": [37, null, 4, 2, "
          "\"premium\", \"north\", \"monthly\"]}");
    agree("churn", churn_odd, "{\"features\": [61.5, 52000, 30, 0, "
          "\"platinum\", null, \"Yearly\"]}");
    agree("churn_hgb", churn_odd, "{\"features\": [61.5, 52000, 30, 0, "
          "\"platinum\", null, \"Yearly\"]}");
    agree("bot", bot, "{\"features\": [180, null, null, 61.2, 0, 0.4, 0, "
          "\"curl\", \"HEAD\", \"HTTP/1.0\"]}");
    agree("bot", human, "{\"features\": [702, 1260, 7, 2.5, 35, 41.5, 1, "
          "\"browser\", \"GET\", \"HTTP/2.0\"]}");
}


/* Each form strtod reads as a decimal number, against the JSON number. */

static void
test_numbers(void)
{
    size_t       i;
    char         json[256];
    const char  *row[4] = { NULL, "3.5", "1.4", "0.2" };

    static const char  *good[][2] = {
        { "5", "5" }, { "+5", "5" }, { ".5", "0.5" }, { "5.", "5.0" },
        { "007", "7" }, { "1E1", "10" }, { "-0", "-0" }, { "2e-3", "0.002" },
        { "4.9e+0", "4.9" }, { "1e-400", "0" },
        { "0.000000000000000000000000000000000000000000000000000000000000000"
          "00000000000000000000000000000001e100",
          "0.000000000000000000000000000000000000000000000000000000000000000"
          "00000000000000000000000000000001e100" }
    };

    static const char  *bad[] = {
        " 5", "5 ", "0x10", "inf", "-inf", "nan", "infinity", "1e400", "1e",
        "1e+", "-", "+", ".", "5a", "1,5", "5..1", "--5", "\t5", "e5"
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        row[0] = good[i][0];
        snprintf(json, sizeof(json), "{\"features\": [%s, 3.5, 1.4, 0.2]}",
                 good[i][1]);
        agree("iris", row, json);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char  want[128];

        row[0] = bad[i];
        snprintf(want, sizeof(want), "feature \"sepal_length_cm\" must be a "
                 "finite number, not \"%s\"", bad[i][0] == '\t' ? "\\x095"
                 : bad[i]);
        refused("iris", row, 400, want);
    }

    /*
     * Random decimals against jansson's strtod: the fast path (a mantissa
     * of up to 19 digits below 2^53, a power of ten up to 22) and the
     * strtod path give the same doubles as the JSON path.
     */
    srand(15);

    for (i = 0; i < 3000; i++) {
        int     k, n;
        char    num[64], *q;

        q = num;

        if (rand() % 2) {
            *q++ = '-';
        }

        n = 1 + rand() % 20;
        *q++ = (char) ('1' + rand() % 9);

        for (k = 1; k < n; k++) {
            *q++ = (char) ('0' + rand() % 10);
        }

        if (rand() % 2) {
            *q++ = '.';
            n = 1 + rand() % 20;

            for (k = 0; k < n; k++) {
                *q++ = (char) ('0' + rand() % 10);
            }
        }

        if (rand() % 2) {
            q += sprintf(q, "e%d", rand() % 60 - 30);
        }

        *q = '\0';

        row[0] = num;
        snprintf(json, sizeof(json), "{\"features\": [%s, 3.5, 1.4, 0.2]}",
                 num);
        agree("iris", row, json);
    }

    /* a NUL inside the value ends nothing: the whole value is read */
    {
        double       *out;
        uint32_t      label;
        mlp_text_t    text[4] = { { "5\0" "1", 3 }, { "3.5", 3 },
                                  { "1.4", 3 }, { "0.2", 3 } };
        mlp_alloc_t   a = { arena_alloc, NULL };
        mlp_error_t   e;
        mlp_model_t  *m;

        m = open_model("iris");

        if (m != NULL) {
            arena_used = 0;
            CHECK(mlp_predict_values(m, text, &a, &out, &label, &e) == -1
                  && strcmp(e.message, "feature \"sepal_length_cm\" must be "
                            "a finite number, not \"5\\x001\"") == 0,
                  "a NUL inside a number: %s", e.message);
            mlp_model_close(m);
        }
    }
}


static void
test_missing_and_categories(void)
{
    const char  *empty[] = { "", "3.5", "1.4", "0.2" };
    const char  *absent[] = { "5.1", ABSENT, "1.4", "0.2" };
    const char  *put[] = { "180", ABSENT, ABSENT, "61.2", "0", "0.4", "0",
                           "curl", "PUT", "HTTP/1.0" };
    const char  *no_method[] = { "180", ABSENT, ABSENT, "61.2", "0", "0.4",
                                 "0", "curl", "", "HTTP/1.0" };
    const char  *get_lower[] = { "180", ABSENT, ABSENT, "61.2", "0", "0.4",
                                 "0", "curl", "get", "HTTP/1.0" };
    const char  *all_absent[] = { ABSENT, ABSENT, ABSENT, ABSENT, ABSENT,
                                  ABSENT, ABSENT, ABSENT, "GET", ABSENT };
    const char  *long_cat[] = { "1", "1", "1", "1", "1", "1", "1", "curl",
                                "GETGETGETGETGETGETGETGETGETGETGETGETGET",
                                "HTTP/1.1" };

    refused("iris", empty, 400, "feature \"sepal_length_cm\" is empty: "
            "this model has no rule for missing values");
    refused("iris", absent, 400, "feature \"sepal_width_cm\" is absent: "
            "this model has no rule for missing values");
    refused("bot", put, 400, "feature \"method\": unknown category \"PUT\"");
    refused("bot", no_method, 400, "feature \"method\" is empty: this model "
            "has no rule for missing values");
    refused("bot", get_lower, 400, "feature \"method\": unknown category "
            "\"get\"");
    refused("bot", long_cat, 400, "feature \"method\": unknown category "
            "\"GETGETGETGETGETGETGETGETGETGETGE...\"");

    /* every input that may be missing, missing: the imputers' answer */
    agree("bot", all_absent, "{\"method\": \"GET\"}");
}


static void
test_accessors(void)
{
    char          buf[64];
    size_t        len;
    const char   *s;
    mlp_model_t  *m;

    m = open_model("bot");

    if (m != NULL) {
        CHECK(mlp_model_n_inputs(m) == 10, "bot: %u inputs",
              mlp_model_n_inputs(m));

        s = mlp_model_input_name(m, 8, &len);
        CHECK(s && len == 6 && memcmp(s, "method", 6) == 0, "input 8");
        CHECK(mlp_model_input_name(m, 10, &len) == NULL, "input 10");
        CHECK(mlp_model_input_is_category(m, 8)
              && !mlp_model_input_is_category(m, 0), "categories");
        CHECK(!mlp_model_input_takes_missing(m, 8)
              && mlp_model_input_takes_missing(m, 9)
              && mlp_model_input_takes_missing(m, 0), "missing");

        CHECK(mlp_model_class_text(m, 0, buf, sizeof(buf), &len) == 0
              && len == 3 && memcmp(buf, "bot", 3) == 0, "class 0");
        CHECK(mlp_model_class_text(m, 1, buf, sizeof(buf), &len) == 0
              && len == 5 && memcmp(buf, "human", 5) == 0, "class 1");
        CHECK(mlp_model_class_text(m, 2, buf, sizeof(buf), &len) == -1,
              "class 2");
        CHECK(mlp_model_class_text(m, 1, buf, 4, &len) == -1,
              "a class longer than the buffer");
        CHECK(mlp_model_class_text(m, 1, NULL, 0, &len) == 0 && len >= 5,
              "a bound of the class's length: %zu", len);

        mlp_model_close(m);
    }

    m = open_model("iris_ovr");

    if (m != NULL) {
        CHECK(mlp_model_class_text(m, 2, buf, sizeof(buf), &len) == 0
              && len == 1 && buf[0] == '2', "integer class");
        mlp_model_close(m);
    }

    m = open_model("diabetes");

    if (m != NULL) {
        CHECK(mlp_model_class_text(m, 0, buf, sizeof(buf), &len) == -1,
              "a regressor has no classes");
        mlp_model_close(m);
    }
}


/* The number of each output: probabilities, decision values, targets. */

static void
test_output_value(void)
{
    double         v, *out;
    uint32_t       label;
    mlp_error_t    e;
    mlp_model_t   *m;

    static const char  *iris[] = { "5.1", "3.5", "1.4", "0.2" };
    static const char  *lin[] = { "5", "162", "60" };

    m = open_model("iris");

    if (m != NULL) {
        CHECK(values(m, iris, &out, &label, &e) == 0, "iris");
        CHECK(mlp_output_value(m, out, 2, &v) == 0 && v == out[2],
              "a probability");
        CHECK(mlp_output_value(m, NULL, 0, NULL) == 0, "asked only");
        CHECK(mlp_output_value(m, out, 3, &v) == -1, "no class 3");
        mlp_model_close(m);
    }

    m = open_model("linnerud");

    if (m != NULL) {
        CHECK(values(m, lin, &out, &label, &e) == 0, "linnerud");
        CHECK(mlp_output_value(m, out, 2, &v) == 0 && v == out[2],
              "a target");
        mlp_model_close(m);
    }

    /* a binary SVM without probabilities: one decision value */

    m = open_model("breast_cancer_svc_decision");

    if (m != NULL) {
        double       *o;
        mlp_text_t    row[30];
        mlp_alloc_t   a = { arena_alloc, NULL };
        uint32_t      i;

        static const char  *bc[30] = {
            "17.99", "10.38", "122.8", "1001.0", "0.1184", "0.2776",
            "0.3001", "0.1471", "0.2419", "0.07871", "1.095", "0.9053",
            "8.589", "153.4", "0.006399", "0.04904", "0.05373", "0.01587",
            "0.03003", "0.006193", "25.38", "17.33", "184.6", "2019.0",
            "0.1622", "0.6656", "0.7119", "0.2654", "0.4601", "0.1189"
        };

        for (i = 0; i < 30; i++) {
            row[i].data = bc[i];
            row[i].len = strlen(bc[i]);
        }

        arena_used = 0;
        CHECK(mlp_predict_values(m, row, &a, &o, &label, &e) == 0,
              "svc: %s", e.message);
        CHECK(label == 1, "svc: malignant");
        CHECK(mlp_output_value(m, o, 1, &v) == 0 && v == o[0] && v > 0,
              "the decision value for the second class");
        CHECK(mlp_output_value(m, o, 0, &v) == 0 && v == -o[0],
              "its opposite for the first");
        mlp_model_close(m);
    }

    /*
     * one-vs-one decision values of three classes: three pairs, as many
     * values as classes but none a class's own (test/data/README.md)
     */

    m = open_model("../ngx_http_mlpredict_module/test/data/iris_svc_ovo");

    if (m != NULL) {
        CHECK(values(m, iris, &out, &label, &e) == 0, "ovo: %s", e.message);
        CHECK(label == 0, "ovo: setosa");
        CHECK(mlp_output_value(m, out, 0, &v) == -1
              && mlp_output_value(m, NULL, 2, NULL) == -1,
              "ovo: no value per class");
        mlp_model_close(m);
    }
}


/* Out of memory at every allocation: a 500, never a crash. */

static void
test_alloc_failures(void)
{
    size_t        limit;
    double       *out;
    uint32_t      label;
    mlp_text_t    row[10];
    mlp_alloc_t   a = { arena_alloc, NULL };
    mlp_error_t   e;
    mlp_model_t  *m;
    int           i, rc;
    char          longnum[200];

    static const char  *bot[] = { NULL, "10", "2", "61.2", "0", "0.4", "0",
                                  "curl", "HEAD", "HTTP/1.0" };

    m = open_model("bot");
    if (m == NULL) {
        return;
    }

    memset(longnum, '0', sizeof(longnum) - 2);
    longnum[sizeof(longnum) - 2] = '1';
    longnum[sizeof(longnum) - 1] = '\0';

    for (i = 0; i < 10; i++) {
        row[i].data = i ? bot[i] : longnum;
        row[i].len = strlen(row[i].data);
    }

    for (limit = 0; limit < 4096; limit += 16) {
        arena_limit = limit;
        arena_used = 0;
        rc = mlp_predict_values(m, row, &a, &out, &label, &e);

        if (rc == 0) {
            break;
        }

        CHECK(e.status == 500,
              "limit %zu: %d %s", limit, e.status, e.message);
    }

    arena_limit = sizeof(arena);
    CHECK(rc == 0 && limit > 0, "succeeds from %zu bytes", limit);

    mlp_model_close(m);
}


int
main(int argc, char **argv)
{
    char  err[MLP_ERR_LEN];

    if (argc < 2) {
        fprintf(stderr, "usage: test_values MODELS_DIR\n");
        return 2;
    }

    models = argv[1];

    CHECK(mlp_init(err, sizeof(err)) == 0, "mlp_init: %s", err);

    test_agreement();
    test_numbers();
    test_missing_and_categories();
    test_accessors();
    test_output_value();
    test_alloc_failures();

    printf("%d passed, %d failed\n", passed, failed);

    return failed ? 1 : 0;
}
