
/*
 * libsvm's text model (what svm-train and svm_save_model write) -> a
 * kind 4 model file.
 */

#ifndef _MLP_LIBSVM_H_INCLUDED_
#define _MLP_LIBSVM_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* the longest libsvm model read: its support vectors are held dense */
#define MLP_LIBSVM_MAX_TEXT     ((size_t) 1 << 30)
#define MLP_LIBSVM_MAX_VALUES   ((uint64_t) 1 << 27)


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


#endif /* _MLP_LIBSVM_H_INCLUDED_ */
