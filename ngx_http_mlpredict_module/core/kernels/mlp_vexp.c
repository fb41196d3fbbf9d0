
/*
 * exp and log1p over an array. glibc's libmvec evaluates eight (AVX-512),
 * four (AVX2) or two (SSE2) at once, within 4 ulp of the correctly rounded
 * value (glibc's own bound): an RBF kernel's hundreds of exps a row are a
 * third of its time, and a logistic regression's loss takes an exp and a
 * log1p a row at every step of its solver. AVX-512 takes the last few
 * under a mask; elsewhere, or for the others' tails, the scalar one.
 */

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mlp_internal.h"


#if defined(__x86_64__) && defined(__GLIBC__) && defined(__GNUC__)

#include <immintrin.h>


typedef __m128d (*mlp_vsse2_pt)(__m128d x);
typedef __m256d (*mlp_vavx2_pt)(__m256d x);
typedef __m512d (*mlp_vavx512_pt)(__m512d x);


__m128d _ZGVbN2v_exp(__m128d x);
__attribute__((target("avx2"))) __m256d _ZGVdN4v_exp(__m256d x);
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_exp(__m512d x);
/* glibc 2.35 and later */
__m128d _ZGVbN2v_log1p(__m128d x);
__attribute__((target("avx2"))) __m256d _ZGVdN4v_log1p(__m256d x);
__attribute__((target("avx512f"))) __m512d _ZGVeN8v_log1p(__m512d x);


/* the last few under a mask: the lanes beyond n are 0, never stored */

__attribute__((target("avx512f")))
static size_t
mlp_vapply_avx512(mlp_vavx512_pt f, double *v, size_t n)
{
    size_t     i;
    __mmask8   tail;

    for (i = 0; i + 8 <= n; i += 8) {
        _mm512_storeu_pd(v + i, f(_mm512_loadu_pd(v + i)));
    }

    if (i < n) {
        tail = (__mmask8) ((1u << (n - i)) - 1);
        _mm512_mask_storeu_pd(v + i, tail,
                              f(_mm512_maskz_loadu_pd(tail, v + i)));
    }

    return n;
}


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


/* the widest the CPU has, then the scalar one for the last few */

static void
mlp_vapply(mlp_vsse2_pt f2, mlp_vavx2_pt f4, mlp_vavx512_pt f8,
    double (*f1)(double), double *v, size_t n)
{
    size_t  i;

    if (__builtin_cpu_supports("avx512f")) {
        i = mlp_vapply_avx512(f8, v, n);

    } else if (__builtin_cpu_supports("avx2")) {
        i = mlp_vapply_avx2(f4, v, n);

    } else {
        for (i = 0; i + 2 <= n; i += 2) {
            _mm_storeu_pd(v + i, f2(_mm_loadu_pd(v + i)));
        }
    }

    for ( /* void */ ; i < n; i++) {
        v[i] = f1(v[i]);
    }
}


void
mlp_vexp(double *v, size_t n)
{
    mlp_vapply(_ZGVbN2v_exp, _ZGVdN4v_exp, _ZGVeN8v_exp, exp, v, n);
}


void
mlp_vlog1p(double *v, size_t n)
{
    mlp_vapply(_ZGVbN2v_log1p, _ZGVdN4v_log1p, _ZGVeN8v_log1p, log1p, v, n);
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


/*
 * A format 1 StandardScaler over a block of rows, in place: (x - mean) /
 * scale, as scikit-learn computes it. The division is most of a linear
 * model's time at large batches; it is elementwise, so the clones' eight
 * or four at a time (AVX-512, AVX2) round exactly as one at a time.
 */

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)          \
    && defined(__GLIBC__)
#pragma GCC push_options
#pragma GCC optimize ("vect-cost-model=dynamic")
#define MLP_VCLONES                                                           \
    __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MLP_VCLONES
#endif

MLP_VCLONES
void
mlp_vstandardize(double *x, size_t rows, size_t nf,
    const double *restrict mean, const double *restrict scale)
{
    size_t   r, j;
    double  *restrict xr;

    for (r = 0; r < rows; r++) {
        xr = x + r * nf;

        for (j = 0; j < nf; j++) {
            xr[j] = (xr[j] - mean[j]) / scale[j];
        }
    }
}


/*
 * A binary tensor's little-endian FP64 or FP32 elements (unaligned, as
 * they follow a JSON header) into doubles, n of them: 1 when some element
 * is an infinity or a NaN (an exponent of all ones), which the caller then
 * reads again one at a time. One pass, the check gathered without a
 * branch, so it vectorizes: the tensors are megabytes.
 */

MLP_VCLONES
int
mlp_vload_f64(double *restrict x, const unsigned char *restrict p, size_t n)
{
    size_t    e;
    double    d;
    uint64_t  u, bad;

    bad = 0;

    for (e = 0; e < n; e++) {
        memcpy(&u, p + 8 * e, 8);
        bad |= (uint64_t) ((u & 0x7ff0000000000000ull)
                           == 0x7ff0000000000000ull);
        memcpy(&d, &u, 8);
        x[e] = d;
    }

    return bad != 0;
}


MLP_VCLONES
int
mlp_vload_f32(double *restrict x, const unsigned char *restrict p, size_t n)
{
    float     f;
    size_t    e;
    uint32_t  u, bad;

    bad = 0;

    for (e = 0; e < n; e++) {
        memcpy(&u, p + 4 * e, 4);
        bad |= (uint32_t) ((u & 0x7f800000u) == 0x7f800000u);
        memcpy(&f, &u, 4);
        x[e] = f;
    }

    return bad != 0;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)          \
    && defined(__GLIBC__)
#pragma GCC pop_options
#endif
