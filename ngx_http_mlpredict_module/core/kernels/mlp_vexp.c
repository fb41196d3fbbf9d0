
/*
 * exp over an array. glibc's libmvec evaluates four (AVX2) or two (SSE2)
 * at once, within 4 ulp of the correctly rounded value (glibc's own
 * bound), and an RBF kernel's hundreds of exps a row are a third of its
 * time. Elsewhere, or for the tail, the scalar exp.
 */

#include <math.h>
#include <stddef.h>

#include "mlp_internal.h"


#if defined(__x86_64__) && defined(__GLIBC__) && defined(__GNUC__)

#include <immintrin.h>

__m128d _ZGVbN2v_exp(__m128d x);
__attribute__((target("avx2"))) __m256d _ZGVdN4v_exp(__m256d x);


__attribute__((target("avx2")))
static size_t
mlp_vexp_avx2(double *v, size_t n)
{
    size_t  i;

    for (i = 0; i + 4 <= n; i += 4) {
        _mm256_storeu_pd(v + i, _ZGVdN4v_exp(_mm256_loadu_pd(v + i)));
    }

    return i;
}


void
mlp_vexp(double *v, size_t n)
{
    size_t  i;

    if (__builtin_cpu_supports("avx2")) {
        i = mlp_vexp_avx2(v, n);

    } else {
        for (i = 0; i + 2 <= n; i += 2) {
            _mm_storeu_pd(v + i, _ZGVbN2v_exp(_mm_loadu_pd(v + i)));
        }
    }

    for ( /* void */ ; i < n; i++) {
        v[i] = exp(v[i]);
    }
}

#else

void
mlp_vexp(double *v, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        v[i] = exp(v[i]);
    }
}

#endif
