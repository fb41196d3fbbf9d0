
/*
 * The streaming CSV reader (mlp_csv.h). A record's fields are copied,
 * unquoted, into one buffer that grows to the longest record (capped), so
 * that a record may span input blocks; unquoted runs are copied a span at a
 * time.
 */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_csv.h"


#define MLP_CSV_BLOCK           (256 * 1024)

#define MLP_ONES                0x0101010101010101ull
#define MLP_ZERO_BYTE(v)        (((v) - MLP_ONES) & ~(v) & (MLP_ONES << 7))


static int mlp_csv_fill(mlp_csv_t *c);
static int mlp_csv_record(mlp_csv_t *c);
static int mlp_csv_append(mlp_csv_t *c, const char *s, size_t n);
static int mlp_csv_push(mlp_csv_t *c, size_t start, int quoted);
static int mlp_csv_fail(mlp_csv_t *c, size_t line, size_t col,
    const char *msg);
static mlp_csv_t *mlp_csv_new(size_t max_record);


/* bytes that end an unquoted run */
static const unsigned char  mlp_csv_stop[256] = {
    ['\n'] = 1, ['\r'] = 1, [','] = 1, ['"'] = 1
};

static const double  mlp_pow10[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
    1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};


static mlp_csv_t *
mlp_csv_new(size_t max_record)
{
    mlp_csv_t  *c;

    c = calloc(1, sizeof(mlp_csv_t));
    if (c == NULL) {
        return NULL;
    }

    c->max_record = max_record ? max_record : MLP_CSV_MAX_RECORD;
    c->rec_cap = 4096 < c->max_record ? 4096 : c->max_record;
    c->rec = malloc(c->rec_cap);
    c->fields_cap = 64;
    c->fields = malloc(c->fields_cap * sizeof(mlp_csv_field_t));
    c->line = 1;

    if (c->rec == NULL || c->fields == NULL) {
        mlp_csv_close(c);
        return NULL;
    }

    return c;
}


mlp_csv_t *
mlp_csv_open_file(FILE *f, size_t max_record)
{
    mlp_csv_t  *c;

    c = mlp_csv_new(max_record);
    if (c == NULL) {
        return NULL;
    }

    c->file = f;
    c->in_size = MLP_CSV_BLOCK;
    c->in = malloc(c->in_size);

    if (c->in == NULL) {
        mlp_csv_close(c);
        return NULL;
    }

    c->p = c->in;
    c->end = c->in;

    return c;
}


mlp_csv_t *
mlp_csv_open_mem(const char *buf, size_t len, size_t max_record)
{
    mlp_csv_t  *c;

    c = mlp_csv_new(max_record);
    if (c == NULL) {
        return NULL;
    }

    /* the whole input is one block: no refill */
    c->mem = buf;
    c->mem_len = len;
    c->p = buf;
    c->end = buf + len;
    c->eof = 1;

    return c;
}


void
mlp_csv_close(mlp_csv_t *c)
{
    if (c == NULL) {
        return;
    }

    free(c->in);
    free(c->rec);
    free(c->fields);
    free(c);
}


static int
mlp_csv_fill(mlp_csv_t *c)
{
    size_t  n;

    if (c->eof) {
        return 0;
    }

    n = fread(c->in, 1, c->in_size, c->file);

    if (n == 0) {
        c->eof = 1;

        if (ferror(c->file)) {
            (void) mlp_csv_fail(c, c->line, 0, "read error");
        }

        return 0;
    }

    c->p = c->in;
    c->end = c->in + n;

    return 1;
}


static int
mlp_csv_fail(mlp_csv_t *c, size_t line, size_t col, const char *msg)
{
    c->err_line = line;
    c->err_col = col;
    snprintf(c->err, sizeof(c->err), "%s", msg);

    return -1;
}


int
mlp_csv_read(mlp_csv_t *c)
{
    int      rc;
    size_t   i, n;

    if (c->err[0] != '\0') {
        return -1;
    }

    if (!c->started) {
        c->started = 1;

        /* the first three bytes, however the file hands them over */
        while (c->file != NULL && c->end - c->p < 3) {
            n = fread((char *) c->end, 1, 3 - (c->end - c->p), c->file);

            if (n == 0) {
                break;
            }

            c->end += n;
        }

        /* a UTF-8 byte order mark, as spreadsheets write */
        if (c->end - c->p >= 3 && memcmp(c->p, "\xef\xbb\xbf", 3) == 0) {
            c->p += 3;
        }
    }

    for ( ;; ) {
        c->rec_len = 0;
        c->n_fields = 0;
        c->rec_line = c->line;

        rc = mlp_csv_record(c);

        /* a read error ends the input where it happened: never a record */
        if (c->err[0] != '\0') {
            return -1;
        }

        if (rc != 1) {
            return rc;
        }

        /* a blank line is no record (pandas' skip_blank_lines) */
        if (c->n_fields == 1 && c->fields[0].len == 0
            && !c->fields[0].quoted)
        {
            continue;
        }

        for (i = 0; i < c->n_fields; i++) {
            c->fields[i].s = c->rec + (uintptr_t) c->fields[i].s;
        }

        c->records++;

        return 1;
    }
}


/* One record: 1, 0 at the end of the input before any byte, -1. */

static int
mlp_csv_record(mlp_csv_t *c)
{
    int          quoted;
    char         ch, *d;
    size_t       start, qline, room;
    const char  *p, *end, *q;

    if (c->p == c->end && !mlp_csv_fill(c)) {
        return 0;
    }

    for ( ;; ) {
        start = c->rec_len;
        quoted = 0;

        if (c->p == c->end && !mlp_csv_fill(c)) {
            /* the input ends after a comma: an empty last field */
            return mlp_csv_push(c, start, 0) ? -1 : 1;
        }

        if (*c->p == '"') {
            quoted = 1;
            qline = c->line;
            c->p++;

            for ( ;; ) {
                if (c->p == c->end && !mlp_csv_fill(c)) {
                    return mlp_csv_fail(c, qline, c->n_fields + 1,
                                        "a quoted field is never closed");
                }

                q = memchr(c->p, '"', c->end - c->p);
                end = q ? q : c->end;

                for (p = c->p; p < end; p++) {
                    if (*p == '\n') {
                        c->line++;
                    }
                }

                if (mlp_csv_append(c, c->p, end - c->p) != 0) {
                    return -1;
                }

                if (q == NULL) {
                    c->p = c->end;
                    continue;
                }

                c->p = q + 1;

                if (c->p == c->end && !mlp_csv_fill(c)) {
                    break;
                }

                if (*c->p != '"') {
                    break;
                }

                /* a doubled quote is one quote */
                if (mlp_csv_append(c, "\"", 1) != 0) {
                    return -1;
                }

                c->p++;
            }

            if (c->p < c->end
                && *c->p != ',' && *c->p != '\n' && *c->p != '\r')
            {
                return mlp_csv_fail(c, c->line, c->n_fields + 1,
                                    "text after the closing quote of a "
                                    "quoted field");
            }

        } else {
            for ( ;; ) {
                /* copied as scanned, as far as the record buffer has room */
                p = c->p;
                end = c->end;
                /* a quoted field's NUL may have filled it to the brim */
                room = (c->rec_cap > c->rec_len + 1)
                       ? c->rec_cap - c->rec_len - 1 : 0;

                if ((size_t) (end - p) > room) {
                    end = p + room;
                }

                d = c->rec + c->rec_len;

#if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
                /*
                 * eight bytes at a time: the first stop byte of a word is
                 * its lowest byte equal to one of them (the zero-byte test
                 * is exact for the lowest); the word is stored whole, the
                 * room check above leaves space for it
                 */
                while (end - p >= 8) {
                    uint64_t  w, t;

                    memcpy(&w, p, 8);
                    memcpy(d, &w, 8);
                    t = MLP_ZERO_BYTE(w ^ (MLP_ONES * ','))
                        | MLP_ZERO_BYTE(w ^ (MLP_ONES * '\n'))
                        | MLP_ZERO_BYTE(w ^ (MLP_ONES * '\r'))
                        | MLP_ZERO_BYTE(w ^ (MLP_ONES * '"'));

                    if (t) {
                        t = (uint64_t) __builtin_ctzll(t) >> 3;
                        p += t;
                        d += t;
                        goto stopped;
                    }

                    p += 8;
                    d += 8;
                }
#endif

                while (p < end && !mlp_csv_stop[(unsigned char) *p]) {
                    *d++ = *p++;
                }

#if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
            stopped:
#endif

                c->rec_len = d - c->rec;
                c->p = p;

                if (p < c->end && p < end) {
                    break;
                }

                if (p < c->end) {
                    /* the buffer is full: grow it by one byte's worth */
                    if (mlp_csv_append(c, p, 1) != 0) {
                        return -1;
                    }

                    c->rec_len--;
                    continue;
                }

                if (!mlp_csv_fill(c)) {
                    break;
                }
            }

            if (c->p < c->end && *c->p == '"') {
                return mlp_csv_fail(c, c->line, c->n_fields + 1,
                                    "a quote inside an unquoted field "
                                    "(quote the whole field and double "
                                    "the quote)");
            }
        }

        if (c->rec_len < c->rec_cap && c->n_fields < c->fields_cap) {
            /* mlp_csv_push without its growth */
            c->fields[c->n_fields].s = (const char *) (uintptr_t) start;
            c->fields[c->n_fields].len = c->rec_len - start;
            c->fields[c->n_fields++].quoted = quoted;
            c->rec[c->rec_len++] = '\0';

        } else if (mlp_csv_push(c, start, quoted) != 0) {
            return -1;
        }

        if (c->p == c->end) {
            /* the last record, without a line end */
            return 1;
        }

        ch = *c->p++;

        if (ch == ',') {
            continue;
        }

        c->line++;

        if (ch == '\r') {
            if (c->p == c->end) {
                (void) mlp_csv_fill(c);
            }

            if (c->p < c->end && *c->p == '\n') {
                c->p++;
            }
        }

        return 1;
    }
}


static int
mlp_csv_append(mlp_csv_t *c, const char *s, size_t n)
{
    char    *r;
    size_t   cap;

    /* room for the bytes and the NUL after the field */
    if (c->rec_len + n + 1 > c->rec_cap) {
        if (c->rec_len + n + 1 > c->max_record) {
            char  msg[96];

            snprintf(msg, sizeof(msg), "a record longer than %zu bytes",
                     c->max_record);
            return mlp_csv_fail(c, c->rec_line, c->n_fields + 1, msg);
        }

        cap = c->rec_cap;

        while (cap < c->rec_len + n + 1) {
            cap *= 2;
        }

        if (cap > c->max_record) {
            cap = c->max_record;
        }

        r = realloc(c->rec, cap);
        if (r == NULL) {
            return mlp_csv_fail(c, c->rec_line, c->n_fields + 1,
                                "out of memory");
        }

        c->rec = r;
        c->rec_cap = cap;
    }

    memcpy(c->rec + c->rec_len, s, n);
    c->rec_len += n;

    return 0;
}


/* A field from start to the end of the record's bytes, NUL-terminated. */

static int
mlp_csv_push(mlp_csv_t *c, size_t start, int quoted)
{
    size_t            len, cap;
    mlp_csv_field_t  *f;

    len = c->rec_len - start;

    if (c->rec_len + 1 <= c->rec_cap) {
        c->rec[c->rec_len++] = '\0';

    } else if (mlp_csv_append(c, "", 1) != 0) {
        return -1;
    }

    if (c->n_fields == c->fields_cap) {
        if (c->fields_cap >= MLP_CSV_MAX_FIELDS) {
            return mlp_csv_fail(c, c->rec_line, c->n_fields + 1,
                                "more than 1048576 fields in a record");
        }

        cap = c->fields_cap * 2;
        f = realloc(c->fields, cap * sizeof(mlp_csv_field_t));

        if (f == NULL) {
            return mlp_csv_fail(c, c->rec_line, c->n_fields + 1,
                                "out of memory");
        }

        c->fields = f;
        c->fields_cap = cap;
    }

    /* an offset until the record is whole: the buffer may move */
    f = &c->fields[c->n_fields++];
    f->s = (const char *) (uintptr_t) start;
    f->len = len;
    f->quoted = quoted;

    return 0;
}


int
mlp_csv_number(const char *s, size_t len, double *v)
{
    int          neg, nd, e, esign, ev;
    char        *end;
    unsigned     d;
    uint64_t     m;
    const char  *p, *q, *last, *dot;

    p = s;
    last = s + len;
    neg = 0;

    if (p < last && (*p == '-' || *p == '+')) {
        neg = (*p == '-');
        p++;
    }

    /* digits and one point in one loop: one exit to mispredict, not two */
    m = 0;
    q = p;
    dot = NULL;

    for ( /* void */ ; p < last; p++) {
        d = (unsigned) (*p - '0');

        if (d < 10) {
            m = m * 10 + d;
            continue;
        }

        if (*p != '.' || dot != NULL) {
            break;
        }

        dot = p;
    }

    nd = (int) (p - q) - (dot != NULL);
    e = dot ? (int) -(p - dot - 1) : 0;

    /*
     * at least one digit ("", "-", "." are not numbers), and no more than
     * 19, so that m did not wrap
     */
    if (nd == 0 || nd > 19 || m > (1ull << 53)) {
        goto slow;
    }

    if (p < last && (*p == 'e' || *p == 'E')) {
        p++;
        esign = 1;

        if (p < last && (*p == '-' || *p == '+')) {
            esign = (*p == '-') ? -1 : 1;
            p++;
        }

        if (p == last) {
            goto slow;
        }

        ev = 0;

        while (p < last && *p >= '0' && *p <= '9') {
            ev = ev * 10 + (*p++ - '0');

            if (ev > 1000) {
                goto slow;
            }
        }

        e += esign * ev;
    }

    if (p != last || e < -22 || e > 22) {
        goto slow;
    }

    /*
     * m <= 2^53 and 10^|e| are exact doubles: one correctly
     * rounded multiplication or division is strtod's answer (Clinger).
     */
    *v = (e < 0) ? (double) m / mlp_pow10[-e] : (double) m * mlp_pow10[e];

    if (neg) {
        *v = -*v;
    }

    return 0;

slow:

    /* the field is NUL-terminated; strtod skips leading blanks: refuse */
    if (len == 0 || s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')) {
        return -1;
    }

    *v = strtod(s, &end);

    return (end == s + len) ? 0 : -1;
}


int
mlp_csv_missing(const char *s, size_t len)
{
    switch (len) {
    case 0:
        return 1;
    case 2:
        return memcmp(s, "NA", 2) == 0;
    case 3:
        return memcmp(s, "NaN", 3) == 0;
    case 4:
        return memcmp(s, "null", 4) == 0;
    default:
        return 0;
    }
}


size_t
mlp_csv_quote(const char *s, size_t len, char *buf)
{
    char    *p;
    size_t   i;

    for (i = 0; i < len; i++) {
        if (mlp_csv_stop[(unsigned char) s[i]]) {
            break;
        }
    }

    /*
     * quoted too: a leading or trailing blank (readers trim), and a byte
     * order mark (skipped at the start of a file)
     */
    if (i == len && !(len && (s[0] == ' ' || s[len - 1] == ' '))
        && !(len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0))
    {
        memcpy(buf, s, len);
        return len;
    }

    p = buf;
    *p++ = '"';

    for (i = 0; i < len; i++) {
        if (s[i] == '"') {
            *p++ = '"';
        }

        *p++ = s[i];
    }

    *p++ = '"';

    return (size_t) (p - buf);
}
