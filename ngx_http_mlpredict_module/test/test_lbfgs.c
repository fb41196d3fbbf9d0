
/*
 * liblbfgs's return codes as mlpredict train reads them (core/train/
 * mlp_lbfgs.c): each named in words, and which keep the model (with or
 * without a warning) and which refuse it.
 */

#include <math.h>
#include <string.h>

#include <lbfgs.h>

#include "mlp_internal.h"
#include "train/mlp_train.h"
#include "test_check.h"


static void test_code(int rc, double gmax, int want_rc, const char *want);


static void
test_code(int rc, double gmax, int want_rc, const char *want)
{
    int   got;
    char  warn[MLP_ERR_LEN], err[MLP_ERR_LEN];

    err[0] = '\0';
    got = mlp_lbfgs_verdict(rc, gmax, 100, warn, sizeof(warn), err,
                            sizeof(err));

    CHECK(got == want_rc, "code %d, gradient %g: %d, wanted %d (%s%s)", rc,
          gmax, got, want_rc, warn, err);

    if (want == NULL) {
        CHECK(got != 0 || warn[0] == '\0', "code %d, gradient %g: a "
              "warning \"%s\"", rc, gmax, warn);
        return;
    }

    CHECK(strstr(got == 0 ? warn : err, want) != NULL, "code %d, gradient "
          "%g: \"%s%s\" lacks \"%s\"", rc, gmax, warn, err, want);
}


int
main(void)
{
    int  rc;

    /* converged: the model, silently */
    test_code(LBFGS_SUCCESS, -1, 0, NULL);
    test_code(LBFGS_ALREADY_MINIMIZED, -1, 0, NULL);

    /* as scikit-learn's ConvergenceWarning: kept, and said */
    test_code(LBFGSERR_MAXIMUMITERATION, 0.5, 0, "did not converge in 100 "
              "iterations (--max-iter; liblbfgs: "
              "LBFGSERR_MAXIMUMITERATION)");

    /* the line search's ends: silent within scikit-learn's tolerance */
    test_code(LBFGSERR_ROUNDING_ERROR, 1e-9, 0, NULL);
    test_code(LBFGSERR_MINIMUMSTEP, 1e-4, 0, NULL);
    test_code(LBFGSERR_WIDTHTOOSMALL, 0, 0, NULL);
    test_code(LBFGSERR_ROUNDING_ERROR, 0.02, 0, "LBFGSERR_ROUNDING_ERROR: a "
              "rounding error: no line-search step satisfies");
    test_code(LBFGSERR_MAXIMUMLINESEARCH, 0.02, 0, "the line search "
              "reached its maximum number of evaluations), its gradient "
              "0.02");
    test_code(LBFGSERR_MAXIMUMSTEP, 3, 0, "LBFGSERR_MAXIMUMSTEP");
    test_code(LBFGSERR_INCREASEGRADIENT, 1, 0, "the search direction "
              "increases the loss");
    test_code(LBFGSERR_OUTOFINTERVAL, -1, 0, "LBFGSERR_OUTOFINTERVAL");
    test_code(LBFGSERR_ROUNDING_ERROR, NAN, -1, "the loss is not finite");
    test_code(LBFGSERR_MINIMUMSTEP, INFINITY, -1, "the loss is not finite");

    /* no model */
    test_code(LBFGSERR_OUTOFMEMORY, 0, -1, "out of memory");
    test_code(LBFGSERR_INVALID_EPSILON, 0, -1, "liblbfgs refused: "
              "LBFGSERR_INVALID_EPSILON (invalid epsilon");
    test_code(LBFGSERR_INVALIDPARAMETERS, 0, -1, "a logic error");
    test_code(LBFGSERR_CANCELED, 0, -1, "LBFGSERR_CANCELED");
    test_code(-5, 0, -1, "an unknown code (not in lbfgs.h), code -5");
    test_code(7, 0, -1, "code 7");

    /* every code of lbfgs.h has its name, none the fallback */
    for (rc = LBFGSERR_UNKNOWNERROR; rc <= LBFGSERR_INCREASEGRADIENT; rc++) {
        char  warn[MLP_ERR_LEN], err[MLP_ERR_LEN];

        err[0] = '\0';
        (void) mlp_lbfgs_verdict(rc, 1, 100, warn, sizeof(warn), err,
                                 sizeof(err));
        CHECK(strstr(warn, "LBFGSERR_") != NULL
              || strstr(err, "LBFGSERR_") != NULL, "code %d unnamed: %s%s",
              rc, warn, err);
    }

    printf("test_lbfgs: %d passed, %d failed\n", passed, failed);

    return failed != 0;
}
