
/*
 * The command-line tool's parts: the commands on CSV files
 * (mlpredict_csv.c), training (mlpredict_train.c) and the usage they
 * print.
 */

#ifndef _MLPREDICT_H_INCLUDED_
#define _MLPREDICT_H_INCLUDED_


#include "mlp.h"


/* blocks from malloc, data a mlp_block_t * list head, freed at once */
typedef struct mlp_block_s  mlp_block_t;

void *mlp_cli_alloc(void *data, size_t size);
void mlp_cli_free(mlp_block_t *b);

int mlp_usage(void);
int mlp_cli_eval(mlp_model_t *m, int argc, char **argv);
int mlp_cli_predict_csv(mlp_model_t *m, int argc, char **argv);
/* `mlpredict eval`'s report on CSV text in memory (name: what it is) */
int mlp_cli_eval_mem(mlp_model_t *m, const char *name, const char *csv,
    size_t len, const char *label);
int mlp_cli_train(int argc, char **argv);


#endif /* _MLPREDICT_H_INCLUDED_ */
