/*
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), portable C99, plus an
 * optional x86-64 SHA-NI compression function selected at run time.
 * See sha256.h for the API contract.
 */
#include "sha256.h"

#include <stdlib.h>
#include <string.h>

/*
 * FSV4_HAVE_SHANI: compile the x86-64 SHA extensions path. Needs GCC or clang
 * (per-function target attributes, <cpuid.h>), so MSVC and other compilers /
 * architectures build the portable path only. The code is compiled with
 * __attribute__((target(...))) rather than a global -msha, so the object
 * still runs on CPUs without SHA-NI; it is only called after CPUID says yes.
 * Define FSV4_NO_SHANI to leave it out entirely.
 */
#if !defined(FSV4_NO_SHANI) && defined(__x86_64__) &&                    \
    (defined(__GNUC__) || defined(__clang__)) &&                         \
    ((defined(__clang__) && __clang_major__ >= 4) ||                     \
     (!defined(__clang__) && __GNUC__ >= 5))
#define FSV4_HAVE_SHANI 1
#include <cpuid.h>
#include <immintrin.h>
#else
#define FSV4_HAVE_SHANI 0
#endif

/* Any accelerated path at all => run-time dispatch is needed. An ARMv8
 * SHA2 path would OR its own FSV4_HAVE_ARMV8_SHA2 in here. */
#define FSV4_HAVE_DISPATCH FSV4_HAVE_SHANI

/* Fractional parts of the cube roots of the first 64 primes (FIPS 180-4 4.2.2). */
static const uint32_t K[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u,
    0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
    0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
    0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
    0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u,
    0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u,
    0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

/* Fractional parts of the square roots of the first 8 primes (FIPS 180-4 5.3.3). */
static const uint32_t H0[8] = {
    0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
    0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
};

/* Byte-wise so it is endian-independent and never an unaligned access;
 * gcc/clang turn these into a single load + bswap. */
static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
    store_be32(p, (uint32_t)(v >> 32));
    store_be32(p + 4, (uint32_t)v);
}

/* volatile stores so the compiler cannot drop the wipe as a dead store. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    while (n--)
        *v++ = 0;
}

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
/* Ch/Maj in their reduced forms: one fewer operation than the textbook ones. */
#define CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define BSIG0(x) (ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define BSIG1(x) (ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define SSIG0(x) (ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))

/* 16-word ring buffer for the schedule: W[t] only depends on W[t-2..t-16],
 * which keeps the working set in registers/L1 instead of a 64-word array. */
#define W_LOAD(i) (w[(i)] = load_be32(p + 4 * (i)))
#define W_EXPAND(i)                                                   \
    (w[(i) & 15] += SSIG1(w[((i) - 2) & 15]) + w[((i) - 7) & 15] +    \
                    SSIG0(w[((i) - 15) & 15]))

/* Instead of shifting a..h each round, callers rotate the argument names:
 * after a round the old h holds the new a and the old d the new e. */
#define ROUND(a, b, c, d, e, f, g, h, i, wi)                          \
    do {                                                              \
        uint32_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + K[(i)] + (wi);  \
        (d) += t1_;                                                   \
        (h) = t1_ + BSIG0(a) + MAJ(a, b, c);                          \
    } while (0)

#define ROUNDS8(i, W)                                                 \
    do {                                                              \
        ROUND(a, b, c, d, e, f, g, h, (i) + 0, W((i) + 0));           \
        ROUND(h, a, b, c, d, e, f, g, (i) + 1, W((i) + 1));           \
        ROUND(g, h, a, b, c, d, e, f, (i) + 2, W((i) + 2));           \
        ROUND(f, g, h, a, b, c, d, e, (i) + 3, W((i) + 3));           \
        ROUND(e, f, g, h, a, b, c, d, (i) + 4, W((i) + 4));           \
        ROUND(d, e, f, g, h, a, b, c, (i) + 5, W((i) + 5));           \
        ROUND(c, d, e, f, g, h, a, b, (i) + 6, W((i) + 6));           \
        ROUND(b, c, d, e, f, g, h, a, (i) + 7, W((i) + 7));           \
    } while (0)

static void fsv4_sha256_blocks_portable(uint32_t st[8], const uint8_t *p,
                                        size_t nblocks)
{
    uint32_t w[16];

    while (nblocks--) {
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7];

        ROUNDS8(0, W_LOAD);
        ROUNDS8(8, W_LOAD);
        ROUNDS8(16, W_EXPAND);
        ROUNDS8(24, W_EXPAND);
        ROUNDS8(32, W_EXPAND);
        ROUNDS8(40, W_EXPAND);
        ROUNDS8(48, W_EXPAND);
        ROUNDS8(56, W_EXPAND);

        st[0] += a; st[1] += b; st[2] += c; st[3] += d;
        st[4] += e; st[5] += f; st[6] += g; st[7] += h;
        p += 64;
    }
}

#if FSV4_HAVE_SHANI
/*
 * SHA-NI compression, written from Intel's description of the SHA extensions
 * (Intel SDM vol. 2, SHA256RNDS2 / SHA256MSG1 / SHA256MSG2):
 *
 * - SHA256RNDS2(cdgh, abef, wk) runs two rounds. The working variables live
 *   in two registers, lanes listed high to low: abef = [A B E F] and
 *   cdgh = [C D G H]. Lanes 0 and 1 of wk hold W[t]+K[t] and W[t+1]+K[t+1].
 *   It returns the new [A B E F]; the new [C D G H] is simply the old
 *   [A B E F] (two rounds shift each variable two places), so the two
 *   registers just swap roles every call.
 * - SHA256MSG1(w[t-16..t-13], w[t-12..t-9]) = w[t-16+j] + s0(w[t-15+j]),
 *   j = 0..3.
 * - SHA256MSG2(x, w[t-4..t-1]) adds s1() of the two preceding words,
 *   computing W[t], W[t+1] first and feeding them into W[t+2], W[t+3].
 *   So W[t..t+3] = MSG2(MSG1(m0, m1) + w[t-7..t-4], m3), where
 *   w[t-7..t-4] is m2 shifted down one word with m3's first word on top.
 *
 * Message words are big-endian: PSHUFB reverses the bytes of each 32-bit
 * lane, which leaves W[t] in lane 0, W[t+1] in lane 1, and so on.
 */
#define FSV4_SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* Four rounds t..t+3 with message words msg (W[t] in lane 0). */
#define SHANI_ROUNDS4(msg, t)                                               \
    do {                                                                    \
        __m128i wk_ = _mm_add_epi32(                                        \
            (msg), _mm_loadu_si128((const __m128i *)(const void *)&K[t]));  \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk_);                      \
        wk_ = _mm_shuffle_epi32(wk_, 0x0e); /* lanes 2,3 -> 0,1 */          \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, wk_);                      \
    } while (0)

/* m0..m3 hold W[t-16..t-1]; overwrite m0 with W[t..t+3]. */
#define SHANI_SCHEDULE(m0, m1, m2, m3)                                      \
    ((m0) = _mm_sha256msg2_epu32(                                           \
         _mm_add_epi32(_mm_sha256msg1_epu32((m0), (m1)),                    \
                       _mm_alignr_epi8((m3), (m2), 4)),                     \
         (m3)))

FSV4_SHANI_TARGET
static void fsv4_sha256_blocks_shani(uint32_t st[8], const uint8_t *p,
                                     size_t nblocks)
{
    /* Byte i of the result takes byte (i ^ 3): per-lane big-endian load. */
    const __m128i bswap = _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4,
                                        11, 10, 9, 8, 15, 14, 13, 12);
    __m128i abcd, efgh, abef, cdgh;

    /* st[] = a..h in lanes 0..7. Reverse each half ([a b c d] -> lanes
     * d c b a, low to high), then take the high 64-bit halves for
     * [A B E F] = lanes f e b a and the low halves for [C D G H] =
     * lanes h g d c. */
    abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)st), 0x1b);
    efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)(st + 4)), 0x1b);
    abef = _mm_unpackhi_epi64(efgh, abcd);
    cdgh = _mm_unpacklo_epi64(efgh, abcd);

    while (nblocks--) {
        const __m128i abef0 = abef, cdgh0 = cdgh;
        __m128i m0, m1, m2, m3;

        m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), bswap);
        m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), bswap);
        m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 32)), bswap);
        m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 48)), bswap);

        SHANI_ROUNDS4(m0, 0);
        SHANI_ROUNDS4(m1, 4);
        SHANI_ROUNDS4(m2, 8);
        SHANI_ROUNDS4(m3, 12);
        SHANI_SCHEDULE(m0, m1, m2, m3); SHANI_ROUNDS4(m0, 16);
        SHANI_SCHEDULE(m1, m2, m3, m0); SHANI_ROUNDS4(m1, 20);
        SHANI_SCHEDULE(m2, m3, m0, m1); SHANI_ROUNDS4(m2, 24);
        SHANI_SCHEDULE(m3, m0, m1, m2); SHANI_ROUNDS4(m3, 28);
        SHANI_SCHEDULE(m0, m1, m2, m3); SHANI_ROUNDS4(m0, 32);
        SHANI_SCHEDULE(m1, m2, m3, m0); SHANI_ROUNDS4(m1, 36);
        SHANI_SCHEDULE(m2, m3, m0, m1); SHANI_ROUNDS4(m2, 40);
        SHANI_SCHEDULE(m3, m0, m1, m2); SHANI_ROUNDS4(m3, 44);
        SHANI_SCHEDULE(m0, m1, m2, m3); SHANI_ROUNDS4(m0, 48);
        SHANI_SCHEDULE(m1, m2, m3, m0); SHANI_ROUNDS4(m1, 52);
        SHANI_SCHEDULE(m2, m3, m0, m1); SHANI_ROUNDS4(m2, 56);
        SHANI_SCHEDULE(m3, m0, m1, m2); SHANI_ROUNDS4(m3, 60);

        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
        p += 64;
    }

    /* Inverse of the packing above. */
    abcd = _mm_shuffle_epi32(_mm_unpackhi_epi64(cdgh, abef), 0x1b);
    efgh = _mm_shuffle_epi32(_mm_unpacklo_epi64(cdgh, abef), 0x1b);
    _mm_storeu_si128((__m128i *)(void *)st, abcd);
    _mm_storeu_si128((__m128i *)(void *)(st + 4), efgh);
}

#undef SHANI_ROUNDS4
#undef SHANI_SCHEDULE

/* CPUID bits (Intel SDM vol. 2, CPUID): leaf 1 ECX bit 9 = SSSE3, bit 19 =
 * SSE4.1; leaf 7 subleaf 0 EBX bit 29 = SHA. SHA-NI only touches XMM
 * registers, whose state every x86-64 OS saves, so no XGETBV check. */
static int fsv4_cpu_has_shani(void)
{
    unsigned int eax, ebx, ecx, edx;

    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return 0;
    if (!(ecx & (1u << 9)) || !(ecx & (1u << 19)))
        return 0;
    /* __get_cpuid_max + __cpuid_count is what __get_cpuid_count does, but
     * also exists in compilers older than GCC 7 / older clang. */
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    return (ebx >> 29) & 1u;
}
#endif /* FSV4_HAVE_SHANI */

enum {
    FSV4_IMPL_UNRESOLVED = 0,
    FSV4_IMPL_PORTABLE = 1,
    FSV4_IMPL_SHANI = 2
    /* FSV4_IMPL_ARMV8_SHA2 = 3: reserved for an ARMv8 crypto-extensions path */
};

#if FSV4_HAVE_DISPATCH
/*
 * The choice is made once, on first use, and cached here. Every thread that
 * sees FSV4_IMPL_UNRESOLVED computes the same answer and stores it; the
 * relaxed atomics make that benign race well-defined (an aligned int, no
 * tearing) without a lock or a once-flag.
 */
static int fsv4_impl_choice = FSV4_IMPL_UNRESOLVED;

/*
 * Test/benchmark override: if the environment variable
 * FASTSIGV4_SHA256_PORTABLE is set to a non-empty value other than "0" when
 * SHA-256 is first used in the process, the portable C code is used even on
 * CPUs with SHA extensions. It is read once; changing it later has no effect.
 */
static int fsv4_env_forces_portable(void)
{
    const char *v = getenv("FASTSIGV4_SHA256_PORTABLE");
    return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

static int fsv4_detect_impl(void)
{
    if (fsv4_env_forces_portable())
        return FSV4_IMPL_PORTABLE;
#if FSV4_HAVE_SHANI
    if (fsv4_cpu_has_shani())
        return FSV4_IMPL_SHANI;
#endif
    /* An aarch64 path would go here: getauxval(AT_HWCAP) & HWCAP_SHA2 on
     * Linux, sysctlbyname("hw.optional.arm.FEAT_SHA256") on macOS. */
    return FSV4_IMPL_PORTABLE;
}

static int fsv4_impl(void)
{
    int impl = __atomic_load_n(&fsv4_impl_choice, __ATOMIC_RELAXED);
    if (impl == FSV4_IMPL_UNRESOLVED) {
        impl = fsv4_detect_impl();
        __atomic_store_n(&fsv4_impl_choice, impl, __ATOMIC_RELAXED);
    }
    return impl;
}
#else
static int fsv4_impl(void)
{
    return FSV4_IMPL_PORTABLE;
}
#endif /* FSV4_HAVE_DISPATCH */

/*
 * Single choke point for all compression work: every block goes through
 * here, so adding an implementation means adding a case to fsv4_impl() and
 * one branch below; nothing else in this file needs to change.
 */
static void fsv4_sha256_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
#if FSV4_HAVE_SHANI
    if (fsv4_impl() == FSV4_IMPL_SHANI) {
        fsv4_sha256_blocks_shani(h, p, nblocks);
        return;
    }
#endif
    fsv4_sha256_blocks_portable(h, p, nblocks);
}

const char *fsv4_sha256_implementation(void)
{
    switch (fsv4_impl()) {
    case FSV4_IMPL_SHANI:
        return "sha-ni";
    default:
        return "portable";
    }
}

void fsv4_sha256_init(fsv4_sha256_ctx *ctx)
{
    memcpy(ctx->h, H0, sizeof H0);
    ctx->length = 0;
    ctx->buf_len = 0;
}

void fsv4_sha256_update(fsv4_sha256_ctx *ctx, const uint8_t *data, size_t len)
{
    size_t nblocks;

    /* Also makes (NULL, 0) legal: memcpy with NULL is UB even for 0 bytes. */
    if (len == 0)
        return;
    ctx->length += len;

    if (ctx->buf_len) {
        size_t take = 64 - ctx->buf_len;
        if (take > len)
            take = len;
        memcpy(ctx->buf + ctx->buf_len, data, take);
        ctx->buf_len += take;
        data += take;
        len -= take;
        if (ctx->buf_len < 64)
            return;
        fsv4_sha256_blocks(ctx->h, ctx->buf, 1);
        ctx->buf_len = 0;
    }

    /* Whole blocks straight from the caller's memory: no copy. */
    nblocks = len / 64;
    if (nblocks) {
        fsv4_sha256_blocks(ctx->h, data, nblocks);
        data += nblocks * 64;
        len -= nblocks * 64;
    }

    if (len) {
        memcpy(ctx->buf, data, len);
        ctx->buf_len = len;
    }
}

void fsv4_sha256_final(fsv4_sha256_ctx *ctx, uint8_t out[32])
{
    size_t n = ctx->buf_len;
    int i;

    ctx->buf[n++] = 0x80;
    /* Need 8 bytes for the length; if they don't fit, pad out an extra block. */
    if (n > 56) {
        memset(ctx->buf + n, 0, 64 - n);
        fsv4_sha256_blocks(ctx->h, ctx->buf, 1);
        n = 0;
    }
    memset(ctx->buf + n, 0, 56 - n);
    store_be64(ctx->buf + 56, ctx->length << 3);
    fsv4_sha256_blocks(ctx->h, ctx->buf, 1);

    for (i = 0; i < 8; i++)
        store_be32(out + 4 * i, ctx->h[i]);
}

void fsv4_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    fsv4_sha256_ctx ctx;
    fsv4_sha256_init(&ctx);
    fsv4_sha256_update(&ctx, data, len);
    fsv4_sha256_final(&ctx, out);
}

void fsv4_hmac_key_init(fsv4_hmac_key *k, const uint8_t *key, size_t key_len)
{
    uint8_t kb[64], pad[64];
    int i;

    memset(kb, 0, sizeof kb);
    if (key_len > 64)
        fsv4_sha256(key, key_len, kb);
    else if (key_len)
        memcpy(kb, key, key_len);

    for (i = 0; i < 64; i++)
        pad[i] = (uint8_t)(kb[i] ^ 0x36);
    fsv4_sha256_init(&k->inner);
    fsv4_sha256_update(&k->inner, pad, 64);

    for (i = 0; i < 64; i++)
        pad[i] = (uint8_t)(kb[i] ^ 0x5c);
    fsv4_sha256_init(&k->outer);
    fsv4_sha256_update(&k->outer, pad, 64);

    /* Padded keys are key-equivalent; don't leave them on the stack. */
    wipe(kb, sizeof kb);
    wipe(pad, sizeof pad);
}

void fsv4_hmac(const fsv4_hmac_key *k, const uint8_t *msg, size_t len,
               uint8_t out[32])
{
    fsv4_sha256_ctx c;
    uint8_t blk[64];
    uint32_t h[8];
    int i;

    /* The pad contexts always sit on a block boundary (length 64, empty
     * buffer), so copy just the chaining state rather than the whole ctx. */
    memcpy(c.h, k->inner.h, sizeof c.h);
    c.length = 64;
    c.buf_len = 0;
    fsv4_sha256_update(&c, msg, len);
    fsv4_sha256_final(&c, blk);

    /* Outer hash input is always opad-block + 32-byte digest, so its single
     * final block is fixed-shape: build it directly, skip update/final. */
    blk[32] = 0x80;
    memset(blk + 33, 0, 64 - 33);
    blk[62] = 0x03; /* (64 + 32) * 8 = 768 bits = 0x0300 */
    memcpy(h, k->outer.h, sizeof h);
    fsv4_sha256_blocks(h, blk, 1);

    for (i = 0; i < 8; i++)
        store_be32(out + 4 * i, h[i]);
}

void fsv4_hmac_oneshot(const uint8_t *key, size_t key_len,
                       const uint8_t *msg, size_t len, uint8_t out[32])
{
    fsv4_hmac_key k;
    fsv4_hmac_key_init(&k, key, key_len);
    fsv4_hmac(&k, msg, len, out);
    wipe(&k, sizeof k);
}

void fsv4_hex_lower(const uint8_t *in, size_t len, char *out)
{
    /* Both digits of a byte in one lookup: half the work of a digit at a time, and
     * every signature, payload hash and canonical request hash goes through here. */
    static const char pairs[513] =
    "000102030405060708090a0b0c0d0e0f"
    "101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f"
    "303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f"
    "505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f"
    "707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f"
    "909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
    "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
    size_t i;

    for (i = 0; i < len; i++)
        memcpy(out + 2 * i, pairs + 2 * in[i], 2);
}
