
/*
 * The command-line tool's parts: the commands on CSV files
 * (mlpredict_csv.c) and the usage both print.
 */

#ifndef _MLPREDICT_H_INCLUDED_
#define _MLPREDICT_H_INCLUDED_


#include "mlp.h"


int mlp_usage(void);
int mlp_cli_eval(mlp_model_t *m, int argc, char **argv);
int mlp_cli_predict_csv(mlp_model_t *m, int argc, char **argv);


#endif /* _MLPREDICT_H_INCLUDED_ */
