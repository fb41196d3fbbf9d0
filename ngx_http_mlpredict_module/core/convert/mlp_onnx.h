
/*
 * ONNX networks -> model files (kind 5, float32). CLI and tests only; built
 * with protobuf-c and the onnx.proto of libonnx-dev.
 */

#ifndef _MLP_ONNX_H_INCLUDED_
#define _MLP_ONNX_H_INCLUDED_


#include <stddef.h>


/*
 * features, classes: comma-separated names, or NULL for f0 ... and 0 ...
 * The _mem form leaves the file's bytes in *out (malloc'd, the caller
 * frees); both return 0, or -1 with the op, node and reason in err.
 */
int mlp_convert_onnx_mem(const void *data, size_t size, const char *features,
    const char *classes, unsigned char **out, size_t *out_len, char *err,
    size_t errlen);
int mlp_convert_onnx(const char *in, const char *out, const char *features,
    const char *classes, char *err, size_t errlen);


#endif /* _MLP_ONNX_H_INCLUDED_ */
