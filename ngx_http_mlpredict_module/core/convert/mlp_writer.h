
/*
 * Writing model files and converting other libraries' models into them.
 * Used by the command-line tool and the tests; the server only reads.
 */

#ifndef _MLP_WRITER_H_INCLUDED_
#define _MLP_WRITER_H_INCLUDED_


#include "mlp.h"


typedef struct {
    uint32_t                  id;
    uint32_t                  dtype;
    const void               *data;
    uint64_t                  size;
    uint64_t                  count;
} mlp_wsection_t;


typedef struct {
    uint32_t                  kind;
    uint32_t                  n_features;
    uint32_t                  n_outputs;
    uint32_t                  link;
    uint32_t                  n;
    mlp_wsection_t            sec[64];
} mlp_writer_t;


int mlp_writer_add(mlp_writer_t *w, uint32_t id, uint32_t dtype,
    const void *data, uint64_t size, uint64_t count);
unsigned char *mlp_writer_build(const mlp_writer_t *w, size_t *len);
int mlp_writer_save(const mlp_writer_t *w, const char *path, char *err,
    size_t errlen);
int mlp_writer_save_raw(const unsigned char *p, size_t len, const char *path,
    char *err, size_t errlen);

/* An XGBoost JSON model (Booster.save_model("m.json")) -> a model file. */
int mlp_convert_xgboost(const char *in, const char *out, char *err,
    size_t errlen);


#endif /* _MLP_WRITER_H_INCLUDED_ */
