
/*
 * Unit tests of the CSV reader (core/io/mlp_csv.c): every quoting case,
 * line ends, the byte order mark, blank lines, every error with its line
 * and column, each read from a buffer and from a FILE read 1, 2, 3, 7 and
 * 4096 bytes at a time (so that every construct straddles a block end);
 * the number reader against strtod; quoting written back and read again;
 * memory that does not grow with the number of records.
 */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/mlp_csv.h"
#include "test_check.h"


#define OUT_LEN  4096


static void dump(mlp_csv_t *c, char *out);
static void read_mem(const char *in, size_t len, size_t max, char *out);
static void read_file(const char *in, size_t len, size_t block, size_t max,
    char *out);
static void expect(const char *what, const char *in, size_t len,
    size_t max, const char *want);
static void test_numbers(void);
static void test_quote(void);
static void test_bounded(void);


/* Records as L<line>[f|f|"q"]..., then E<line>:<col>:<message> or END. */

static void
dump(mlp_csv_t *c, char *out)
{
    int     rc;
    size_t  i, n;

    n = 0;
    out[0] = '\0';

    while ((rc = mlp_csv_read(c)) == 1) {
        n += snprintf(out + n, OUT_LEN - n, "L%zu[", c->rec_line);

        for (i = 0; i < c->n_fields && n < OUT_LEN - 64; i++) {
            n += snprintf(out + n, OUT_LEN - n, "%s%s%.*s%s", i ? "|" : "",
                          c->fields[i].quoted ? "'" : "",
                          (int) c->fields[i].len, c->fields[i].s,
                          c->fields[i].quoted ? "'" : "");

            /* the field's NUL, for strtod */
            if (c->fields[i].s[c->fields[i].len] != '\0') {
                n += snprintf(out + n, OUT_LEN - n, "<no NUL>");
            }
        }

        n += snprintf(out + n, OUT_LEN - n, "]");
    }

    if (rc < 0) {
        snprintf(out + n, OUT_LEN - n, "E%zu:%zu:%s", c->err_line,
                 c->err_col, c->err);

        /* an error sticks */
        if (mlp_csv_read(c) != -1) {
            snprintf(out + strlen(out), OUT_LEN - strlen(out), "<again>");
        }

    } else {
        snprintf(out + n, OUT_LEN - n, "END");
    }
}


static void
read_mem(const char *in, size_t len, size_t max, char *out)
{
    char       *copy;
    mlp_csv_t  *c;

    /* an exact-size copy: ASan sees a read past the end */
    copy = malloc(len ? len : 1);
    memcpy(copy, in, len);

    c = mlp_csv_open_mem(copy, len, max);
    dump(c, out);
    mlp_csv_close(c);
    free(copy);
}


static void
read_file(const char *in, size_t len, size_t block, size_t max, char *out)
{
    FILE       *f;
    char       *copy;
    mlp_csv_t  *c;

    copy = malloc(len ? len : 1);
    memcpy(copy, in, len);
    f = fmemopen(copy, len ? len : 1, "rb");

    if (len == 0) {
        fgetc(f);       /* fmemopen refuses size 0: read the byte away */
    }

    c = mlp_csv_open_file(f, max);
    c->in_size = block;             /* smaller than the block allocated */
    dump(c, out);
    mlp_csv_close(c);
    fclose(f);
    free(copy);
}


static void
expect(const char *what, const char *in, size_t len, size_t max,
    const char *want)
{
    size_t         i;
    char           got[OUT_LEN];
    static size_t  blocks[] = { 1, 2, 3, 7, 4096 };

    read_mem(in, len, max, got);
    CHECK(strcmp(got, want) == 0, "%s (buffer):\n  got  %s\n  want %s",
          what, got, want);

    for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        read_file(in, len, blocks[i], max, got);
        CHECK(strcmp(got, want) == 0, "%s (file, %zu-byte blocks):\n"
              "  got  %s\n  want %s", what, blocks[i], got, want);
    }
}


#define EXPECT(what, in, want)  expect(what, in, sizeof(in) - 1, 0, want)


static void
test_records(void)
{
    EXPECT("empty input", "", "END");
    EXPECT("header only", "a,b\n", "L1[a|b]END");
    EXPECT("LF", "a,b\n1,2\n", "L1[a|b]L2[1|2]END");
    EXPECT("CRLF", "a,b\r\n1,2\r\n", "L1[a|b]L2[1|2]END");
    EXPECT("CR alone", "a,b\r1,2\r", "L1[a|b]L2[1|2]END");
    EXPECT("no final line end", "a,b\n1,2", "L1[a|b]L2[1|2]END");
    EXPECT("CRLF, no final line end", "a,b\r\n1,2",
           "L1[a|b]L2[1|2]END");
    EXPECT("empty fields", "a,b,c\n,,\n", "L1[a|b|c]L2[||]END");
    EXPECT("a trailing comma at the end", "a,b\n1,", "L1[a|b]L2[1|]END");
    EXPECT("blank lines skipped", "\n\na,b\n\n1,2\n\r\n\n3,4\n",
           "L3[a|b]L5[1|2]L8[3|4]END");
    EXPECT("a BOM", "\xef\xbb\xbf" "a,b\n1,2\n", "L1[a|b]L2[1|2]END");
    EXPECT("a BOM only first", "a\n\xef\xbb\xbf\n",
           "L1[a]L2[\xef\xbb\xbf]END");
    EXPECT("quoted", "\"a\",\"b\"\n\"1\",\"2\"\n",
           "L1['a'|'b']L2['1'|'2']END");
    EXPECT("an empty quoted field is a record", "\"\"\n",
           "L1['']END");
    EXPECT("a comma inside quotes", "\"a,b\",c\n", "L1['a,b'|c]END");
    EXPECT("doubled quotes", "\"he said \"\"hi\"\"\",\"\"\"\"\n",
           "L1['he said \"hi\"'|'\"']END");
    EXPECT("a newline inside quotes counts a line",
           "\"l1\nl2\",x\ny,z\n", "L1['l1\nl2'|x]L3[y|z]END");
    EXPECT("CRLF inside quotes is kept", "\"l1\r\nl2\"\r\nq\r\n",
           "L1['l1\r\nl2']L3[q]END");
    EXPECT("a quoted field at the end of input", "a,\"b\"",
           "L1[a|'b']END");
    EXPECT("a quoted field then CR", "\"a\"\r\"b\"\r\n",
           "L1['a']L2['b']END");
    EXPECT("blanks are data", " a , b \n", "L1[ a | b ]END");
    EXPECT("UTF-8 is data", "caf\xc3\xa9,\xe2\x82\xac\n",
           "L1[caf\xc3\xa9|\xe2\x82\xac]END");

    /* a NUL byte is data (the dump stops at it: check the length) */
    {
        mlp_csv_t  *c;

        c = mlp_csv_open_mem("a\0b,c\n", 6, 0);
        CHECK(mlp_csv_read(c) == 1 && c->n_fields == 2
              && c->fields[0].len == 3 && c->fields[0].s[1] == '\0',
              "a NUL byte inside a field");
        mlp_csv_close(c);
    }

    /* errors: the line and the column where they are */
    EXPECT("an unterminated quote", "a,b\n1,\"2\n3\n",
           "L1[a|b]E2:2:a quoted field is never closed");
    EXPECT("an unterminated quote at the end", "a,\"",
           "E1:2:a quoted field is never closed");
    EXPECT("text after a closing quote", "a,b\nx,\"1\"2\n",
           "L1[a|b]E2:2:text after the closing quote of a quoted field");
    EXPECT("a blank after a closing quote", "\"a\" ,b\n",
           "E1:1:text after the closing quote of a quoted field");
    EXPECT("a quote inside an unquoted field", "a,b\n1,2\"3\n",
           "L1[a|b]E2:2:a quote inside an unquoted field (quote the "
           "whole field and double the quote)");
    EXPECT("a quote at the end of an unquoted field", "ab\"\n",
           "E1:1:a quote inside an unquoted field (quote the whole field "
           "and double the quote)");
    EXPECT("an error after a quoted newline names its line",
           "\"a\nb\",c\"\n", "E2:2:a quote inside an unquoted field "
           "(quote the whole field and double the quote)");
    expect("a record over the cap", "ab,cd\nabcdefghij,k\n", 19, 8,
           "L1[ab|cd]E2:1:a record longer than 8 bytes");
    /* more fields than the reader takes: 1048577 empty ones */
    {
        char       *many;
        size_t      n;
        mlp_csv_t  *c;

        n = 1048576;
        many = malloc(n + 1);
        memset(many, ',', n);
        many[n] = '\n';

        c = mlp_csv_open_mem(many, n + 1, 0);
        CHECK(mlp_csv_read(c) == -1 && c->err_line == 1
              && c->err_col == 1048577
              && strstr(c->err, "more than 1048576 fields") != NULL,
              "too many fields: %s at %zu:%zu", c->err, c->err_line,
              c->err_col);
        mlp_csv_close(c);
        free(many);
    }

    /*
     * A quoted field that leaves the record buffer one byte short, its NUL
     * filling it, then an unquoted field: the room left was computed as
     * (size_t) -1, and the copy ran past the buffer (found by review, an
     * ASan heap overflow). At every size the buffer doubles through.
     */
    {
        char       *in;
        size_t      q, n, len, b;
        mlp_csv_t  *c;
        FILE       *f;

        for (q = 4095; q <= 16383; q = 2 * q + 1) {
            n = 100000;
            len = q + 3 + n + 1;
            in = malloc(len);
            in[0] = '"';
            memset(in + 1, 'a', q);
            in[q + 1] = '"';
            in[q + 2] = ',';
            memset(in + q + 3, 'b', n);
            in[len - 1] = '\n';

            for (b = 0; b < 2; b++) {
                f = NULL;
                c = b ? mlp_csv_open_file(f = fmemopen(in, len, "rb"), 0)
                      : mlp_csv_open_mem(in, len, 0);
                CHECK(mlp_csv_read(c) == 1 && c->n_fields == 2
                      && c->fields[0].len == q && c->fields[1].len == n
                      && c->fields[1].s[n] == '\0'
                      && c->fields[1].s[0] == 'b'
                      && c->fields[1].s[n - 1] == 'b',
                      "a %zu-byte quoted field, then %zu bytes (%s)", q, n,
                      b ? "file" : "buffer");
                mlp_csv_close(c);

                if (f != NULL) {
                    fclose(f);
                }
            }

            free(in);
        }
    }

    expect("a record over the cap in its second field",
           "abc,defghijk\n", 13, 8,
           "E1:2:a record longer than 8 bytes");
}


/* The strings the number reader must read as strtod does, bit for bit. */

static void
test_numbers(void)
{
    int          i, j;
    char         buf[64], *end;
    double       v, w, d;
    uint64_t     seed, bits;
    static const char  *ok[] = {
        "0", "-0", "+0", "1", "-1", "+1", "1.", ".5", "-.5", "0.1",
        "17.99", "0.1184", "1001.0", "1e5", "1E5", "1e+5", "1e-5",
        "123456789012345", "1234567890123456", "12345678901234567890",
        "0.000000000000000000000001", "1e22", "1e23", "1e-22", "1e-23",
        "9007199254740993", "2.2250738585072014e-308", "4.9e-324",
        "1.7976931348623157e308", "1e400", "-1e400", "1e-400", "inf",
        "-inf", "Infinity", "nan", "NaN", "0x1p3", "0x10", "00012",
        "1.000000000000000000", "3.141592653589793238462643383279",
        "1e0000000000000000000005", "0.1e1", "100000000000000000000000"
    };
    static const char  *bad[] = {
        "", "-", "+", ".", "-.", "e5", ".e5", "1e", "1e+", "1x", " 1",
        "1 ", "\t1", "1,5", "--1", "1..2", "0x", "abc", "1e5.5", "\n1"
    };

    for (i = 0; i < (int) (sizeof(ok) / sizeof(ok[0])); i++) {
        w = strtod(ok[i], &end);
        j = mlp_csv_number(ok[i], strlen(ok[i]), &v);
        CHECK(j == 0 && *end == '\0'
              && (memcmp(&v, &w, sizeof(v)) == 0 || (isnan(v) && isnan(w))),
              "number \"%s\": %d %.17g, strtod %.17g", ok[i], j, v, w);
    }

    for (i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++) {
        CHECK(mlp_csv_number(bad[i], strlen(bad[i]), &v) != 0,
              "not a number \"%s\" read as %.17g", bad[i], v);
    }

    /* random doubles in every form a writer prints */
    seed = 12345;

    for (i = 0; i < 200000; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        bits = seed;

        switch (i % 4) {
        case 0:
            memcpy(&d, &bits, sizeof(d));

            if (!isfinite(d)) {
                continue;
            }

            snprintf(buf, sizeof(buf), "%.17g", d);
            break;
        case 1:
            snprintf(buf, sizeof(buf), "%.*f", (int) (bits >> 60),
                     (double) (bits >> 20) / 1e6);
            break;
        case 2:
            snprintf(buf, sizeof(buf), "%.*g", 1 + (int) (bits >> 60),
                     ((double) (bits >> 11) / 9007199254740992.0 - 0.5)
                     * pow(10, (int) ((bits >> 3) % 60) - 30));
            break;
        default:
            snprintf(buf, sizeof(buf), "%lld.%04llde%d",
                     (long long) (bits >> 44) - 524288,
                     (unsigned long long) ((bits >> 8) % 10000),
                     (int) ((bits >> 2) % 50) - 25);
        }

        w = strtod(buf, NULL);
        j = mlp_csv_number(buf, strlen(buf), &v);

        if (j != 0 || memcmp(&v, &w, sizeof(v)) != 0) {
            CHECK(0, "number \"%s\": %d %.17g, strtod %.17g", buf, j, v, w);
            return;
        }
    }

    CHECK(1, "random numbers");

    CHECK(mlp_csv_missing("", 0) && mlp_csv_missing("NA", 2)
          && mlp_csv_missing("NaN", 3) && mlp_csv_missing("null", 4)
          && !mlp_csv_missing("na", 2) && !mlp_csv_missing("0", 1)
          && !mlp_csv_missing("None", 4) && !mlp_csv_missing(" ", 1),
          "missing values");
}


/* What mlp_csv_quote writes reads back as the same field. */

static void
test_quote(void)
{
    int          i;
    char         buf[256];
    size_t       n;
    mlp_csv_t   *c;
    static const char  *fields[] = {
        "plain", "", "a,b", "say \"hi\"", "\"", "l1\nl2", "cr\r", " lead",
        "trail ", "caf\xc3\xa9", "1.5", "NA"
    };

    for (i = 0; i < (int) (sizeof(fields) / sizeof(fields[0])); i++) {
        n = mlp_csv_quote(fields[i], strlen(fields[i]), buf);
        buf[n++] = ',';
        buf[n++] = 'x';
        buf[n++] = '\n';

        c = mlp_csv_open_mem(buf, n, 0);

        CHECK(mlp_csv_read(c) == 1 && c->n_fields == 2
              && c->fields[0].len == strlen(fields[i])
              && memcmp(c->fields[0].s, fields[i], c->fields[0].len) == 0,
              "quoted \"%s\" as %.*s", fields[i], (int) n, buf);

        mlp_csv_close(c);
    }

    n = mlp_csv_quote("a,b", 3, buf);
    CHECK(n == 5 && memcmp(buf, "\"a,b\"", 5) == 0, "quote of a,b");
    n = mlp_csv_quote("ab", 2, buf);
    CHECK(n == 2 && memcmp(buf, "ab", 2) == 0, "no quotes for ab");
}


/* 100,000 records through a file: the record buffer stays small. */

static void
test_bounded(void)
{
    FILE       *f;
    size_t      i, n, lines;
    mlp_csv_t  *c;

    f = tmpfile();

    fprintf(f, "a,b,c\n");

    for (i = 0; i < 100000; i++) {
        fprintf(f, "%zu,\"x,%zu\",%s\r\n", i, i, (i % 1000) ? "" : "\"a\nb\"");
    }

    rewind(f);

    c = mlp_csv_open_file(f, 0);
    n = 0;
    lines = 0;

    while (mlp_csv_read(c) == 1) {
        n++;
        lines = c->rec_line;
    }

    CHECK(n == 100001 && c->err[0] == '\0', "100001 records: %zu (%s)", n,
          c->err);
    /* 100 records hold a line break each, all before the last one */
    CHECK(lines == 100001 + 100, "last record's line %zu", lines);
    CHECK(c->rec_cap <= 4096 && c->fields_cap <= 64,
          "buffers grew to %zu bytes, %zu fields", c->rec_cap,
          c->fields_cap);

    mlp_csv_close(c);
    fclose(f);
}


int
main(void)
{
    test_records();
    test_numbers();
    test_quote();
    test_bounded();

    printf("test_csv: %d passed, %d failed\n", passed, failed);

    return failed ? 1 : 0;
}
