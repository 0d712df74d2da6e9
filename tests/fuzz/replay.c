/*
 * replay — the plain driver of the fuzz targets: feeds every file of the given corpus
 * directories to LLVMFuzzerTestOneInput, so that GCC builds and every ctest run exercise the
 * corpora. Built with -DLANA_FUZZ and libFuzzer instead, the targets fuzz for real.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX (1 << 20) /* bytes of one input; libFuzzer's default -max_len is far less */

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return -1;
    uint8_t *buf = malloc(INPUT_MAX);
    if (buf == NULL) {
        fclose(fp);
        return -1;
    }
    size_t n = fread(buf, 1, INPUT_MAX, fp);
    fclose(fp);
    /* an exact-size copy, so that ASan sees a read past the input's end */
    uint8_t *in = malloc(n ? n : 1);
    if (in != NULL) {
        memcpy(in, buf, n);
        LLVMFuzzerTestOneInput(in, n);
    }
    free(in);
    free(buf);
    return in != NULL ? 0 : -1;
}

int main(int argc, char **argv)
{
    unsigned files = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (d == NULL) {
            fprintf(stderr, "%s: cannot open\n", argv[i]);
            return 1;
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char path[4096];
            if (e->d_name[0] == '.')
                continue;
            int n = snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            if (n < 0 || (size_t)n >= sizeof path || run_file(path) != 0) {
                fprintf(stderr, "%s/%s: cannot read\n", argv[i], e->d_name);
                closedir(d);
                return 1;
            }
            files++;
        }
        closedir(d);
    }
    printf("replayed %u inputs\n", files);
    return files > 0 ? 0 : 1;
}
