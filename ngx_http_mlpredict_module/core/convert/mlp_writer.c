
/*
 * Writing a model file (models/FORMAT.md) from arrays in memory: used by
 * the converters of the command-line tool. The file is written beside its
 * destination and renamed over it, so that a server never maps half a file.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "mlp_internal.h"
#include "mlp_writer.h"


static void
mlp_put32(unsigned char *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = v >> 24;
}


static void
mlp_put64(unsigned char *p, uint64_t v)
{
    mlp_put32(p, (uint32_t) v);
    mlp_put32(p + 4, (uint32_t) (v >> 32));
}


int
mlp_writer_add(mlp_writer_t *w, uint32_t id, uint32_t dtype,
    const void *data, uint64_t size, uint64_t count)
{
    if (w->n == MLP_MAX_SECTIONS) {
        return -1;
    }

    w->sec[w->n].id = id;
    w->sec[w->n].dtype = dtype;
    w->sec[w->n].data = data;
    w->sec[w->n].size = size;
    w->sec[w->n].count = count;
    w->n++;

    return 0;
}


unsigned char *
mlp_writer_build(const mlp_writer_t *w, size_t *len)
{
    size_t          off, total, i;
    uint32_t        version;
    unsigned char  *p, *e;

    total = MLP_HEADER_SIZE + (size_t) w->n * MLP_SECTION_SIZE;

    for (i = 0; i < w->n; i++) {
        total = (total + MLP_ALIGN - 1) & ~(size_t) (MLP_ALIGN - 1);
        total += w->sec[i].size;
    }

    p = calloc(1, total ? total : 1);
    if (p == NULL) {
        return NULL;
    }

    /* version 1 unless a section needs version 2, as the exporter writes */
    version = 1;

    for (i = 0; i < w->n; i++) {
        /* the explanations' sections are read at any version */
        if (w->sec[i].id >= MLP_SEC_INPUT_NAMES
            && w->sec[i].id != MLP_SEC_FEATURE_MEAN
            && w->sec[i].id != MLP_SEC_NODE_COVER)
        {
            version = 2;
        }
    }

    memcpy(p, "MLPREDCT", 8);
    mlp_put32(p + 8, version);
    mlp_put32(p + 12, 0x01020304);
    mlp_put64(p + 16, total);
    mlp_put32(p + 32, w->kind);
    mlp_put32(p + 36, w->n_features);
    mlp_put32(p + 40, w->n_outputs);
    mlp_put32(p + 44, w->n);
    mlp_put64(p + 48, MLP_HEADER_SIZE);
    mlp_put32(p + 56, w->link);

    off = MLP_HEADER_SIZE + (size_t) w->n * MLP_SECTION_SIZE;

    for (i = 0; i < w->n; i++) {
        off = (off + MLP_ALIGN - 1) & ~(size_t) (MLP_ALIGN - 1);
        e = p + MLP_HEADER_SIZE + i * MLP_SECTION_SIZE;

        mlp_put32(e, w->sec[i].id);
        mlp_put32(e + 4, w->sec[i].dtype);
        mlp_put64(e + 8, off);
        mlp_put64(e + 16, w->sec[i].size);
        mlp_put64(e + 24, w->sec[i].count);

        if (w->sec[i].size) {
            memcpy(p + off, w->sec[i].data, w->sec[i].size);
        }

        off += w->sec[i].size;
    }

    mlp_put32(p + 24, mlp_crc32(0, p + 32, total - 32));

    *len = total;

    return p;
}


int
mlp_writer_save(const mlp_writer_t *w, const char *path, char *err,
    size_t errlen)
{
    int             rc;
    size_t          len;
    unsigned char  *p;

    p = mlp_writer_build(w, &len);
    if (p == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    rc = mlp_writer_save_raw(p, len, path, err, errlen);
    free(p);

    return rc;
}


/* bytes already built, written to a temporary file renamed over path */

int
mlp_writer_save_raw(const unsigned char *p, size_t len, const char *path,
    char *err, size_t errlen)
{
    int             fd;
    char           *tmp, *dir, *slash;
    size_t          n, off;
    mode_t          mask;
    ssize_t         w;

    n = strlen(path) + sizeof(".tmp.XXXXXX");
    tmp = malloc(n);
    dir = malloc(n);
    if (tmp == NULL || dir == NULL) {
        free(tmp);
        free(dir);
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    /* a name no one else can have made: mkstemp opens it O_EXCL, 0600 */
    snprintf(tmp, n, "%s.tmp.XXXXXX", path);

    fd = mkstemp(tmp);
    if (fd == -1) {
        mlp_fail(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        free(dir);
        return -1;
    }

    errno = 0;

    for (off = 0; off < len; off += (size_t) w) {
        w = write(fd, p + off, len - off);

        if (w <= 0) {
            break;
        }
    }

    /* the mode fopen would give (nginx's workers may be another user) */
    mask = umask(0);
    umask(mask);

    if (off < len || fchmod(fd, 0666 & ~mask) != 0 || fsync(fd) != 0) {
        mlp_fail(err, errlen, "cannot write %s: %s", tmp,
                 off < len && errno == 0 ? "short write" : strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        free(dir);
        return -1;
    }

    if (close(fd) != 0) {
        mlp_fail(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        unlink(tmp);
        free(tmp);
        free(dir);
        return -1;
    }

    if (rename(tmp, path) != 0) {
        mlp_fail(err, errlen, "cannot rename %s to %s: %s", tmp, path,
                 strerror(errno));
        unlink(tmp);
        free(tmp);
        free(dir);
        return -1;
    }

    /* the rename itself made durable: the directory synced */
    memcpy(dir, path, strlen(path) + 1);
    slash = strrchr(dir, '/');

    if (slash == dir) {
        slash[1] = '\0';

    } else if (slash != NULL) {
        *slash = '\0';

    } else {
        memcpy(dir, ".", 2);
    }

    fd = open(dir, O_RDONLY | O_DIRECTORY);

    if (fd != -1) {
        (void) fsync(fd);
        close(fd);
    }

    free(dir);
    free(tmp);

    return 0;
}
