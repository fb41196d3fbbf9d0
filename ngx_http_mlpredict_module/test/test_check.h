
/*
 * The check of the unit tests: count, and print what failed with where.
 * Each test program ends with "N passed, N failed".
 */

#ifndef _TEST_CHECK_H_INCLUDED_
#define _TEST_CHECK_H_INCLUDED_


#include <stdio.h>


static int  passed, failed;


#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (cond) {                                                           \
            passed++;                                                         \
        } else {                                                              \
            failed++;                                                         \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                       \
            printf(__VA_ARGS__);                                              \
            printf("\n");                                                     \
        }                                                                     \
    } while (0)


#endif /* _TEST_CHECK_H_INCLUDED_ */
