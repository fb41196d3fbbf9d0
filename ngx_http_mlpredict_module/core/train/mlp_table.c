
/*
 * A CSV file read whole for training: every cell's text kept (the held-out
 * rows are written back as CSV for the eval report), then each column
 * typed once: numbers, or categories coded by their sorted distinct values.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"
#include "io/mlp_csv.h"
#include "train/mlp_train.h"


static int mlp_table_grow(void **p, size_t *cap, size_t need, size_t size);
static int mlp_table_type(mlp_table_t *t, size_t j, char *err,
    size_t errlen);
static int mlp_table_cmp(const void *a, const void *b);
static int mlp_table_dup_name(const mlp_table_t *t, const char *path,
    char *err, size_t errlen);


static int
mlp_table_grow(void **p, size_t *cap, size_t need, size_t size)
{
    void    *np;
    size_t   n;

    if (need <= *cap) {
        return 0;
    }

    n = *cap ? *cap : 1024;

    while (n < need) {
        n *= 2;
    }

    np = realloc(*p, n * size);
    if (np == NULL) {
        return -1;
    }

    *p = np;
    *cap = n;

    return 0;
}


/* qsort's order of an array of C strings (names, checked for twins) */

int
mlp_train_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}


/* Names are checked UTF-8 without control characters: NUL ends them. */

static int
mlp_table_dup_name(const mlp_table_t *t, const char *path, char *err,
    size_t errlen)
{
    size_t        j;
    const char  **v;

    v = malloc(t->n_cols * sizeof(char *) + 1);
    if (v == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    for (j = 0; j < t->n_cols; j++) {
        v[j] = t->col[j].name;
    }

    qsort(v, t->n_cols, sizeof(char *), mlp_train_cmp_str);

    for (j = 1; j < t->n_cols; j++) {
        if (strcmp(v[j - 1], v[j]) == 0) {
            mlp_fail(err, errlen, "%s: line 1: two columns named \"%s\"",
                     path, v[j]);
            free(v);
            return -1;
        }
    }

    free(v);

    return 0;
}


mlp_table_t *
mlp_table_read(const char *path, char *err, size_t errlen)
{
    FILE  *f;

    f = fopen(path, "rb");
    if (f == NULL) {
        mlp_fail(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }

    return mlp_table_read_file(f, path, err, errlen);
}


mlp_table_t *
mlp_table_read_file(FILE *f, const char *path, char *err, size_t errlen)
{
    size_t        j, n, total, bytes_len, bytes_cap, cells_cap, rows_cap,
                  lens_cap;
    char         *p;
    mlp_csv_t    *c;
    mlp_table_t  *t;
    int           rc;

    c = NULL;

    t = calloc(1, sizeof(mlp_table_t));
    if (t == NULL) {
        mlp_fail(err, errlen, "out of memory");
        goto failed;
    }

    t->path = path;

    c = mlp_csv_open_file(f, 0);
    if (c == NULL) {
        mlp_fail(err, errlen, "out of memory");
        goto failed;
    }

    rc = mlp_csv_read(c);

    if (rc != 1) {
        mlp_fail(err, errlen, "%s: %s", path,
                 rc == 0 ? "empty file: no header row" : c->err);
        goto failed;
    }

    if (c->n_fields > MLP_TRAIN_MAX_COLUMNS) {
        mlp_fail(err, errlen, "%s: %zu columns: at most %d", path,
                 c->n_fields, MLP_TRAIN_MAX_COLUMNS);
        goto failed;
    }

    t->n_cols = c->n_fields;
    total = 0;

    for (j = 0; j < t->n_cols; j++) {
        total += c->fields[j].len + 1;
    }

    t->header = malloc(total);
    t->col = calloc(t->n_cols, sizeof(mlp_tcol_t));

    if (t->header == NULL || t->col == NULL) {
        mlp_fail(err, errlen, "out of memory");
        goto failed;
    }

    p = t->header;

    for (j = 0; j < t->n_cols; j++) {
        memcpy(p, c->fields[j].s, c->fields[j].len + 1);
        t->col[j].name = p;
        t->col[j].name_len = c->fields[j].len;
        p += c->fields[j].len + 1;

        /* a name becomes an input's name in the model file */
        if (c->fields[j].len == 0
            || !mlp_utf8_valid((const unsigned char *) t->col[j].name,
                               t->col[j].name_len))
        {
            mlp_fail(err, errlen, "%s: line 1, column %zu: a column's name "
                     "must be non-empty UTF-8 text without control "
                     "characters", path, j + 1);
            goto failed;
        }

    }

    /* unique names, sorted (n log n: a header may have 100,000 columns) */
    if (mlp_table_dup_name(t, path, err, errlen) != 0) {
        goto failed;
    }

    bytes_len = bytes_cap = cells_cap = rows_cap = lens_cap = 0;

    for ( ;; ) {
        rc = mlp_csv_read(c);

        if (rc == 0) {
            break;
        }

        if (rc < 0) {
            mlp_fail(err, errlen, "%s: line %zu: %s", path, c->err_line,
                     c->err);
            goto failed;
        }

        if (c->n_fields != t->n_cols) {
            mlp_fail(err, errlen, "%s: line %zu: %zu fields, the header has "
                     "%zu", path, c->rec_line, c->n_fields, t->n_cols);
            goto failed;
        }

        if (t->n_rows == MLP_TRAIN_MAX_ROWS) {
            mlp_fail(err, errlen, "%s: more than %zu rows", path,
                     MLP_TRAIN_MAX_ROWS);
            goto failed;
        }

        n = t->n_rows * t->n_cols;
        total = 0;

        for (j = 0; j < t->n_cols; j++) {
            total += c->fields[j].len + 1;
        }

        if (mlp_table_grow((void **) &t->bytes, &bytes_cap,
                           bytes_len + total, 1) != 0
            || mlp_table_grow((void **) &t->cell, &cells_cap, n + t->n_cols,
                              sizeof(size_t)) != 0
            || mlp_table_grow((void **) &t->cell_len, &lens_cap,
                              n + t->n_cols, sizeof(uint32_t)) != 0)
        {
            mlp_fail(err, errlen, "out of memory at line %zu", c->rec_line);
            goto failed;
        }

        if (mlp_table_grow((void **) &t->line, &rows_cap, t->n_rows + 1,
                           sizeof(size_t)) != 0)
        {
            mlp_fail(err, errlen, "out of memory at line %zu", c->rec_line);
            goto failed;
        }

        for (j = 0; j < t->n_cols; j++) {
            if (c->fields[j].len > UINT32_MAX - 1) {
                mlp_fail(err, errlen, "%s: line %zu: a field over 4 GiB",
                         path, c->rec_line);
                goto failed;
            }

            t->cell[n + j] = bytes_len;
            t->cell_len[n + j] = (uint32_t) c->fields[j].len;
            memcpy(t->bytes + bytes_len, c->fields[j].s,
                   c->fields[j].len + 1);
            bytes_len += c->fields[j].len + 1;
        }

        t->line[t->n_rows++] = c->rec_line;
    }

    mlp_csv_close(c);
    c = NULL;
    fclose(f);
    f = NULL;

    for (j = 0; j < t->n_cols; j++) {
        if (mlp_table_type(t, j, err, errlen) != 0) {
            goto failed;
        }
    }

    return t;

failed:

    mlp_csv_close(c);

    if (f != NULL) {
        fclose(f);
    }

    mlp_table_free(t);

    return NULL;
}


typedef struct {
    const char               *s;
    uint32_t                  len;
} mlp_tstr_t;


static int
mlp_table_cmp(const void *a, const void *b)
{
    int                rc;
    const mlp_tstr_t  *x, *y;

    x = a;
    y = b;
    rc = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

    if (rc != 0) {
        return rc;
    }

    return (x->len > y->len) - (x->len < y->len);
}


static uint64_t
mlp_table_hash(const char *s, size_t len)
{
    size_t    i;
    uint64_t  h;

    h = 14695981039346656037ull;

    for (i = 0; i < len; i++) {
        h = (h ^ (unsigned char) s[i]) * 1099511628211ull;
    }

    return h;
}


/*
 * Column j typed. Categories go into an open-addressing table of 4 times
 * their bound, so that the search stays short; the distinct values are
 * then sorted and every row coded by a binary search.
 */

static int
mlp_table_type(mlp_table_t *t, size_t j, char *err, size_t errlen)
{
    double        v;
    size_t        r, h, mask, lo, hi, mid, bad;
    uint32_t      len, k;
    const char   *s;
    mlp_tcol_t   *col;
    mlp_tstr_t   *slot, *cats, key;
    int           cmp;

    col = &t->col[j];
    col->numeric = 1;

    /* numbers read once: the column is numeric until a cell is not */
    col->num = malloc((t->n_rows ? t->n_rows : 1) * sizeof(double));
    if (col->num == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    bad = t->n_rows;

    for (r = 0; r < t->n_rows; r++) {
        s = t->bytes + t->cell[r * t->n_cols + j];
        len = t->cell_len[r * t->n_cols + j];

        if (mlp_csv_missing(s, len)) {
            col->n_missing++;
            col->num[r] = NAN;
            continue;
        }

        /*
         * a number is written in decimal, as pandas reads one: "0x10",
         * "inf" and other words strtod takes make the column text
         */
        for (k = 0; k < len; k++) {
            if (!((s[k] >= '0' && s[k] <= '9') || s[k] == '+'
                  || s[k] == '-' || s[k] == '.' || s[k] == 'e'
                  || s[k] == 'E'))
            {
                break;
            }
        }

        if (len == 0 || k < len || mlp_csv_number(s, len, &v) != 0) {
            col->numeric = 0;
            break;
        }

        /* "1e999": refused once the column is known to be numeric */
        if (!isfinite(v) && bad == t->n_rows) {
            bad = r;
        }

        col->num[r] = v;
    }

    if (col->numeric && bad < t->n_rows) {
        s = t->bytes + t->cell[bad * t->n_cols + j];
        len = t->cell_len[bad * t->n_cols + j];
        mlp_fail(err, errlen, "%s: line %zu, column %zu (\"%s\"): "
                 "\"%.*s\" is not a finite number", t->path, t->line[bad],
                 j + 1, col->name, (int) (len > 40 ? 40 : len), s);
        return -1;
    }

    if (col->numeric) {
        return 0;
    }

    free(col->num);
    col->num = NULL;

    col->n_missing = 0;
    mask = 4 * MLP_TRAIN_MAX_CATS;
    mask = (size_t) 1 << (64 - __builtin_clzll(mask));
    slot = calloc(mask, sizeof(mlp_tstr_t));
    col->code = malloc((t->n_rows ? t->n_rows : 1) * sizeof(uint32_t));

    if (slot == NULL || col->code == NULL) {
        free(slot);
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    mask--;
    k = 0;

    for (r = 0; r < t->n_rows; r++) {
        s = t->bytes + t->cell[r * t->n_cols + j];
        len = t->cell_len[r * t->n_cols + j];

        if (mlp_csv_missing(s, len)) {
            col->n_missing++;
            continue;
        }

        for (h = mlp_table_hash(s, len) & mask; slot[h].s != NULL;
             h = (h + 1) & mask)
        {
            if (slot[h].len == len && memcmp(slot[h].s, s, len) == 0) {
                break;
            }
        }

        if (slot[h].s != NULL) {
            continue;
        }

        if (k == MLP_TRAIN_MAX_CATS) {
            mlp_fail(err, errlen, "%s: column %zu (\"%s\"): more than %d "
                     "distinct values that are not numbers (line %zu: "
                     "\"%.*s\"): leave it out with --drop", t->path, j + 1,
                     col->name, MLP_TRAIN_MAX_CATS, t->line[r],
                     (int) (len > 40 ? 40 : len), s);
            free(slot);
            return -1;
        }

        if (!mlp_utf8_valid((const unsigned char *) s, len)) {
            mlp_fail(err, errlen, "%s: line %zu, column %zu (\"%s\"): a "
                     "category must be UTF-8 text without control "
                     "characters", t->path, t->line[r], j + 1, col->name);
            free(slot);
            return -1;
        }

        slot[h].s = s;
        slot[h].len = len;
        k++;
    }

    cats = malloc((k ? k : 1) * sizeof(mlp_tstr_t));
    col->cats = malloc((k ? k : 1) * sizeof(char *));
    col->cat_len = malloc((k ? k : 1) * sizeof(uint32_t));

    if (cats == NULL || col->cats == NULL || col->cat_len == NULL) {
        free(slot);
        free(cats);
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    col->n_cats = 0;

    for (h = 0; h <= mask; h++) {
        if (slot[h].s != NULL) {
            cats[col->n_cats++] = slot[h];
        }
    }

    free(slot);
    qsort(cats, k, sizeof(mlp_tstr_t), mlp_table_cmp);

    for (h = 0; h < k; h++) {
        col->cats[h] = cats[h].s;
        col->cat_len[h] = cats[h].len;
    }

    for (r = 0; r < t->n_rows; r++) {
        key.s = t->bytes + t->cell[r * t->n_cols + j];
        key.len = t->cell_len[r * t->n_cols + j];

        if (mlp_csv_missing(key.s, key.len)) {
            col->code[r] = MLP_TRAIN_MISSING;
            continue;
        }

        lo = 0;
        hi = k;

        while (lo < hi) {
            mid = lo + (hi - lo) / 2;
            cmp = mlp_table_cmp(&cats[mid], &key);

            if (cmp == 0) {
                lo = mid;
                break;
            }

            if (cmp < 0) {
                lo = mid + 1;

            } else {
                hi = mid;
            }
        }

        col->code[r] = (uint32_t) lo;
    }

    free(cats);

    return 0;
}


void
mlp_table_free(mlp_table_t *t)
{
    size_t  j;

    if (t == NULL) {
        return;
    }

    for (j = 0; t->col != NULL && j < t->n_cols; j++) {
        free(t->col[j].num);
        free(t->col[j].code);
        free(t->col[j].cats);
        free(t->col[j].cat_len);
    }

    free(t->col);
    free(t->line);
    free(t->bytes);
    free(t->cell);
    free(t->cell_len);
    free(t->header);
    free(t);
}


long
mlp_table_column(const mlp_table_t *t, const char *name, size_t len)
{
    size_t  j;

    for (j = 0; j < t->n_cols; j++) {
        if (t->col[j].name_len == len
            && memcmp(t->col[j].name, name, len) == 0)
        {
            return (long) j;
        }
    }

    return -1;
}


char *
mlp_table_csv(const mlp_table_t *t, const size_t *rows, size_t n,
    size_t *len)
{
    char    *buf, *p;
    size_t   i, j, c, total;

    /* a quoted field takes at most twice its bytes and two quotes */
    total = 0;

    for (j = 0; j < t->n_cols; j++) {
        total += 2 * t->col[j].name_len + 3;
    }

    for (i = 0; i < n; i++) {
        for (j = 0; j < t->n_cols; j++) {
            total += 2 * (size_t) t->cell_len[rows[i] * t->n_cols + j] + 3;
        }
    }

    buf = malloc(total + 1);
    if (buf == NULL) {
        return NULL;
    }

    p = buf;

    for (j = 0; j < t->n_cols; j++) {
        p += mlp_csv_quote(t->col[j].name, t->col[j].name_len, p);
        *p++ = (j + 1 < t->n_cols) ? ',' : '\n';
    }

    for (i = 0; i < n; i++) {
        for (j = 0; j < t->n_cols; j++) {
            c = rows[i] * t->n_cols + j;
            p += mlp_csv_quote(t->bytes + t->cell[c], t->cell_len[c], p);
            *p++ = (j + 1 < t->n_cols) ? ',' : '\n';
        }
    }

    *len = p - buf;

    return buf;
}
