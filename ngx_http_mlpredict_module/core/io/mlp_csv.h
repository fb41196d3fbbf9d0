
/*
 * A streaming CSV reader (RFC 4180 as spreadsheets and pandas write it):
 * a header row, fields quoted with '"' holding commas, doubled quotes and
 * line breaks, records ended by CRLF, LF or CR, a UTF-8 byte order mark
 * skipped, blank lines skipped. Records are pulled one at a time from a
 * FILE or a buffer; the memory taken is one input block and one record,
 * whatever the length of the file.
 */

#ifndef _MLP_CSV_H_INCLUDED_
#define _MLP_CSV_H_INCLUDED_


#include <stddef.h>
#include <stdio.h>


#define MLP_CSV_MAX_RECORD      (64 * 1024 * 1024)
#define MLP_CSV_MAX_FIELDS      (1024 * 1024)


typedef struct {
    const char               *s;        /* NUL-terminated, unquoted */
    size_t                    len;
    int                       quoted;
} mlp_csv_field_t;


typedef struct {
    FILE                     *file;     /* NULL: reading mem */
    const char               *mem;
    size_t                    mem_len;

    char                     *in;       /* the input block */
    size_t                    in_size;
    const char               *p;
    const char               *end;
    int                       eof;
    int                       started;

    char                     *rec;      /* the record's fields' bytes */
    size_t                    rec_len;
    size_t                    rec_cap;
    size_t                    max_record;

    mlp_csv_field_t          *fields;
    size_t                    n_fields;
    size_t                    fields_cap;

    size_t                    line;     /* the line being read */
    size_t                    rec_line; /* the first line of the record */
    size_t                    records;  /* returned, the header included */

    /* the error: a sentence, its line and its column (1-based, 0: none) */
    size_t                    err_line;
    size_t                    err_col;
    char                      err[160];
} mlp_csv_t;


/* max_record 0: MLP_CSV_MAX_RECORD. Return NULL when out of memory. */
mlp_csv_t *mlp_csv_open_file(FILE *f, size_t max_record);
mlp_csv_t *mlp_csv_open_mem(const char *buf, size_t len, size_t max_record);
void mlp_csv_close(mlp_csv_t *c);

/*
 * The next record into c->fields, c->n_fields (valid until the next call):
 * returns 1, 0 at the end of the input, or -1 with c->err, c->err_line and
 * c->err_col set (and every later call returns -1).
 */
int mlp_csv_read(mlp_csv_t *c);

/*
 * A field as a number, as strtod reads it (the whole field, finite or not);
 * returns 0, or -1 when it is not one. Decimals of up to 15 digits and
 * exponents within 10^22 are read without strtod, to the same double.
 */
int mlp_csv_number(const char *s, size_t len, double *v);

/* An empty field, NA, NaN or null (case as written here): missing. */
int mlp_csv_missing(const char *s, size_t len);

/* The field written as a CSV field, quoted where needed: bytes written. */
size_t mlp_csv_quote(const char *s, size_t len, char *buf);


#endif /* _MLP_CSV_H_INCLUDED_ */
