
/*
 * libsvm's text model (what svm-train and svm_save_model write) -> a
 * kind 4 model file.
 */

#ifndef _MLP_LIBSVM_H_INCLUDED_
#define _MLP_LIBSVM_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "convert/mlp_writer.h"


/* the longest libsvm model read: its support vectors are held dense */
#define MLP_LIBSVM_MAX_TEXT     ((size_t) 1 << 30)
#define MLP_LIBSVM_MAX_VALUES   ((uint64_t) 1 << 27)


/* libsvm's model, as svm_load_model or svm_train holds it, dense */
typedef struct {
    uint32_t                  seen;
    uint32_t                  svm_type;
    uint32_t                  kernel;
    uint32_t                  degree;
    uint32_t                  nr_class;
    uint32_t                  total_sv;
    uint32_t                  n_pairs;
    uint32_t                  n_features;
    uint32_t                  max_index;
    double                    kernel_params[2];     /* gamma, coef0 */
    uint32_t                  params[8];            /* svm_params */
    double                   *rho;
    double                   *prob_a;
    double                   *prob_b;
    long                     *label;
    uint32_t                 *nr_sv;
    double                   *sv;                   /* total_sv x n_features */
    double                   *coef;                 /* (nr_class - 1) rows */
    char                     *names;
    char                     *labels;
    char                     *producer;
} mlp_libsvm_model_t;


/* Whether text (the start of a file) looks like a libsvm model. */
int mlp_libsvm_detect(const char *text, size_t len);

/*
 * text -> the bytes of a model file (malloc'ed, *file_len bytes).
 * n_features 0: the largest feature index of the support vectors.
 * Returns 0, or -1 with the line and the reason in err.
 */
int mlp_libsvm_build(const char *text, size_t len, uint32_t n_features,
    unsigned char **file, size_t *file_len, char *err, size_t errlen);

/* The file in -> the model file out, written as mlp_writer_save does. */
int mlp_convert_libsvm(const char *in, const char *out, uint32_t n_features,
    char *err, size_t errlen);

/*
 * The kind 4 sections of a model in memory (`mlpredict train svm`) into
 * w, pointing into ls; flags (MLP_SVM_*) added to what libsvm's model
 * says. Feature names, class labels and the producer are the caller's.
 */
int mlp_libsvm_sections(mlp_libsvm_model_t *ls, uint32_t flags,
    mlp_writer_t *w, char *err, size_t errlen);

/* What ls holds (not ls itself). */
void mlp_libsvm_model_free(mlp_libsvm_model_t *ls);


#endif /* _MLP_LIBSVM_H_INCLUDED_ */
