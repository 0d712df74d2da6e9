/*
 * auth — see auth.h.
 */
#include "common/auth.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int auth_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return LANA_EIO;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

uint32_t auth_random_u32(void)
{
    uint32_t v = 0;
    if (auth_random(&v, sizeof v) != 0)
        v = (uint32_t)(uintptr_t)&v ^ 0x9e3779b9u; /* getrandom never fails after boot */
    return v;
}

void auth_stored_key(const uint8_t token[AUTH_TOKEN_LEN], uint8_t key[AUTH_KEY_LEN])
{
    SHA256(token, AUTH_TOKEN_LEN, key);
}

static void signature(const uint8_t key[AUTH_KEY_LEN], uint32_t x, uint32_t y,
                      uint8_t sig[AUTH_TOKEN_LEN])
{
    char msg[32];
    int n = snprintf(msg, sizeof msg, "%u:%u", x, y);
    unsigned len = AUTH_TOKEN_LEN;
    HMAC(EVP_sha256(), key, AUTH_KEY_LEN, (const unsigned char *)msg, (size_t)n, sig, &len);
}

void auth_proof(const uint8_t token[AUTH_TOKEN_LEN], uint32_t x, uint32_t y,
                uint8_t proof[AUTH_TOKEN_LEN])
{
    uint8_t key[AUTH_KEY_LEN], sig[AUTH_TOKEN_LEN];
    auth_stored_key(token, key);
    signature(key, x, y, sig);
    for (int i = 0; i < AUTH_TOKEN_LEN; i++)
        proof[i] = token[i] ^ sig[i];
    OPENSSL_cleanse(sig, sizeof sig);
}

bool auth_verify(const uint8_t key[AUTH_KEY_LEN], uint32_t x, uint32_t y,
                 const uint8_t proof[AUTH_TOKEN_LEN])
{
    uint8_t sig[AUTH_TOKEN_LEN], token[AUTH_TOKEN_LEN], again[AUTH_KEY_LEN];
    signature(key, x, y, sig);
    for (int i = 0; i < AUTH_TOKEN_LEN; i++)
        token[i] = proof[i] ^ sig[i];
    auth_stored_key(token, again);
    bool ok = CRYPTO_memcmp(again, key, AUTH_KEY_LEN) == 0;
    OPENSSL_cleanse(token, sizeof token);
    return ok;
}

void auth_hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int nibble(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int auth_unhex(const char *s, uint8_t *b, size_t n)
{
    while (*s == ' ' || *s == '\t')
        s++;
    for (size_t i = 0; i < n; i++) {
        int hi = nibble((unsigned char)s[2 * i]), lo = hi < 0 ? -1 : nibble((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return LANA_EPARSE;
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    for (s += 2 * n; *s; s++)
        if (!isspace((unsigned char)*s))
            return LANA_EPARSE;
    return 0;
}
