/*
 * Small, portable SHA-256 / HMAC-SHA256 (FIPS 180-4, RFC 2104), with an
 * x86-64 SHA-NI fast path chosen at run time.
 *
 * Every exported symbol carries the fsv4_ prefix so this can be linked into
 * the same process as OpenSSL (or any other SHA-256) without clashes.
 * No heap use and no global mutable state apart from the once-computed,
 * atomically cached choice of compression function (see
 * fsv4_sha256_implementation): all functions are thread-safe as long as
 * distinct threads do not share one context for writing.
 */
#ifndef FSV4_SHA256_H
#define FSV4_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FSV4_SHA256_BLOCK_SIZE 64
#define FSV4_SHA256_DIGEST_SIZE 32

typedef struct {
    uint32_t h[8];     /* chaining state */
    uint64_t length;   /* total bytes absorbed so far */
    uint8_t buf[64];   /* partial block not yet compressed */
    size_t buf_len;    /* bytes valid in buf, always < 64 */
} fsv4_sha256_ctx;

/*
 * HMAC key schedule: the two contexts after absorbing (key ^ ipad) and
 * (key ^ opad). Computed once per key; each MAC then copies them, so a short
 * message costs only its own blocks plus two final compressions.
 * A const fsv4_hmac_key may be shared between threads.
 */
typedef struct {
    fsv4_sha256_ctx inner;
    fsv4_sha256_ctx outer;
} fsv4_hmac_key;

void fsv4_sha256_init(fsv4_sha256_ctx *ctx);
void fsv4_sha256_update(fsv4_sha256_ctx *ctx, const uint8_t *data, size_t len);
/* Leaves ctx in an unspecified state; call fsv4_sha256_init to reuse it. */
void fsv4_sha256_final(fsv4_sha256_ctx *ctx, uint8_t out[32]);
void fsv4_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

/* Keys longer than 64 bytes are hashed first (RFC 2104). */
void fsv4_hmac_key_init(fsv4_hmac_key *k, const uint8_t *key, size_t key_len);
void fsv4_hmac(const fsv4_hmac_key *k, const uint8_t *msg, size_t len, uint8_t out[32]);
void fsv4_hmac_oneshot(const uint8_t *key, size_t key_len,
                       const uint8_t *msg, size_t len, uint8_t out[32]);

/* Writes exactly 2*len lowercase hex characters; does NOT NUL-terminate. */
void fsv4_hex_lower(const uint8_t *in, size_t len, char *out);

/*
 * Which compression function this process uses: "sha-ni" (x86-64 SHA
 * extensions) or "portable". Chosen once, on first use of any function
 * here, from CPUID; setting FASTSIGV4_SHA256_PORTABLE to a non-empty value
 * other than "0" before that first use forces "portable". Both produce
 * identical output; this is for tests and benchmark reports.
 */
const char *fsv4_sha256_implementation(void);

#ifdef __cplusplus
}
#endif

#endif /* FSV4_SHA256_H */
