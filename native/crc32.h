// CRC-32 (IEEE 802.3, as zlib's crc32), by which the main thread checks the chunks of a
// disk-cache entry it reads (the worker computed them with Node's zlib.crc32). Every byte
// read from an entry is checked once, so speed matters: a scan would spend a quarter of its
// time here at zlib's table speed. On x86-64 with PCLMULQDQ the data is folded 64 bytes at a
// time by carry-less multiplication (the method of Intel's paper "Fast CRC Computation for
// Generic Polynomials Using PCLMULQDQ", with the constants of the reflected IEEE
// polynomial); elsewhere a zlib inside Node (Linux, whose node exports it to addons) or a
// slicing-by-8 table serves.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define S3VFS_CRC_PCLMUL 1
#include <immintrin.h>
#endif

#if defined(__linux__)
extern "C" unsigned long crc32(unsigned long crc, const unsigned char* buf, unsigned int len) __attribute__((weak));
#endif

namespace s3vfs {

namespace crc32_detail {
struct Tables {
  uint32_t t[8][256];
  Tables() {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (int s = 1; s < 8; s++) {
      for (int i = 0; i < 256; i++) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
};

inline const Tables& Table() {
  static const Tables tables;
  return tables;
}

// Continues the register `c` (not inverted) over n bytes, 8 at a time (little-endian hosts,
// as every host of Node is).
inline uint32_t Sliced(uint32_t c, const uint8_t* p, size_t n) {
  const auto& t = Table().t;
  while (n >= 8) {
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + 4, 4);
    a ^= c;
    c = t[7][a & 0xff] ^ t[6][(a >> 8) & 0xff] ^ t[5][(a >> 16) & 0xff] ^ t[4][a >> 24] ^ t[3][b & 0xff] ^
        t[2][(b >> 8) & 0xff] ^ t[1][(b >> 16) & 0xff] ^ t[0][b >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c;
}

#if S3VFS_CRC_PCLMUL
// x * k, its low and high halves multiplied by k's, folded onto `next`.
__attribute__((target("pclmul,sse4.1"))) inline __m128i Fold(__m128i x, __m128i k, __m128i next) {
  __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

// Continues the register `c` over n bytes: n >= 64 and a multiple of 16.
__attribute__((target("pclmul,sse4.1"))) inline uint32_t Folded(uint32_t c, const uint8_t* p, size_t n) {
  // x^(4*128+32) and x^(4*128-32) mod P, then the same for 128 bits, x^64 mod P, and for
  // the Barrett reduction P itself and floor(x^64 / P), all bit-reflected.
  const __m128i by4 = _mm_set_epi64x(0x1c6e41596LL, 0x154442bd4LL);
  const __m128i by1 = _mm_set_epi64x(0x0ccaa009eLL, 0x1751997d0LL);
  const __m128i to32 = _mm_set_epi64x(0, 0x163cd6124LL);
  const __m128i barrett = _mm_set_epi64x(0x1F7011641LL, 0x1DB710641LL);
  const __m128i low32 = _mm_set_epi32(0, 0, 0, -1);
  auto load = [](const uint8_t* at) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at)); };
  __m128i x1 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(c)));
  __m128i x2 = load(p + 16), x3 = load(p + 32), x4 = load(p + 48);
  for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
    x1 = Fold(x1, by4, load(p));
    x2 = Fold(x2, by4, load(p + 16));
    x3 = Fold(x3, by4, load(p + 32));
    x4 = Fold(x4, by4, load(p + 48));
  }
  x1 = Fold(Fold(Fold(x1, by1, x2), by1, x3), by1, x4);
  for (; n >= 16; p += 16, n -= 16) x1 = Fold(x1, by1, load(p));
  // 128 bits to 64, to 32, then the remainder by Barrett reduction.
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(x1, by1, 0x10), _mm_srli_si128(x1, 8));
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, low32), to32, 0x00), _mm_srli_si128(x1, 4));
  __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x1, low32), barrett, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
  return static_cast<uint32_t>(_mm_extract_epi32(_mm_xor_si128(t, x1), 1));
}

inline bool HasPclmul() {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return has;
}
#endif
}  // namespace crc32_detail

// Combining CRC32s (as zlib's crc32_combine): the CRC32 of A followed by B, n bytes long, is
// MultModP(ShiftBytes(n), crc(A)) ^ crc(B): A's register shifted by n bytes, a
// multiplication by x^(8n) modulo the polynomial, in the reflected bit order CRC-32 uses.
namespace crc32_detail {
// a(x) * b(x) mod P.
inline uint32_t MultModP(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t m = 1u << 31; m != 0; m >>= 1) {
    if (a & m) product ^= b;
    b = (b & 1) ? (b >> 1) ^ 0xEDB88320u : b >> 1;
  }
  return product;
}

// x^(8 len) mod P.
inline uint32_t ShiftBytes(uint64_t len) {
  uint32_t power = 1u << 31;  // x^0
  uint32_t square = 1u << 23;  // x^8: a byte
  for (; len != 0; len >>= 1, square = MultModP(square, square)) {
    if (len & 1) power = MultModP(square, power);
  }
  return power;
}
}  // namespace crc32_detail

// `table`: the slicing-by-8 table whatever the machine has (for tests).
inline uint32_t Crc32(const uint8_t* p, size_t n, bool table = false) {
  if (table) return ~crc32_detail::Sliced(0xFFFFFFFFu, p, n);
#if S3VFS_CRC_PCLMUL
  if (n >= 64 && crc32_detail::HasPclmul()) {
    size_t folded = n & ~static_cast<size_t>(15);
    uint32_t c = crc32_detail::Folded(0xFFFFFFFFu, p, folded);
    return ~crc32_detail::Sliced(c, p + folded, n - folded);
  }
#elif defined(__linux__)
  if (::crc32 != nullptr && n <= 0xFFFFFFFFu) return static_cast<uint32_t>(::crc32(0, p, static_cast<unsigned int>(n)));
#endif
  return ~crc32_detail::Sliced(0xFFFFFFFFu, p, n);
}

}  // namespace s3vfs
