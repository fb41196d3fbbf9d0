
/*
 * The model file: open, map, validate, describe, close. No arithmetic on
 * features here. The format is specified in models/FORMAT.md; every check
 * that spec lists is made before a model is handed out, so kernels can trust
 * every count, offset and value.
 */

/* memfd_create and file seals; nginx defines it only in its own headers */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "mlp_internal.h"


/* A growable buffer for building the metadata once at load. */

typedef struct {
    char    *p;
    size_t   len;
    size_t   cap;
    int      failed;
} mlp_buf_t;


/* /proc/self/cgroup is read this far: a line a hierarchy, v1 has ~13 */
#define MLP_CGROUP_TEXT         16384
#define MLP_CGROUP_PATH         4352


static uint64_t mlp_cgroup_walk(const char *root, const char *sub,
    const char *path, size_t len, const char *file);
static uint64_t mlp_cgroup_read(const char *name);
static void *mlp_model_copy(int fd, const char *path, size_t size,
    char *err, size_t errlen);
static mlp_model_t *mlp_model_parse(const unsigned char *p, size_t size,
    char *err, size_t errlen);
static int mlp_model_sections(mlp_model_t *m, mlp_section_t *sec,
    uint32_t n, char *err, size_t errlen);
static int mlp_model_index(mlp_model_t *m, char *err, size_t errlen);
static int mlp_model_section_is(const mlp_section_t *s, uint32_t dtype,
    const char *dtype_name, uint64_t count, const char *what, char *err,
    size_t errlen);
static int mlp_model_labels(mlp_model_t *m, char *err, size_t errlen);
static int mlp_model_describe(mlp_model_t *m, char *err, size_t errlen);
static void mlp_model_describe_schema(mlp_model_t *m, mlp_buf_t *b);
static uint32_t mlp_le32(const unsigned char *p);
static uint64_t mlp_le64(const unsigned char *p);
static void mlp_buf_add(mlp_buf_t *b, const char *s, size_t len);
static void mlp_buf_string(mlp_buf_t *b, const mlp_str_t *s);
static void mlp_buf_double(mlp_buf_t *b, double v);
static void mlp_buf_printf(mlp_buf_t *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;


static const char *mlp_kind_names[] = {
    NULL, "linear_regression", "logistic_regression", "tree_ensemble", "svm",
    "network"
};

static const char *mlp_link_names[] = {
    "identity", "logistic", "softmax", "ovr", "exp", "mean", "logsumexp",
    "sigmoid", "decision", "modified_huber"
};


static uint32_t
mlp_le32(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}


static uint64_t
mlp_le64(const unsigned char *p)
{
    return (uint64_t) mlp_le32(p) | (uint64_t) mlp_le32(p + 4) << 32;
}


void
mlp_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(err, errlen, fmt, args);
    va_end(args);
}


/*
 * The memory this process may use: the physical memory, or less where
 * the cgroup it runs in (a container, a systemd unit's MemoryMax) or an
 * ancestor of it has a smaller limit. 0 when not even the physical memory
 * is known.
 */

uint64_t
mlp_memory_size(void)
{
    long       pages, page;
    char       text[MLP_CGROUP_TEXT], *cut;
    FILE      *f;
    size_t     n;
    uint64_t   ram, limit;

    pages = sysconf(_SC_PHYS_PAGES);
    page = sysconf(_SC_PAGESIZE);

    if (pages <= 0 || page <= 0) {
        return 0;
    }

    ram = (uint64_t) pages * (uint64_t) page;

    f = fopen("/proc/self/cgroup", "r");
    if (f == NULL) {
        return ram;
    }

    n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';

    /* a file longer than the buffer: its cut last line may name another */
    if (n == sizeof(text) - 1 && (cut = strrchr(text, '\n')) != NULL) {
        cut[1] = '\0';
    }

    limit = mlp_cgroup_memory("/sys/fs/cgroup", text);

    return (limit < ram) ? limit : ram;
}


/*
 * text: /proc/self/cgroup's lines "ID:CONTROLLERS:PATH". cgroup v2's line
 * is "0::PATH", its limit PATH/memory.max under root; cgroup v1's memory
 * controller (a hybrid system's, where v2 has none) is mounted at
 * root/memory, its limit memory.limit_in_bytes. A limit of an ancestor
 * holds too, and where the namespace hides the path (a container without
 * a cgroup namespace of its own sees the host's path, its own cgroup
 * mounted as root) the walk up reaches the limit at root. The smallest
 * found, UINT64_MAX for none ("max", no file, or unreadable).
 */

uint64_t
mlp_cgroup_memory(const char *root, const char *text)
{
    size_t       clen, k;
    uint64_t     limit, v;
    const char  *line, *end, *ctl, *path;

    limit = UINT64_MAX;

    for (line = text; *line != '\0'; line = (*end == '\n') ? end + 1 : end) {
        end = strchr(line, '\n');

        if (end == NULL) {
            end = line + strlen(line);
        }

        ctl = memchr(line, ':', (size_t) (end - line));
        if (ctl == NULL) {
            continue;
        }

        ctl++;

        path = memchr(ctl, ':', (size_t) (end - ctl));
        if (path == NULL) {
            continue;
        }

        clen = (size_t) (path - ctl);
        path++;

        if (clen == 0 && ctl - line == 2 && line[0] == '0') {
            v = mlp_cgroup_walk(root, "", path, (size_t) (end - path),
                                "memory.max");
            limit = (v < limit) ? v : limit;
            continue;
        }

        /* "memory" among the comma-separated controllers */
        for (k = 0; k + 6 <= clen; k++) {
            if ((k == 0 || ctl[k - 1] == ',')
                && memcmp(ctl + k, "memory", 6) == 0
                && (k + 6 == clen || ctl[k + 6] == ','))
            {
                v = mlp_cgroup_walk(root, "/memory", path,
                                    (size_t) (end - path),
                                    "memory.limit_in_bytes");
                limit = (v < limit) ? v : limit;
                break;
            }
        }
    }

    return limit;
}


/* the smallest limit of root sub path/file and of its ancestors' */

static uint64_t
mlp_cgroup_walk(const char *root, const char *sub, const char *path,
    size_t len, const char *file)
{
    int       n;
    char      name[MLP_CGROUP_PATH];
    size_t    i;
    uint64_t  limit, v;

    if (len == 0 || path[0] != '/') {
        return UINT64_MAX;
    }

    /* "/a/b" and its parents "/a" and "" (the root) */
    while (len > 0 && path[len - 1] == '/') {
        len--;
    }

    /*
     * outside the cgroup namespace's root ("/../x"): no path under root
     * is ours, only root's own limit holds
     */
    for (i = 0; i + 3 <= len; i++) {
        if (path[i] == '/' && path[i + 1] == '.' && path[i + 2] == '.'
            && (i + 3 == len || path[i + 3] == '/'))
        {
            len = 0;
            break;
        }
    }

    limit = UINT64_MAX;

    for ( ;; ) {
        n = snprintf(name, sizeof(name), "%s%s%.*s/%s", root, sub, (int) len,
                     path, file);

        if (n > 0 && (size_t) n < sizeof(name)) {
            v = mlp_cgroup_read(name);
            limit = (v < limit) ? v : limit;
        }

        if (len == 0) {
            return limit;
        }

        do {
            len--;
        } while (len > 0 && path[len] != '/');
    }
}


/* a limit file: a number of bytes, or "max"; UINT64_MAX for none */

static uint64_t
mlp_cgroup_read(const char *name)
{
    char                line[32], *end;
    FILE               *f;
    unsigned long long  v;

    f = fopen(name, "r");
    if (f == NULL) {
        return UINT64_MAX;
    }

    if (fgets(line, sizeof(line), f) == NULL) {
        fclose(f);
        return UINT64_MAX;
    }

    fclose(f);

    if (line[0] < '0' || line[0] > '9') {
        return UINT64_MAX;
    }

    errno = 0;
    v = strtoull(line, &end, 10);

    if (errno != 0 || (*end != '\n' && *end != '\0')) {
        return UINT64_MAX;
    }

    /* 0 is mlp_memory_size's "unknown": a limit of none is a byte */
    return (v != 0) ? (uint64_t) v : 1;
}


/*
 * The file's bytes, copied once into memory of our own that nobody can
 * change: a mapping of the file itself would let a `cp` over it (or a
 * truncation) change what was validated, or kill a worker with SIGBUS. The
 * copy is shared memory (a sealed memfd, named after the file in
 * /proc/PID/maps), so every worker forked from the master and every
 * location naming the file still read one copy.
 */

static void *
mlp_model_copy(int fd, const char *path, size_t size, char *err,
    size_t errlen)
{
    int          mfd;
    char         name[64];
    void        *p;
    size_t       got;
    ssize_t      n;
    uint64_t     ram;
    const char  *base;

    /* the copy is real memory: a sparse file must not exhaust it */
    ram = mlp_memory_size();

    if (ram != 0 && (uint64_t) size > ram) {
        mlp_fail(err, errlen, "file of %zu bytes, larger than the machine's "
                 "memory (%llu bytes, physical or the cgroup's limit)", size,
                 (unsigned long long) ram);
        return NULL;
    }

    base = strrchr(path, '/');
    base = (base != NULL) ? base + 1 : path;
    snprintf(name, sizeof(name), "mlpredict:%s", base);

#ifdef MFD_ALLOW_SEALING
    mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd == -1) {
        mlp_fail(err, errlen, "cannot create the model's memory: %s",
                 strerror(errno));
        return NULL;
    }

    if (ftruncate(mfd, (off_t) size) == -1) {
        mlp_fail(err, errlen, "cannot size the model's memory: %s",
                 strerror(errno));
        close(mfd);
        return NULL;
    }

    /* populated: one fault a page would cost more than the copy */
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
             mfd, 0);
#else
    mfd = -1;
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
             -1, 0);
#endif

    if (p == MAP_FAILED) {
        mlp_fail(err, errlen, "cannot map the model's memory: %s",
                 strerror(errno));
        if (mfd != -1) {
            close(mfd);
        }
        return NULL;
    }

    for (got = 0; got < size; got += (size_t) n) {
        n = pread(fd, (char *) p + got, size - got, (off_t) got);

        if (n == -1 && errno == EINTR) {
            n = 0;
            continue;
        }

        if (n <= 0) {
            if (n == 0) {
                mlp_fail(err, errlen, "file shrank while read: %zu of %zu "
                         "bytes", got, size);
            } else {
                mlp_fail(err, errlen, "cannot read: %s", strerror(errno));
            }

            munmap(p, size);
            if (mfd != -1) {
                close(mfd);
            }
            return NULL;
        }
    }

#ifdef MFD_ALLOW_SEALING
    /* read-only from here on, for this process and every one it forks */
    munmap(p, size);

    if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
                                | F_SEAL_SEAL)
        == -1)
    {
        mlp_fail(err, errlen, "cannot seal the model's memory: %s",
                 strerror(errno));
        close(mfd);
        return NULL;
    }

    p = mmap(NULL, size, PROT_READ, MAP_SHARED, mfd, 0);
    close(mfd);

    if (p == MAP_FAILED) {
        mlp_fail(err, errlen, "cannot map the model's memory: %s",
                 strerror(errno));
        return NULL;
    }
#else
    if (mprotect(p, size, PROT_READ) == -1) {
        mlp_fail(err, errlen, "cannot protect the model's memory: %s",
                 strerror(errno));
        munmap(p, size);
        return NULL;
    }
#endif

    return p;
}


mlp_model_t *
mlp_model_open(const char *path, char *err, size_t errlen)
{
    int           fd;
    void         *p;
    struct stat   st;
    mlp_model_t  *m;

    /* non-blocking: a FIFO named by mistake must not hang nginx -t */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd == -1) {
        mlp_fail(err, errlen, "cannot open: %s", strerror(errno));
        return NULL;
    }

    if (fstat(fd, &st) == -1) {
        mlp_fail(err, errlen, "cannot stat: %s", strerror(errno));
        close(fd);
        return NULL;
    }

    if (!S_ISREG(st.st_mode)) {
        mlp_fail(err, errlen, "not a regular file");
        close(fd);
        return NULL;
    }

    if ((uint64_t) st.st_size < MLP_HEADER_SIZE) {
        mlp_fail(err, errlen, "file too small: %lld bytes, the header alone "
                 "is %d", (long long) st.st_size, MLP_HEADER_SIZE);
        close(fd);
        return NULL;
    }

    p = mlp_model_copy(fd, path, (size_t) st.st_size, err, errlen);
    close(fd);

    if (p == NULL) {
        return NULL;
    }

    m = mlp_model_parse(p, (size_t) st.st_size, err, errlen);
    if (m == NULL) {
        munmap(p, (size_t) st.st_size);
        return NULL;
    }

    m->mapped = 1;

    return m;
}


mlp_model_t *
mlp_model_load_mem(const void *data, size_t size, char *err, size_t errlen)
{
    if (size < MLP_HEADER_SIZE) {
        mlp_fail(err, errlen, "file too small: %zu bytes, the header alone "
                 "is %d", size, MLP_HEADER_SIZE);
        return NULL;
    }

    if ((uintptr_t) data % 8) {
        mlp_fail(err, errlen, "buffer not 8-byte aligned");
        return NULL;
    }

    return mlp_model_parse(data, size, err, errlen);
}


void
mlp_model_close(mlp_model_t *m)
{
    if (m == NULL) {
        return;
    }

    if (m->mapped) {
        munmap((void *) m->base, m->size);
    }

    free(m->features);
    free(m->labels);
    free(m->label_keys);
    free(m->index);
    free(m->info);
    free(m->tree_depth);
    mlp_svm_free(m);
    mlp_nn_free(m);
    mlp_schema_free(m);
    mlp_explain_free(m);
    free(m);
}


static mlp_model_t *
mlp_model_parse(const unsigned char *p, size_t size, char *err, size_t errlen)
{
    uint32_t              i, n, crc;
    uint64_t              table, file_size;
    mlp_model_t          *m;
    mlp_section_t         sec[MLP_MAX_SECTIONS];
    const unsigned char  *e;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    mlp_fail(err, errlen, "this host is big-endian; model files are "
             "little-endian and read in place");
    return NULL;
#endif

    if (memcmp(p, "MLPREDCT", 8) != 0) {
        mlp_fail(err, errlen, "bad magic: not an mlpredict model file");
        return NULL;
    }

    if (mlp_le32(p + 8) == 0 || mlp_le32(p + 8) > MLP_FORMAT_VERSION) {
        mlp_fail(err, errlen, "format version %u is not supported (this "
                 "build reads version %d)", mlp_le32(p + 8),
                 MLP_FORMAT_VERSION);
        return NULL;
    }

    if (mlp_le32(p + 12) != 0x01020304) {
        mlp_fail(err, errlen, "bad byte order mark 0x%08x", mlp_le32(p + 12));
        return NULL;
    }

    file_size = mlp_le64(p + 16);

    if (file_size != size) {
        mlp_fail(err, errlen, "header says %llu bytes but the file has %zu "
                 "(%s)", (unsigned long long) file_size, size,
                 file_size > size ? "truncated" : "trailing data");
        return NULL;
    }

    crc = mlp_crc32(0, p + 32, size - 32);

    if (crc != mlp_le32(p + 24)) {
        mlp_fail(err, errlen, "checksum mismatch: header says 0x%08x, "
                 "content is 0x%08x (file corrupt)", mlp_le32(p + 24), crc);
        return NULL;
    }

    m = calloc(1, sizeof(mlp_model_t));
    if (m == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return NULL;
    }

    m->base = p;
    m->size = size;
    m->version = mlp_le32(p + 8);
    m->checksum = crc;
    m->kind = mlp_le32(p + 32);
    m->n_features = mlp_le32(p + 36);
    m->n_outputs = mlp_le32(p + 40);
    n = mlp_le32(p + 44);
    table = mlp_le64(p + 48);
    m->link = mlp_le32(p + 56);
    m->classifier = (m->kind == MLP_KIND_LOGISTIC);

    if (m->kind != MLP_KIND_LINEAR && m->kind != MLP_KIND_LOGISTIC
        && m->kind != MLP_KIND_TREES && m->kind != MLP_KIND_SVM
        && m->kind != MLP_KIND_NETWORK)
    {
        mlp_fail(err, errlen, "unknown model kind %u", m->kind);
        goto failed;
    }

    if (m->n_features == 0 || m->n_features > MLP_MAX_FEATURES) {
        mlp_fail(err, errlen, "n_features %u out of range 1..%d",
                 m->n_features, MLP_MAX_FEATURES);
        goto failed;
    }

    if (m->n_outputs == 0 || m->n_outputs > MLP_MAX_OUTPUTS) {
        mlp_fail(err, errlen, "n_outputs %u out of range 1..%d",
                 m->n_outputs, MLP_MAX_OUTPUTS);
        goto failed;
    }

    switch (m->kind) {

    case MLP_KIND_SVM:
    case MLP_KIND_NETWORK:
        if (m->link != MLP_LINK_IDENTITY) {
            mlp_fail(err, errlen, "%s with link %u (only 0 is defined)",
                     mlp_kind_names[m->kind], m->link);
            goto failed;
        }

        break;

    case MLP_KIND_TREES:
        /* the link is checked with the trees' parameters */
        if (m->link > MLP_LINK_SIGMOID || m->link == MLP_LINK_OVR) {
            mlp_fail(err, errlen, "tree ensemble with unknown link %u",
                     m->link);
            goto failed;
        }

        break;

    case MLP_KIND_LINEAR:
        if (m->link != MLP_LINK_IDENTITY) {
            mlp_fail(err, errlen, "linear regression with link %u "
                     "(only 0, identity, is defined)", m->link);
            goto failed;
        }

        m->n_scores = m->n_outputs;
        break;

    default: /* MLP_KIND_LOGISTIC */
        if (m->n_outputs < 2) {
            mlp_fail(err, errlen, "classifier with %u class(es), "
                     "needs at least 2", m->n_outputs);
            goto failed;
        }

        if (m->link == MLP_LINK_LOGISTIC) {
            if (m->n_outputs != 2) {
                mlp_fail(err, errlen, "link 1 (logistic) needs exactly 2 "
                         "classes, file has %u", m->n_outputs);
                goto failed;
            }

            m->n_scores = 1;

        } else if (m->link == MLP_LINK_DECISION
                   || m->link == MLP_LINK_MODIFIED_HUBER)
        {
            /* one score row for two classes, one a class for more */
            m->n_scores = (m->n_outputs == 2) ? 1 : m->n_outputs;

        } else if (m->link == MLP_LINK_SOFTMAX || m->link == MLP_LINK_OVR) {
            if (m->link == MLP_LINK_OVR && m->n_outputs < 3) {
                mlp_fail(err, errlen, "link %u needs 3 or more classes, "
                         "file has %u", m->link, m->n_outputs);
                goto failed;
            }

            m->n_scores = m->n_outputs;

        } else {
            mlp_fail(err, errlen, "logistic regression with unknown link %u",
                     m->link);
            goto failed;
        }
    }

    if (n == 0 || n > MLP_MAX_SECTIONS) {
        mlp_fail(err, errlen, "n_sections %u out of range 1..%d", n,
                 MLP_MAX_SECTIONS);
        goto failed;
    }

    if (table != MLP_HEADER_SIZE
        || (uint64_t) n * MLP_SECTION_SIZE > size - MLP_HEADER_SIZE)
    {
        mlp_fail(err, errlen, "section table (%u entries at offset %llu) "
                 "outside the file", n, (unsigned long long) table);
        goto failed;
    }

    for (i = 0; i < n; i++) {
        e = p + table + (uint64_t) i * MLP_SECTION_SIZE;

        sec[i].id = mlp_le32(e);
        sec[i].dtype = mlp_le32(e + 4);
        sec[i].offset = mlp_le64(e + 8);
        sec[i].size = mlp_le64(e + 16);
        sec[i].count = mlp_le64(e + 24);
    }

    if (mlp_model_sections(m, sec, n, err, errlen) != 0
        || mlp_model_index(m, err, errlen) != 0
        || mlp_model_labels(m, err, errlen) != 0
        || mlp_model_describe(m, err, errlen) != 0
        || mlp_explain_load(m, err, errlen) != 0)
    {
        goto failed;
    }

    /* decision values: more numbers than the labels' probabilities */
    m->row_bound += (size_t) m->out_width * (MLP_DOUBLE_MAX_LEN + 1)
                    + sizeof("{\"prediction\":-1,\"decision\":[]}");

    return m;

failed:

    m->mapped = 0;
    mlp_model_close(m);
    return NULL;
}


static int
mlp_model_sections(mlp_model_t *m, mlp_section_t *sec, uint32_t n, char *err,
    size_t errlen)
{
    uint32_t              i, j;
    uint64_t              rows, end, unit;
    const mlp_section_t  *s, *by_id[MLP_SEC_MAX + 1];

    memset(by_id, 0, sizeof(by_id));

    for (i = 0; i < n; i++) {
        s = &sec[i];

        switch (s->id) {
        case MLP_SEC_FEATURE_NAMES:
        case MLP_SEC_CLASS_LABELS:
        case MLP_SEC_PRODUCER:
        case MLP_SEC_SCALER_MEAN:
        case MLP_SEC_SCALER_SCALE:
        case MLP_SEC_COEF:
        case MLP_SEC_INTERCEPT:
        case MLP_SEC_TREE_PARAMS:
        case MLP_SEC_TREE_ROOTS:
        case MLP_SEC_TREE_GROUPS:
        case MLP_SEC_TREE_SCALES:
        case MLP_SEC_NODES:
        case MLP_SEC_LEAF_VALUES:
        case MLP_SEC_INIT:
        case MLP_SEC_FEATURE_MEAN:
        case MLP_SEC_NODE_COVER:
            break;
        case MLP_SEC_INPUT_NAMES:
        case MLP_SEC_INPUT_INFO:
        case MLP_SEC_CATEGORIES:
        case MLP_SEC_STEPS:
        case MLP_SEC_STEP_U32:
        case MLP_SEC_STEP_F64:
        case MLP_SEC_OUTPUT_COLUMNS:
        case MLP_SEC_TARGET:
        case MLP_SEC_CAT_BITSETS:
        case MLP_SEC_SVM_PARAMS:
        case MLP_SEC_SVM_KERNEL:
        case MLP_SEC_SVM_VECTORS:
        case MLP_SEC_SVM_COEF:
        case MLP_SEC_SVM_RHO:
        case MLP_SEC_SVM_N_SV:
        case MLP_SEC_SVM_PROB_A:
        case MLP_SEC_SVM_PROB_B:
        case MLP_SEC_NN_PARAMS:
        case MLP_SEC_NN_LAYERS:
        case MLP_SEC_NN_F64:
            if (m->version >= 2) {
                break;
            }

            mlp_fail(err, errlen, "section %u: id %u needs format version "
                     "2, the file is version %u", i, s->id, m->version);
            return -1;
        default:
            mlp_fail(err, errlen, "section %u: unknown id %u", i, s->id);
            return -1;
        }

        if (by_id[s->id] != NULL) {
            mlp_fail(err, errlen, "section %u: id %u appears twice", i,
                     s->id);
            return -1;
        }

        by_id[s->id] = s;

        if (s->offset % MLP_ALIGN) {
            mlp_fail(err, errlen, "section %u (id %u): offset %llu not "
                     "%d-byte aligned", i, s->id,
                     (unsigned long long) s->offset, MLP_ALIGN);
            return -1;
        }

        end = MLP_HEADER_SIZE + (uint64_t) n * MLP_SECTION_SIZE;

        if (s->offset < end || s->offset > m->size
            || s->size > m->size - s->offset)
        {
            mlp_fail(err, errlen, "section %u (id %u): bytes %llu+%llu "
                     "outside the data area of a %zu-byte file", i, s->id,
                     (unsigned long long) s->offset,
                     (unsigned long long) s->size, m->size);
            return -1;
        }

        switch (s->dtype) {
        case MLP_DTYPE_F64:
            unit = 8;
            break;
        case MLP_DTYPE_U32:
            unit = 4;
            break;
        case MLP_DTYPE_NODE:
            unit = sizeof(mlp_node_t);
            break;
        case MLP_DTYPE_STRINGS:
            unit = 0;
            break;
        default:
            mlp_fail(err, errlen, "section %u (id %u): unknown dtype %u", i,
                     s->id, s->dtype);
            return -1;
        }

        if (unit && (s->count > UINT64_MAX / unit
                     || s->size != s->count * unit))
        {
            mlp_fail(err, errlen, "section %u (id %u): %llu bytes do "
                     "not hold %llu elements of %llu bytes", i, s->id,
                     (unsigned long long) s->size,
                     (unsigned long long) s->count,
                     (unsigned long long) unit);
            return -1;
        }

        for (j = 0; j < i; j++) {
            if (s->size && sec[j].size
                && s->offset < sec[j].offset + sec[j].size
                && sec[j].offset < s->offset + s->size)
            {
                mlp_fail(err, errlen, "sections %u and %u overlap", j, i);
                return -1;
            }
        }
    }

    /* the strings */

    if (by_id[MLP_SEC_FEATURE_NAMES] == NULL) {
        mlp_fail(err, errlen, "missing section feature_names (id 1)");
        return -1;
    }

    s = by_id[MLP_SEC_FEATURE_NAMES];

    if (s->count != m->n_features) {
        mlp_fail(err, errlen, "feature_names has %llu names for %u features",
                 (unsigned long long) s->count, m->n_features);
        return -1;
    }

    if (mlp_model_strings(s, m->base, &m->features, "feature_names", err,
                          errlen)
        != 0)
    {
        return -1;
    }

    for (i = 0; i < m->n_features; i++) {
        if (m->features[i].len == 0) {
            mlp_fail(err, errlen, "feature %u has an empty name", i);
            return -1;
        }
    }

    s = by_id[MLP_SEC_CLASS_LABELS];

    if ((m->kind == MLP_KIND_TREES || m->kind == MLP_KIND_SVM
         || m->kind == MLP_KIND_NETWORK)
        && s != NULL)
    {
        m->classifier = 1;
    }

    m->answer = m->classifier ? MLP_ANSWER_PROBA : MLP_ANSWER_VALUE;
    m->out_width = m->n_outputs;

    if (m->kind == MLP_KIND_LOGISTIC && m->link == MLP_LINK_DECISION) {
        m->answer = MLP_ANSWER_DECISION;
        m->out_width = m->n_scores;
    }

    if (m->classifier) {
        if (s == NULL) {
            mlp_fail(err, errlen, "classifier without section class_labels "
                     "(id 2)");
            return -1;
        }

        if (s->count != m->n_outputs) {
            mlp_fail(err, errlen, "class_labels has %llu labels for %u "
                     "classes", (unsigned long long) s->count,
                     m->n_outputs);
            return -1;
        }

        if (mlp_model_strings(s, m->base, &m->labels, "class_labels", err,
                              errlen)
            != 0)
        {
            return -1;
        }

    } else if (s != NULL) {
        mlp_fail(err, errlen, "regression model with class_labels");
        return -1;
    }

    s = by_id[MLP_SEC_PRODUCER];

    if (s != NULL) {
        mlp_str_t  *producer;

        if (s->count != 1) {
            mlp_fail(err, errlen, "producer must hold one string, has %llu",
                     (unsigned long long) s->count);
            return -1;
        }

        if (mlp_model_strings(s, m->base, &producer, "producer", err, errlen)
            != 0)
        {
            return -1;
        }

        m->producer = producer[0];
        free(producer);
    }

    /* the numbers */

    if ((by_id[MLP_SEC_SCALER_MEAN] == NULL)
        != (by_id[MLP_SEC_SCALER_SCALE] == NULL))
    {
        mlp_fail(err, errlen, "scaler_mean and scaler_scale must come "
                 "together");
        return -1;
    }

    if (by_id[MLP_SEC_SCALER_MEAN] != NULL) {
        if (mlp_model_doubles(m, by_id[MLP_SEC_SCALER_MEAN], m->n_features,
                              &m->mean, "scaler_mean", err, errlen)
            != 0
            || mlp_model_doubles(m, by_id[MLP_SEC_SCALER_SCALE],
                                 m->n_features, &m->scale, "scaler_scale",
                                 err, errlen)
               != 0)
        {
            return -1;
        }

        for (i = 0; i < m->n_features; i++) {
            if (m->scale[i] == 0.0) {
                mlp_fail(err, errlen, "scaler_scale is zero for feature "
                         "%u", i);
                return -1;
            }
        }
    }

    /* explanations: the training means, the trees' node cover */

    if (by_id[MLP_SEC_FEATURE_MEAN] != NULL
        && mlp_model_doubles(m, by_id[MLP_SEC_FEATURE_MEAN], m->n_features,
                             &m->feature_mean, "feature_mean", err, errlen)
           != 0)
    {
        return -1;
    }

    if (by_id[MLP_SEC_NODE_COVER] != NULL && m->kind != MLP_KIND_TREES) {
        mlp_fail(err, errlen, "node_cover (id 51) in a model of kind %u",
                 m->kind);
        return -1;
    }

    for (i = MLP_SEC_SVM_PARAMS; m->kind != MLP_KIND_SVM
                                 && i <= MLP_SEC_SVM_PROB_B; i++)
    {
        if (by_id[i] != NULL) {
            mlp_fail(err, errlen, "svm section id %u in a model of kind %u",
                     i, m->kind);
            return -1;
        }
    }

    for (i = MLP_SEC_NN_PARAMS; m->kind != MLP_KIND_NETWORK
                                && i <= MLP_SEC_NN_F64; i++)
    {
        if (by_id[i] != NULL) {
            mlp_fail(err, errlen, "network section id %u in a model of kind "
                     "%u", i, m->kind);
            return -1;
        }
    }

    if (m->kind == MLP_KIND_NETWORK) {
        if (by_id[MLP_SEC_COEF] != NULL || by_id[MLP_SEC_INTERCEPT] != NULL
            || by_id[MLP_SEC_TREE_PARAMS] != NULL)
        {
            mlp_fail(err, errlen, "network with coef, intercept or tree "
                     "sections");
            return -1;
        }

        if (mlp_nn_load(m, by_id, err, errlen) != 0) {
            return -1;
        }

        return mlp_schema_load(m, by_id, err, errlen);
    }

    if (m->kind == MLP_KIND_SVM) {
        if (by_id[MLP_SEC_COEF] != NULL || by_id[MLP_SEC_INTERCEPT] != NULL
            || by_id[MLP_SEC_TREE_PARAMS] != NULL)
        {
            mlp_fail(err, errlen, "svm with coef, intercept or tree "
                     "sections");
            return -1;
        }

        if (mlp_svm_load(m, by_id, err, errlen) != 0) {
            return -1;
        }

        return mlp_schema_load(m, by_id, err, errlen);
    }

    if (m->kind == MLP_KIND_TREES) {
        if (by_id[MLP_SEC_COEF] != NULL || by_id[MLP_SEC_INTERCEPT] != NULL) {
            mlp_fail(err, errlen, "tree ensemble with coef or intercept");
            return -1;
        }

        if (mlp_trees_load(m, by_id, err, errlen) != 0) {
            return -1;
        }

        if (by_id[MLP_SEC_NODE_COVER] != NULL
            && mlp_model_doubles(m, by_id[MLP_SEC_NODE_COVER], m->n_nodes,
                                 &m->cover, "node_cover", err, errlen)
               != 0)
        {
            return -1;
        }

        return mlp_schema_load(m, by_id, err, errlen);
    }

    for (i = MLP_SEC_TREE_PARAMS; i <= MLP_SEC_CAT_BITSETS; i++) {
        if (by_id[i] != NULL && (i <= MLP_SEC_INIT
                                 || i == MLP_SEC_CAT_BITSETS))
        {
            mlp_fail(err, errlen, "linear model with tree section id %u", i);
            return -1;
        }
    }

    rows = m->n_scores;

    if (by_id[MLP_SEC_COEF] == NULL || by_id[MLP_SEC_INTERCEPT] == NULL) {
        mlp_fail(err, errlen, "missing section %s",
                 by_id[MLP_SEC_COEF] == NULL ? "coef (id 20)"
                                             : "intercept (id 21)");
        return -1;
    }

    if (mlp_model_doubles(m, by_id[MLP_SEC_COEF], rows * m->n_features,
                          &m->coef, "coef", err, errlen)
        != 0
        || mlp_model_doubles(m, by_id[MLP_SEC_INTERCEPT], rows,
                             &m->intercept, "intercept", err, errlen)
           != 0)
    {
        return -1;
    }

    return mlp_schema_load(m, by_id, err, errlen);
}


int
mlp_model_strings(const mlp_section_t *s, const unsigned char *p,
    mlp_str_t **out, const char *what, char *err, size_t errlen)
{
    uint64_t              i;
    mlp_str_t            *str;
    const unsigned char  *c, *end, *nul;

    if (s->dtype != MLP_DTYPE_STRINGS) {
        mlp_fail(err, errlen, "%s: dtype %u, expected strings (2)", what,
                 s->dtype);
        return -1;
    }

    /* each string takes at least its NUL, so count <= size bounds calloc */
    if (s->count > s->size) {
        mlp_fail(err, errlen, "%s: %llu strings cannot fit in %llu bytes",
                 what, (unsigned long long) s->count,
                 (unsigned long long) s->size);
        return -1;
    }

    str = calloc(s->count ? s->count : 1, sizeof(mlp_str_t));
    if (str == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    c = p + s->offset;
    end = c + s->size;

    for (i = 0; i < s->count; i++) {
        nul = memchr(c, '\0', end - c);

        if (nul == NULL) {
            mlp_fail(err, errlen, "%s: string %llu is not NUL-terminated "
                     "inside its section", what, (unsigned long long) i);
            free(str);
            return -1;
        }

        if (!mlp_utf8_valid(c, nul - c)) {
            mlp_fail(err, errlen, "%s: string %llu is not valid UTF-8 "
                     "text", what, (unsigned long long) i);
            free(str);
            return -1;
        }

        str[i].s = (const char *) c;
        str[i].len = nul - c;
        c = nul + 1;
    }

    if (c != end) {
        mlp_fail(err, errlen, "%s: %lld bytes left after %llu strings", what,
                 (long long) (end - c), (unsigned long long) s->count);
        free(str);
        return -1;
    }

    *out = str;

    return 0;
}


/* A numeric section of the expected dtype and element count. */

static int
mlp_model_section_is(const mlp_section_t *s, uint32_t dtype,
    const char *dtype_name, uint64_t count, const char *what, char *err,
    size_t errlen)
{
    if (s->dtype != dtype) {
        mlp_fail(err, errlen, "%s: dtype %u, expected %s", what, s->dtype,
                 dtype_name);
        return -1;
    }

    if (s->count != count) {
        mlp_fail(err, errlen, "%s has %llu values, the model needs %llu",
                 what, (unsigned long long) s->count,
                 (unsigned long long) count);
        return -1;
    }

    return 0;
}


int
mlp_model_doubles(const mlp_model_t *m, const mlp_section_t *s,
    uint64_t count, const double **out, const char *what, char *err,
    size_t errlen)
{
    uint64_t       i;
    const double  *d;

    if (mlp_model_section_is(s, MLP_DTYPE_F64, "f64 (1)", count, what, err,
                             errlen)
        != 0)
    {
        return -1;
    }

    d = (const double *) (m->base + s->offset);

    for (i = 0; i < count; i++) {
        if (!isfinite(d[i])) {
            mlp_fail(err, errlen, "%s[%llu] is not finite", what,
                     (unsigned long long) i);
            return -1;
        }
    }

    *out = d;

    return 0;
}


int
mlp_model_u32s(const mlp_model_t *m, const mlp_section_t *s, uint64_t count,
    const uint32_t **out, const char *what, char *err, size_t errlen)
{
    if (mlp_model_section_is(s, MLP_DTYPE_U32, "u32 (3)", count, what, err,
                             errlen)
        != 0)
    {
        return -1;
    }

    *out = (const uint32_t *) (m->base + s->offset);

    return 0;
}


uint32_t
mlp_hash(const char *s, size_t len)
{
    size_t    i;
    uint32_t  h;

    /* FNV-1a */
    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char) s[i];
        h *= 16777619u;
    }

    return h;
}


/*
 * An open-addressing table of n strings (index + 1, 0 for empty), its size
 * a power of two at least twice n, so probe runs stay short. Returns 0, -1
 * when out of memory, or 1 with *dup and *first naming two equal strings.
 */

int
mlp_table_build(const mlp_str_t *str, uint32_t n, uint32_t **table,
    uint32_t *mask, uint32_t *dup, uint32_t *first)
{
    uint32_t   i, j, k, size, *t;

    if (n > (1u << 30)) {
        return -1;
    }

    for (size = 16; size < 2 * n; size *= 2) { /* void */ }

    t = calloc(size, sizeof(uint32_t));
    if (t == NULL) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        j = mlp_hash(str[i].s, str[i].len) & (size - 1);

        for ( ;; ) {
            k = t[j];

            if (k == 0) {
                t[j] = i + 1;
                break;
            }

            if (str[k - 1].len == str[i].len
                && memcmp(str[k - 1].s, str[i].s, str[i].len) == 0)
            {
                free(t);
                *dup = i;
                *first = k - 1;
                return 1;
            }

            j = (j + 1) & (size - 1);
        }
    }

    *table = t;
    *mask = size - 1;

    return 0;
}


static int
mlp_model_index(mlp_model_t *m, char *err, size_t errlen)
{
    int               rc;
    size_t            j;
    uint32_t          dup, first, i;
    unsigned char     c;
    const mlp_str_t  *str;

    if (m->schema) {
        /* estimator features need unique names too: they name columns */
        rc = mlp_table_build(m->features, m->n_features, &m->index,
                             &m->index_mask, &dup, &first);

        if (rc == 0) {
            free(m->index);
            m->index = NULL;
        }

        if (rc > 0) {
            mlp_fail(err, errlen, "feature name \"%.64s\" appears twice "
                     "(features %u and %u)", m->features[dup].s, first, dup);
            return -1;
        }
    }

    rc = mlp_table_build(m->input_names, m->n_inputs, &m->index,
                         &m->index_mask, &dup, &first);

    if (rc < 0) {
        mlp_fail(err, errlen, "out of memory");

    } else if (rc > 0) {
        mlp_fail(err, errlen, "%s name \"%.64s\" appears twice "
                 "(%ss %u and %u)", m->schema ? "input" : "feature",
                 m->input_names[dup].s, m->schema ? "input" : "feature",
                 first, dup);
    }

    if (rc != 0) {
        return -1;
    }

    /*
     * A name without '"', '\\' or control bytes is written in JSON as its
     * own bytes: the scanner may compare the body to it in place.
     */
    for (i = 0; i < m->n_inputs; i++) {
        str = &m->input_names[i];

        for (j = 0; j < str->len; j++) {
            c = (unsigned char) str->s[j];

            if (c == '"' || c == '\\' || c < 0x20) {
                break;
            }
        }

        if (j == str->len) {
            m->inputs[i].flags |= MLP_INPUT_PLAIN_NAME;
        }
    }

    return 0;
}


/* The index of a string in a table of mlp_table_build, or -1. */

long
mlp_table_find(const uint32_t *table, uint32_t mask, const mlp_str_t *str,
    const char *s, size_t len)
{
    uint32_t  j, k;

    j = mlp_hash(s, len) & mask;

    for ( ;; ) {
        k = table[j];

        if (k == 0) {
            return -1;
        }

        if (str[k - 1].len == len && memcmp(str[k - 1].s, s, len) == 0) {
            return (long) k - 1;
        }

        j = (j + 1) & mask;
    }
}


long
mlp_model_feature_index(const mlp_model_t *m, const char *name, size_t len)
{
    return mlp_table_find(m->index, m->index_mask, m->input_names, name,
                          len);
}


static int
mlp_model_labels(mlp_model_t *m, char *err, size_t errlen)
{
    int            rc;
    char          *keys, *k;
    size_t         size, i;
    json_t        *v;
    uint32_t       mask, dup, first, *seen;
    json_error_t   e;
    const char    *s;

    if (!m->classifier) {
        m->row_bound = 2 + (size_t) m->n_outputs * (MLP_DOUBLE_MAX_LEN + 1)
                       + sizeof("{\"prediction\":[]}");
        return 0;
    }

    /*
     * Each label is the JSON text of a scalar, nothing around it; as a key
     * of "probabilities" it must be a string, so numbers and booleans get
     * quotes. Keys are prepared here once, with the colon, ready to copy.
     */

    size = 0;

    for (i = 0; i < m->n_outputs; i++) {
        s = m->labels[i].s;

        v = json_loadb(s, m->labels[i].len, JSON_DECODE_ANY, &e);

        if (v == NULL || m->labels[i].len == 0 || s[0] == ' '
            || s[m->labels[i].len - 1] == ' '
            || !(json_is_string(v) || json_is_number(v) || json_is_boolean(v)))
        {
            mlp_fail(err, errlen, "class label %zu (%.64s) is not a JSON "
                     "string, number or boolean", i, s);
            json_decref(v);
            return -1;
        }

        json_decref(v);

        size += m->labels[i].len + 3;
    }

    m->label_keys = malloc(m->n_outputs * sizeof(mlp_str_t) + size);
    if (m->label_keys == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    keys = (char *) (m->label_keys + m->n_outputs);
    m->row_bound = sizeof("{\"prediction\":,\"probabilities\":{}},");

    for (i = 0; i < m->n_outputs; i++) {
        k = keys;

        if (m->labels[i].s[0] != '"') {
            *k++ = '"';
        }

        memcpy(k, m->labels[i].s, m->labels[i].len);
        k += m->labels[i].len;

        if (m->labels[i].s[0] != '"') {
            *k++ = '"';
        }

        *k++ = ':';

        m->label_keys[i].s = keys;
        m->label_keys[i].len = k - keys;
        keys = k;

        m->row_bound += m->labels[i].len + m->label_keys[i].len
                        + MLP_DOUBLE_MAX_LEN + 1;
    }

    /* the keys must differ: 1 and "1" would both be "1" */

    rc = mlp_table_build(m->label_keys, m->n_outputs, &seen, &mask, &dup,
                         &first);

    if (rc < 0) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    if (rc > 0) {
        mlp_fail(err, errlen, "class labels %u and %u are the same key %.*s",
                 first, dup, (int) m->label_keys[dup].len - 1,
                 m->label_keys[dup].s);
        return -1;
    }

    free(seen);

    return 0;
}


static void
mlp_buf_add(mlp_buf_t *b, const char *s, size_t len)
{
    char    *p;
    size_t   cap;

    if (b->failed) {
        return;
    }

    if (b->len + len + 1 > b->cap) {
        for (cap = b->cap ? b->cap : 256; cap < b->len + len + 1; cap *= 2) {
            /* void */
        }

        p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }

        b->p = p;
        b->cap = cap;
    }

    memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = '\0';
}




static void
mlp_buf_printf(mlp_buf_t *b, const char *fmt, ...)
{
    int      n;
    char     tmp[256];
    va_list  args;

    va_start(args, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, args);
    va_end(args);

    mlp_buf_add(b, tmp, n < (int) sizeof(tmp) ? (size_t) n : sizeof(tmp) - 1);
}


static void
mlp_buf_double(mlp_buf_t *b, double v)
{
    char  num[MLP_DOUBLE_MAX_LEN + 1];

    mlp_buf_add(b, num, mlp_write_double(v, num));
}


static void
mlp_buf_string(mlp_buf_t *b, const mlp_str_t *s)
{
    char  *tmp;

    tmp = malloc(s->len * 6 + 2);
    if (tmp == NULL) {
        b->failed = 1;
        return;
    }

    mlp_buf_add(b, tmp, mlp_json_escape(s->s, s->len, tmp));
    free(tmp);
}


static int
mlp_model_describe(mlp_model_t *m, char *err, size_t errlen)
{
    uint32_t   i;
    mlp_buf_t  b;

    memset(&b, 0, sizeof(mlp_buf_t));

    mlp_buf_printf(&b, "{\"kind\":\"%s\",\"task\":\"%s\",",
                   mlp_kind_names[m->kind],
                   m->classifier ? "classification"
                   : (m->nn_flags & MLP_NN_MULTILABEL)
                   ? "multilabel_classification"
                   : m->answer == MLP_ANSWER_OUTLIER ? "outlier_detection"
                   : "regression");
    mlp_buf_printf(&b, "\"format_version\":%u,\"checksum\":\"crc32:%08x\","
                   "\"size\":%zu,\"n_features\":%u,\"features\":[",
                   m->version, m->checksum, m->size, m->n_features);

    for (i = 0; i < m->n_features; i++) {
        if (i) {
            mlp_buf_add(&b, ",", 1);
        }

        mlp_buf_string(&b, &m->features[i]);
    }

    if (m->classifier) {
        mlp_buf_printf(&b, "],\"classes\":[");

        for (i = 0; i < m->n_outputs; i++) {
            if (i) {
                mlp_buf_add(&b, ",", 1);
            }

            mlp_buf_add(&b, m->labels[i].s, m->labels[i].len);
        }

        mlp_buf_add(&b, "]", 1);

    } else {
        mlp_buf_printf(&b, "],\"n_outputs\":%u", m->n_outputs);
    }

    mlp_buf_printf(&b, ",\"link\":\"%s\",\"preprocessing\":[%s",
                   mlp_link_names[m->link],
                   m->mean ? "\"standard_scaler\"" : "");

    for (i = 0; i < m->n_steps; i++) {
        mlp_buf_printf(&b, "%s\"%s\"", i ? "," : "",
                       mlp_step_name(m->steps[i].type));
    }

    mlp_buf_add(&b, "]", 1);

    if (m->schema) {
        mlp_model_describe_schema(m, &b);
    }

    if (m->kind == MLP_KIND_SVM) {
        static const char  *types[] = {
            "c_svc", "nu_svc", "one_class", "epsilon_svr", "nu_svr"
        };
        static const char  *kernels[] = {
            "linear", "poly", "rbf", "sigmoid"
        };

        mlp_buf_printf(&b, ",\"svm\":{\"type\":\"%s\",\"kernel\":\"%s\"",
                       types[m->svm_type], kernels[m->svm_kernel]);

        if (m->svm_kernel != MLP_SVM_LINEAR) {
            mlp_buf_printf(&b, ",\"gamma\":");
            mlp_buf_double(&b, m->gamma);
        }

        if (m->svm_kernel == MLP_SVM_POLY || m->svm_kernel == MLP_SVM_SIGMOID)
        {
            mlp_buf_printf(&b, ",\"coef0\":");
            mlp_buf_double(&b, m->coef0);
        }

        if (m->svm_kernel == MLP_SVM_POLY) {
            mlp_buf_printf(&b, ",\"degree\":%u", m->svm_degree);
        }

        mlp_buf_printf(&b, ",\"n_support_vectors\":%u", m->n_sv);

        if (m->sv_count != NULL) {
            mlp_buf_printf(&b, ",\"n_support\":[");

            for (i = 0; i < m->n_class; i++) {
                mlp_buf_printf(&b, "%s%u", i ? "," : "", m->sv_count[i]);
            }

            mlp_buf_printf(&b, "],\"probability\":%s,"
                           "\"decision_function_shape\":\"%s\","
                           "\"break_ties\":%s",
                           m->prob_a ? "true" : "false",
                           (m->svm_flags & MLP_SVM_OVR) ? "ovr" : "ovo",
                           (m->svm_flags & MLP_SVM_BREAK_TIES)
                           ? "true" : "false");
        }

        mlp_buf_add(&b, "}", 1);
    }

    if (m->kind == MLP_KIND_NETWORK) {
        mlp_buf_printf(&b, ",\"network\":{\"dtype\":\"%s\","
                       "\"n_parameters\":%llu,\"layers\":[",
                       (m->nn_flags & MLP_NN_F32) ? "float32" : "float64",
                       (unsigned long long) m->nn_params);

        for (i = 0; i < m->n_layers; i++) {
            mlp_buf_printf(&b, "%s{\"kind\":\"%s\",\"width\":%u,"
                           "\"activation\":\"%s\"",
                           i ? "," : "",
                           m->nn_layers[i].type == MLP_LAYER_DENSE
                           ? "dense" : "scale",
                           m->nn_layers[i].n_out,
                           mlp_nn_activation_name(m->nn_layers[i].act));

            if (m->nn_layers[i].act == MLP_ACT_LEAKY_RELU
                || m->nn_layers[i].act == MLP_ACT_ELU)
            {
                mlp_buf_printf(&b, ",\"alpha\":");
                mlp_buf_double(&b, m->nn_layers[i].alpha);
            }

            mlp_buf_add(&b, "}", 1);
        }

        mlp_buf_add(&b, "]}", 2);
    }

    if (m->kind == MLP_KIND_TREES) {
        mlp_buf_printf(&b, ",\"trees\":{\"n_trees\":%u,\"max_depth\":%u,"
                       "\"n_nodes\":%llu,\"n_leaves\":%llu,"
                       "\"missing_values\":\"%s\"}",
                       m->n_trees, m->max_depth,
                       (unsigned long long) m->n_nodes,
                       (unsigned long long) m->n_leaves,
                       (m->tree_flags & MLP_TREE_MISSING)
                       ? "default_direction" : "refused");
    }

    if (m->producer.s != NULL) {
        json_t        *v;
        json_error_t   e;

        /* embedded as is, so it must be an object; checked here once */
        v = json_loadb(m->producer.s, m->producer.len, 0, &e);
        if (v == NULL || !json_is_object(v)) {
            mlp_fail(err, errlen, "producer is not a JSON object%s%s",
                     v ? "" : ": ", v ? "" : e.text);
            json_decref(v);
            free(b.p);
            return -1;
        }

        json_decref(v);

        mlp_buf_add(&b, ",\"producer\":", sizeof(",\"producer\":") - 1);
        mlp_buf_add(&b, m->producer.s, m->producer.len);
    }

    mlp_buf_add(&b, "}", 1);

    if (b.failed) {
        mlp_fail(err, errlen, "out of memory");
        free(b.p);
        return -1;
    }

    m->info = b.p;
    m->info_len = b.len;

    return 0;
}


/* What a client sends (inputs, their kinds and values) and the steps. */

static void
mlp_model_describe_schema(mlp_model_t *m, mlp_buf_t *b)
{
    uint32_t            i, k;
    const mlp_step_t   *st;
    const mlp_input_t  *in;

    mlp_buf_printf(b, ",\"n_inputs\":%u,\"inputs\":[", m->n_inputs);

    for (i = 0; i < m->n_inputs; i++) {
        in = &m->inputs[i];

        mlp_buf_add(b, i ? ",{\"name\":" : "{\"name\":", i ? 9 : 8);
        mlp_buf_string(b, &m->input_names[i]);
        mlp_buf_printf(b, ",\"type\":\"%s\",\"missing\":%s",
                       in->kind == MLP_INPUT_CATEGORY ? "category"
                                                      : "number",
                       (in->flags & MLP_INPUT_MISSING) ? "true" : "false");

        if (in->kind == MLP_INPUT_CATEGORY) {
            mlp_buf_printf(b, ",\"unknown\":\"%s\",\"categories\":[",
                           (in->flags & MLP_INPUT_UNKNOWN_ERROR)
                           ? "refused" : "encoded");

            for (k = 0; k < in->n_cats; k++) {
                if (k) {
                    mlp_buf_add(b, ",", 1);
                }

                mlp_buf_string(b, &in->cats[k]);
            }

            mlp_buf_add(b, "]", 1);
        }

        mlp_buf_add(b, "}", 1);
    }

    mlp_buf_add(b, "],\"steps\":[", sizeof("],\"steps\":[") - 1);

    for (i = 0; i < m->n_steps; i++) {
        st = &m->steps[i];
        mlp_buf_printf(b, "%s{\"step\":\"%s\",\"columns_in\":%u,"
                       "\"columns_out\":%u}", i ? "," : "",
                       mlp_step_name(st->type), st->n_in, st->out_width);
    }

    mlp_buf_add(b, "]", 1);
}


/* UTF-8 as jansson checks it (no overlongs, surrogates), and no controls */

int
mlp_utf8_valid(const unsigned char *s, size_t len)
{
    size_t    i, n, k;
    uint32_t  c;

    for (i = 0; i < len; i += n) {
        c = s[i];

        if (c < 0x20 || c == 0x7f) {
            return 0;               /* no control characters in names */
        }

        if (c < 0x80) {
            n = 1;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
            c &= 0x1f;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            c &= 0x0f;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            c &= 0x07;

        } else {
            return 0;
        }

        if (n > len - i) {
            return 0;
        }

        for (k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }

            c = (c << 6) | (s[i + k] & 0x3f);
        }

        if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff)))
            || (n == 4 && (c < 0x10000 || c > 0x10ffff)))
        {
            return 0;
        }
    }

    return 1;
}


uint32_t
mlp_model_kind(const mlp_model_t *m)
{
    return m->kind;
}


uint32_t
mlp_model_checksum(const mlp_model_t *m)
{
    return m->checksum;
}


uint32_t
mlp_model_n_features(const mlp_model_t *m)
{
    return m->n_features;
}


uint32_t
mlp_model_out_width(const mlp_model_t *m)
{
    return m->out_width;
}


uint32_t
mlp_model_n_inputs(const mlp_model_t *m)
{
    return m->n_inputs;
}


uint32_t
mlp_model_n_outputs(const mlp_model_t *m)
{
    return m->n_outputs;
}


int
mlp_model_is_classifier(const mlp_model_t *m)
{
    return m->classifier;
}


int
mlp_model_allows_missing(const mlp_model_t *m)
{
    return m->kind == MLP_KIND_TREES && (m->tree_flags & MLP_TREE_MISSING);
}


const char *
mlp_model_feature_name(const mlp_model_t *m, uint32_t i)
{
    return i < m->n_features ? m->features[i].s : NULL;
}


const char *
mlp_model_info(const mlp_model_t *m, size_t *len)
{
    *len = m->info_len;
    return m->info;
}
