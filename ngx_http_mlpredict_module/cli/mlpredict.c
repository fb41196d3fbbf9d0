
/*
 * mlpredict: the core without nginx.
 *
 *   mlpredict info MODEL              the model's metadata (as GET serves it)
 *   mlpredict predict MODEL [FILE]    one JSON request body from FILE or
 *                                     stdin -> the JSON answer on stdout
 *   mlpredict convert [--n-features N] IN OUT
 *   mlpredict convert [--features a,b] [--classes c1,c2] IN.onnx OUT
 *                                     an XGBoost JSON model or a libsvm
 *                                     model (told apart by their content)
 *                                     -> a model file
 *   mlpredict predict MODEL DATA.csv --csv [--keep COLUMN,...]
 *   mlpredict eval MODEL DATA.csv --label COLUMN [--by COLUMN] [--json]
 *                                     (mlpredict_csv.c)
 *   mlpredict train ALGO DATA.csv --label COLUMN -o OUT.mlp [options]
 *                                     (mlpredict_train.c)
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp.h"
#include "convert/mlp_writer.h"
#include "convert/mlp_libsvm.h"
#include "convert/mlp_onnx.h"
#include "mlpredict.h"


#define MLP_CLI_MAX_BODY  (1024 * 1024 * 1024)


struct mlp_block_s {
    mlp_block_t  *next;
    /* the data follows, aligned for doubles */
    double        data[];
};


static char *mlp_read_all(FILE *f, size_t *len);
static int mlp_convert(int argc, char **argv);


void *
mlp_cli_alloc(void *data, size_t size)
{
    mlp_block_t  **head, *b;

    head = data;

    b = malloc(sizeof(mlp_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = *head;
    *head = b;

    return b->data;
}


void
mlp_cli_free(mlp_block_t *b)
{
    mlp_block_t  *next;

    for ( /* void */ ; b; b = next) {
        next = b->next;
        free(b);
    }
}


static char *
mlp_read_all(FILE *f, size_t *len)
{
    char    *p, *np;
    size_t   n, cap;

    cap = 65536;
    n = 0;

    p = malloc(cap);
    if (p == NULL) {
        return NULL;
    }

    for ( ;; ) {
        n += fread(p + n, 1, cap - n, f);

        if (n < cap) {
            break;
        }

        if (cap >= MLP_CLI_MAX_BODY) {
            free(p);
            errno = EFBIG;
            return NULL;
        }

        cap *= 2;

        np = realloc(p, cap);
        if (np == NULL) {
            free(p);
            return NULL;
        }

        p = np;
    }

    if (ferror(f)) {
        free(p);
        return NULL;
    }

    *len = n;

    return p;
}


/*
 * convert: the format told by the first bytes (a JSON object is XGBoost's,
 * "svm_type" starts libsvm's), then what was written loaded as the server
 * loads it, its metadata printed.
 */

static int
mlp_convert(int argc, char **argv)
{
    int           rc;
    char         *end, head[64];
    FILE         *f;
    long          nf;
    int           k;
    size_t        n, i, len, info_len;
    mlp_model_t  *m;
    const char   *in, *out, *info, *features, *classes;
    char          err[MLP_ERR_LEN];

    nf = 0;
    features = NULL;
    classes = NULL;
    in = out = NULL;

    for (k = 2; k < argc; k++) {
        if (k + 1 < argc && strcmp(argv[k], "--n-features") == 0) {
            errno = 0;
            nf = strtol(argv[k + 1], &end, 10);

            if (*argv[k + 1] == '\0' || *end != '\0' || errno != 0 || nf < 1
                || nf > 1000000)
            {
                fprintf(stderr, "mlpredict: --n-features %s: a number from "
                        "1 to 1000000\n", argv[k + 1]);
                return 2;
            }

            k++;

        } else if (k + 1 < argc && strcmp(argv[k], "--features") == 0) {
            features = argv[++k];

        } else if (k + 1 < argc && strcmp(argv[k], "--classes") == 0) {
            classes = argv[++k];

        } else if (argv[k][0] == '-' && argv[k][1] == '-') {
            return mlp_usage();

        } else if (in == NULL) {
            in = argv[k];

        } else if (out == NULL) {
            out = argv[k];

        } else {
            return mlp_usage();
        }
    }

    if (in == NULL || out == NULL) {
        return mlp_usage();
    }

    f = fopen(in, "rb");
    if (f == NULL) {
        fprintf(stderr, "mlpredict: %s: %s\n", in, strerror(errno));
        return 1;
    }

    n = fread(head, 1, sizeof(head), f);
    fclose(f);

    for (i = 0; i < n && (head[i] == ' ' || head[i] == '\t'
                          || head[i] == '\r' || head[i] == '\n'); i++)
    { /* void */ }

    len = strlen(in);

    /* ONNX: by its name, or a protobuf starting with ir_version (field 1) */
    if ((len > 5 && strcmp(in + len - 5, ".onnx") == 0)
        || (n > 0 && head[0] == 0x08))
    {
        if (nf) {
            fprintf(stderr, "mlpredict: --n-features is for libsvm models; "
                    "an ONNX model knows its own\n");
            return 2;
        }

        rc = mlp_convert_onnx(in, out, features, classes, err, sizeof(err));

    } else if (features || classes) {
        fprintf(stderr, "mlpredict: --features and --classes are for ONNX "
                "models\n");
        return 2;

    } else if (mlp_libsvm_detect(head, n)) {
        rc = mlp_convert_libsvm(in, out, (uint32_t) nf, err, sizeof(err));

    } else if (i < n && head[i] == '{') {
        if (nf) {
            fprintf(stderr, "mlpredict: --n-features is for libsvm models; "
                    "an XGBoost model knows its own\n");
            return 2;
        }

        rc = mlp_convert_xgboost(in, out, err, sizeof(err));

    } else {
        fprintf(stderr, "mlpredict: %s: neither an XGBoost JSON model nor a "
                "libsvm model (svm-train's output)\n", in);
        return 1;
    }

    if (rc != 0) {
        fprintf(stderr, "mlpredict: %s\n", err);
        return 1;
    }

    /* what was written must load: the server's own check */
    m = mlp_model_open(out, err, sizeof(err));
    if (m == NULL) {
        fprintf(stderr, "mlpredict: %s: written but refused: %s\n", out,
                err);
        return 1;
    }

    info = mlp_model_info(m, &info_len);
    fwrite(info, 1, info_len, stdout);
    fputc('\n', stdout);
    mlp_model_close(m);

    return 0;
}


int
mlp_usage(void)
{
    fprintf(stderr,
            "usage: mlpredict info MODEL\n"
            "       mlpredict predict MODEL [FILE]   (JSON body, stdin "
            "by default)\n"
            "       mlpredict explain MODEL [FILE]   (the same, each row "
            "with its contributions)\n"
            "       mlpredict predict MODEL DATA.csv --csv "
            "[--keep COLUMN,...]\n"
            "       mlpredict eval MODEL DATA.csv --label COLUMN "
            "[--by COLUMN] [--json]\n"
            "       mlpredict convert [--n-features N] MODEL OUT   "
            "(XGBoost's Booster.save_model\n"
            "                JSON, or libsvm's svm-train model; N: the "
            "libsvm data's features)\n"
            "       mlpredict convert [--features a,b,...] "
            "[--classes c1,c2,...] MODEL.onnx OUT\n"
            "       mlpredict train ALGO DATA.csv --label COLUMN -o OUT.mlp "
            "[options]\n");
    return 2;
}


int
main(int argc, char **argv)
{
    int           rc;
    char         *body, *resp, *ebuf;
    FILE         *in;
    size_t        len, resp_len, info_len, elen;
    mlp_alloc_t   a;
    mlp_error_t   e;
    mlp_block_t  *blocks;
    mlp_model_t  *m;
    const char   *info;
    char          err[MLP_ERR_LEN];

    if (argc < 3) {
        return mlp_usage();
    }

    if (mlp_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "mlpredict: %s\n", err);
        return 1;
    }

    if (strcmp(argv[1], "convert") == 0) {
        return mlp_convert(argc, argv);
    }

    if (strcmp(argv[1], "train") == 0) {
        return mlp_cli_train(argc, argv);
    }

    m = mlp_model_open(argv[2], err, sizeof(err));
    if (m == NULL) {
        fprintf(stderr, "mlpredict: %s: %s\n", argv[2], err);
        return 1;
    }

    if (strcmp(argv[1], "info") == 0 && argc == 3) {
        info = mlp_model_info(m, &info_len);
        fwrite(info, 1, info_len, stdout);
        fputc('\n', stdout);
        mlp_model_close(m);
        return 0;
    }

    if (strcmp(argv[1], "eval") == 0) {
        rc = mlp_cli_eval(m, argc - 3, argv + 3);
        mlp_model_close(m);
        return rc;
    }

    /* a CSV file: --csv anywhere after the model */
    for (rc = 3; rc < argc; rc++) {
        if (strcmp(argv[1], "predict") == 0
            && strcmp(argv[rc], "--csv") == 0)
        {
            rc = mlp_cli_predict_csv(m, argc - 3, argv + 3);
            mlp_model_close(m);
            return rc;
        }
    }

    if ((strcmp(argv[1], "predict") != 0 && strcmp(argv[1], "explain") != 0)
        || argc > 4)
    {
        mlp_model_close(m);
        return mlp_usage();
    }

    in = stdin;

    if (argc == 4) {
        in = fopen(argv[3], "rb");
        if (in == NULL) {
            fprintf(stderr, "mlpredict: %s: %s\n", argv[3], strerror(errno));
            mlp_model_close(m);
            return 1;
        }
    }

    body = mlp_read_all(in, &len);

    if (in != stdin) {
        fclose(in);
    }

    if (body == NULL) {
        fprintf(stderr, "mlpredict: reading the body: %s\n", strerror(errno));
        mlp_model_close(m);
        return 1;
    }

    blocks = NULL;
    a.alloc = mlp_cli_alloc;
    a.data = &blocks;

    /* no batch limit here: the file is the user's own */
    rc = mlp_handle_request_flags(m, body, len, (size_t) -1,
                                  MLP_ALLOW_EXPLAIN
                                  | (argv[1][0] == 'e' ? MLP_FORCE_EXPLAIN
                                                       : 0),
                                  &a, &resp, &resp_len, NULL, &e);

    if (rc == 0) {
        fwrite(resp, 1, resp_len, stdout);

    } else {
        elen = 6 * MLP_ERR_LEN + 16;
        ebuf = malloc(elen);

        if (ebuf != NULL) {
            fwrite(ebuf, 1, mlp_write_error(e.message, ebuf, elen), stderr);
            free(ebuf);
        }
    }

    mlp_cli_free(blocks);
    free(body);
    mlp_model_close(m);

    return rc == 0 ? 0 : 1;
}
