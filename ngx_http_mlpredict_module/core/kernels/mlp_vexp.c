
/*
 * exp and log1p over an array. glibc's libmvec evaluates four (AVX2) or
 * two (SSE2) at once, within 4 ulp of the correctly rounded value (glibc's
 * own bound): an RBF kernel's hundreds of exps a row are a third of its
 * time, and a logistic regression's loss takes an exp and a log1p a row at
 * every step of its solver. Elsewhere, or for the tail, the scalar one.
 */

#include <math.h>
#include <stddef.h>

#include "mlp_internal.h"


#if defined(__x86_64__) && defined(__GLIBC__) && defined(__GNUC__)

#include <immintrin.h>


typedef __m128d (*mlp_vsse2_pt)(__m128d x);
typedef __m256d (*mlp_vavx2_pt)(__m256d x);


__m128d _ZGVbN2v_exp(__m128d x);
__attribute__((target("avx2"))) __m256d _ZGVdN4v_exp(__m256d x);
/* glibc 2.35 and later */
__m128d _ZGVbN2v_log1p(__m128d x);
__attribute__((target("avx2"))) __m256d _ZGVdN4v_log1p(__m256d x);


__attribute__((target("avx2")))
static size_t
mlp_vapply_avx2(mlp_vavx2_pt f, double *v, size_t n)
{
    size_t  i;

    for (i = 0; i + 4 <= n; i += 4) {
        _mm256_storeu_pd(v + i, f(_mm256_loadu_pd(v + i)));
    }

    return i;
}


static size_t
mlp_vapply(mlp_vsse2_pt f2, mlp_vavx2_pt f4, double *v, size_t n)
{
    size_t  i;

    if (__builtin_cpu_supports("avx2")) {
        return mlp_vapply_avx2(f4, v, n);
    }

    for (i = 0; i + 2 <= n; i += 2) {
        _mm_storeu_pd(v + i, f2(_mm_loadu_pd(v + i)));
    }

    return i;
}


void
mlp_vexp(double *v, size_t n)
{
    size_t  i;

    for (i = mlp_vapply(_ZGVbN2v_exp, _ZGVdN4v_exp, v, n); i < n; i++) {
        v[i] = exp(v[i]);
    }
}


void
mlp_vlog1p(double *v, size_t n)
{
    size_t  i;

    for (i = mlp_vapply(_ZGVbN2v_log1p, _ZGVdN4v_log1p, v, n); i < n; i++) {
        v[i] = log1p(v[i]);
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


void
mlp_vlog1p(double *v, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        v[i] = log1p(v[i]);
    }
}

#endif
