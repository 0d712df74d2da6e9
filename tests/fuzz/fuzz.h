/*
 * fuzz — what the fuzz targets share: the libFuzzer entry point and an assertion that names
 * the broken promise before aborting (libFuzzer and the replay driver both report the abort).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                    \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n", __FILE__, __LINE__, #cond);  \
            abort();                                                                         \
        }                                                                                    \
    } while (0)
