
/*
 * What liblbfgs's return codes (lbfgs.h) mean for the logistic model, in
 * words: a model kept (with a warning where scikit-learn warns
 * ConvergenceWarning and keeps its model), or a refusal.
 *
 *   converged, already minimal           the model
 *   LBFGSERR_MAXIMUMITERATION            a warning (--max-iter), the model
 *                                        at the last iterate
 *   the line search ended (rounding,     liblbfgs returns the last good
 *   step bounds, evaluations, interval,  iterate: the model, silently when
 *   direction not descending)            its gradient is within scikit-
 *                                        learn's own tolerance (the largest
 *                                        component <= 1e-4, scipy's gtol as
 *                                        LogisticRegression(tol=1e-4) sets
 *                                        it, on the same mean loss), else a
 *                                        warning; refused if not finite
 *   out of memory, invalid parameters,   refused: no model
 *   logic errors, anything else
 */

#include <math.h>
#include <stdio.h>

#include <lbfgs.h>

#include "mlp_internal.h"
#include "train/mlp_train.h"


#define MLP_LBFGS_GTOL  1e-4


typedef struct {
    int                       code;
    int                       search;   /* an end of the line search */
    const char               *name;
    const char               *words;
} mlp_lbfgs_code_t;


static const mlp_lbfgs_code_t *mlp_lbfgs_find(int rc);


static const mlp_lbfgs_code_t  mlp_lbfgs_codes[] = {
    { LBFGS_SUCCESS, 0, "LBFGS_SUCCESS", "converged" },
    { LBFGS_STOP, 0, "LBFGS_STOP", "stopped by the progress callback" },
    { LBFGS_ALREADY_MINIMIZED, 0, "LBFGS_ALREADY_MINIMIZED",
      "the starting point already minimises the loss" },
    { LBFGSERR_UNKNOWNERROR, 0, "LBFGSERR_UNKNOWNERROR", "unknown error" },
    { LBFGSERR_LOGICERROR, 0, "LBFGSERR_LOGICERROR", "logic error" },
    { LBFGSERR_OUTOFMEMORY, 0, "LBFGSERR_OUTOFMEMORY", "out of memory" },
    { LBFGSERR_CANCELED, 0, "LBFGSERR_CANCELED",
      "the minimisation was cancelled" },
    { LBFGSERR_INVALID_N, 0, "LBFGSERR_INVALID_N",
      "invalid number of variables" },
    { LBFGSERR_INVALID_N_SSE, 0, "LBFGSERR_INVALID_N_SSE",
      "invalid number of variables for SSE" },
    { LBFGSERR_INVALID_X_SSE, 0, "LBFGSERR_INVALID_X_SSE",
      "the variables are not 16-byte aligned for SSE" },
    { LBFGSERR_INVALID_EPSILON, 0, "LBFGSERR_INVALID_EPSILON",
      "invalid epsilon (the tolerance)" },
    { LBFGSERR_INVALID_TESTPERIOD, 0, "LBFGSERR_INVALID_TESTPERIOD",
      "invalid past (the test period)" },
    { LBFGSERR_INVALID_DELTA, 0, "LBFGSERR_INVALID_DELTA",
      "invalid delta" },
    { LBFGSERR_INVALID_LINESEARCH, 0, "LBFGSERR_INVALID_LINESEARCH",
      "invalid line search" },
    { LBFGSERR_INVALID_MINSTEP, 0, "LBFGSERR_INVALID_MINSTEP",
      "invalid min_step" },
    { LBFGSERR_INVALID_MAXSTEP, 0, "LBFGSERR_INVALID_MAXSTEP",
      "invalid max_step" },
    { LBFGSERR_INVALID_FTOL, 0, "LBFGSERR_INVALID_FTOL", "invalid ftol" },
    { LBFGSERR_INVALID_WOLFE, 0, "LBFGSERR_INVALID_WOLFE",
      "invalid wolfe" },
    { LBFGSERR_INVALID_GTOL, 0, "LBFGSERR_INVALID_GTOL", "invalid gtol" },
    { LBFGSERR_INVALID_XTOL, 0, "LBFGSERR_INVALID_XTOL", "invalid xtol" },
    { LBFGSERR_INVALID_MAXLINESEARCH, 0, "LBFGSERR_INVALID_MAXLINESEARCH",
      "invalid max_linesearch" },
    { LBFGSERR_INVALID_ORTHANTWISE, 0, "LBFGSERR_INVALID_ORTHANTWISE",
      "invalid orthantwise_c" },
    { LBFGSERR_INVALID_ORTHANTWISE_START, 0,
      "LBFGSERR_INVALID_ORTHANTWISE_START", "invalid orthantwise_start" },
    { LBFGSERR_INVALID_ORTHANTWISE_END, 0,
      "LBFGSERR_INVALID_ORTHANTWISE_END", "invalid orthantwise_end" },
    { LBFGSERR_OUTOFINTERVAL, 1, "LBFGSERR_OUTOFINTERVAL",
      "the line-search step went out of the interval of uncertainty" },
    { LBFGSERR_INCORRECT_TMINMAX, 1, "LBFGSERR_INCORRECT_TMINMAX",
      "the interval of uncertainty became too small" },
    { LBFGSERR_ROUNDING_ERROR, 1, "LBFGSERR_ROUNDING_ERROR",
      "a rounding error: no line-search step satisfies the sufficient "
      "decrease and curvature conditions" },
    { LBFGSERR_MINIMUMSTEP, 1, "LBFGSERR_MINIMUMSTEP",
      "the line-search step became smaller than the minimum step" },
    { LBFGSERR_MAXIMUMSTEP, 1, "LBFGSERR_MAXIMUMSTEP",
      "the line-search step became larger than the maximum step" },
    { LBFGSERR_MAXIMUMLINESEARCH, 1, "LBFGSERR_MAXIMUMLINESEARCH",
      "the line search reached its maximum number of evaluations" },
    { LBFGSERR_MAXIMUMITERATION, 0, "LBFGSERR_MAXIMUMITERATION",
      "the maximum number of iterations was reached" },
    { LBFGSERR_WIDTHTOOSMALL, 1, "LBFGSERR_WIDTHTOOSMALL",
      "the interval of uncertainty is narrower than xtol" },
    { LBFGSERR_INVALIDPARAMETERS, 0, "LBFGSERR_INVALIDPARAMETERS",
      "a logic error (a negative line-search step)" },
    { LBFGSERR_INCREASEGRADIENT, 1, "LBFGSERR_INCREASEGRADIENT",
      "the search direction increases the loss" }
};


static const mlp_lbfgs_code_t *
mlp_lbfgs_find(int rc)
{
    size_t  i;

    for (i = 0; i < sizeof(mlp_lbfgs_codes) / sizeof(mlp_lbfgs_codes[0]);
         i++)
    {
        if (mlp_lbfgs_codes[i].code == rc) {
            return &mlp_lbfgs_codes[i];
        }
    }

    return NULL;
}


int
mlp_lbfgs_verdict(int rc, double gmax, uint32_t max_iter, char *warn,
    size_t warnlen, char *err, size_t errlen)
{
    const mlp_lbfgs_code_t  *c;

    warn[0] = '\0';
    c = mlp_lbfgs_find(rc);

    if (rc >= 0 && c != NULL) {
        return 0;
    }

    if (rc == LBFGSERR_MAXIMUMITERATION) {
        snprintf(warn, warnlen, "logistic regression did not converge in %u "
                 "iterations (--max-iter; liblbfgs: %s): the model is the "
                 "last iterate's", max_iter, c->name);
        return 0;
    }

    if (c != NULL && c->search) {
        if (isnan(gmax) || isinf(gmax)) {
            mlp_fail(err, errlen, "liblbfgs: %s (%s), and the loss is not "
                     "finite there", c->name, c->words);
            return -1;
        }

        if (gmax >= 0 && gmax <= MLP_LBFGS_GTOL) {
            return 0;
        }

        if (gmax < 0) {
            snprintf(warn, warnlen, "logistic regression stopped before "
                     "converging (liblbfgs: %s: %s): the model is the last "
                     "iterate's", c->name, c->words);

        } else {
            snprintf(warn, warnlen, "logistic regression stopped before "
                     "converging (liblbfgs: %s: %s), its gradient %.3g, "
                     "over the %g scikit-learn converges at: the model is "
                     "the last iterate's (scaling the data may help)",
                     c->name, c->words, gmax, MLP_LBFGS_GTOL);
        }

        return 0;
    }

    if (rc == LBFGSERR_OUTOFMEMORY) {
        mlp_fail(err, errlen, "out of memory (liblbfgs: %s)", c->name);
        return -1;
    }

    mlp_fail(err, errlen, "liblbfgs refused: %s (%s), code %d",
             c != NULL ? c->name : "an unknown code",
             c != NULL ? c->words : "not in lbfgs.h", rc);

    return -1;
}
