
/*
 * libFuzzer target of the CSV reader (core/io/mlp_csv.c), differential:
 * the same bytes read from one buffer and from a FILE a few bytes at a
 * time must give the same records, the same lines and the same error; each
 * field read as a number must be strtod's double; each field quoted by
 * mlp_csv_quote must read back as itself.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/mlp_csv.h"


#define FUZZ_DUMP_MAX  (256 * 1024)


static char  fuzz_a[FUZZ_DUMP_MAX], fuzz_b[FUZZ_DUMP_MAX];


static size_t fuzz_dump(mlp_csv_t *c, char *out, size_t size);
static void fuzz_field(const mlp_csv_field_t *f);


static size_t
fuzz_dump(mlp_csv_t *c, char *out, size_t size)
{
    int     rc;
    size_t  i, n;

    n = 0;

    while ((rc = mlp_csv_read(c)) == 1) {
        n += snprintf(out + n, size - n, "L%zu:%zu", c->rec_line,
                      c->n_fields);

        for (i = 0; i < c->n_fields; i++) {
            if (c->fields[i].s[c->fields[i].len] != '\0') {
                fprintf(stderr, "a field without its NUL\n");
                abort();
            }

            if (n + c->fields[i].len + 16 < size) {
                n += snprintf(out + n, size - n, "|%d:%zu:",
                              c->fields[i].quoted, c->fields[i].len);
                memcpy(out + n, c->fields[i].s, c->fields[i].len);
                n += c->fields[i].len;
            }

            fuzz_field(&c->fields[i]);
        }

        if (n >= size - 64) {
            break;
        }
    }

    if (rc < 0) {
        n += snprintf(out + n, size - n, "E%zu:%zu:%s", c->err_line,
                      c->err_col, c->err);
    }

    return n;
}


static void
fuzz_field(const mlp_csv_field_t *f)
{
    char       *q;
    double      v, w;
    size_t      n;
    mlp_csv_t  *c;

    if (mlp_csv_number(f->s, f->len, &v) == 0) {
        w = strtod(f->s, NULL);

        if (memcmp(&v, &w, sizeof(v)) != 0 && !(v != v && w != w)) {
            fprintf(stderr, "\"%s\": %.17g, strtod %.17g\n", f->s, v, w);
            abort();
        }
    }

    if (f->len > 256) {
        return;
    }

    q = malloc(2 * f->len + 4);
    n = mlp_csv_quote(f->s, f->len, q);
    q[n++] = '\n';

    c = mlp_csv_open_mem(q, n, 0);

    if (mlp_csv_read(c) != 1 || c->n_fields != 1
        || c->fields[0].len != f->len
        || memcmp(c->fields[0].s, f->s, f->len) != 0)
    {
        /* an empty field alone is a blank line: skipped, as it should be */
        if (f->len != 0) {
            fprintf(stderr, "quoted field does not read back\n");
            abort();
        }
    }

    mlp_csv_close(c);
    free(q);
}


int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    FILE        *f;
    char        *copy, *a, *b;
    size_t       na, nb, block, cap;
    mlp_csv_t   *c;

    /* small caps put the record buffer's edge within short inputs */
    static const size_t  caps[] = { 4096, 64, 17, 1 << 20 };

    if (size == 0) {
        return 0;
    }

    /* the first byte picks the block size and the record cap */
    block = 1 + data[0] % 7;
    cap = caps[(data[0] / 7) % 4];
    data++;
    size--;

    copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    a = fuzz_a;
    b = fuzz_b;

    c = mlp_csv_open_mem(copy, size, cap);
    na = fuzz_dump(c, a, FUZZ_DUMP_MAX);
    mlp_csv_close(c);

    if (size > 0) {
        f = fmemopen(copy, size, "rb");
        c = mlp_csv_open_file(f, cap);
        c->in_size = block;
        nb = fuzz_dump(c, b, FUZZ_DUMP_MAX);
        mlp_csv_close(c);
        fclose(f);

        if (na != nb || memcmp(a, b, na) != 0) {
            fprintf(stderr, "buffer and %zu-byte blocks disagree:\n"
                    "%.*s\n---\n%.*s\n", block, (int) na, a, (int) nb, b);
            abort();
        }
    }

    free(copy);

    return 0;
}
