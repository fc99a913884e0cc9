#include "generator/content_model.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#include <sys/auxv.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>

#include "generator/util/hash.h"

namespace sfsg {
namespace {

// Random bytes: two AES rounds over a counter. Block j (16 bytes) of the run keyed by
// `key` is AESENC(AESENC(C_j, K), K) with C_j = (key, j) and K = (key * kKeyMul, the
// same), each a pair of little-endian 64-bit words; AESENC is one AES round (ShiftRows,
// SubBytes, MixColumns, xor the round key), the x86 instruction's definition. Two
// rounds carry every input byte into every output byte: nothing a compressor or a
// dedup engine can exploit (this is not for secrecy). One instruction per round where
// the CPU has AES (two blocks at once with VAES), so the fill is bound by stores.
constexpr uint64_t kKeyMul = 0x9E3779B97F4A7C15ull;
// Text-like literals, in each 16-byte block: byte 0 the low 6 bits of a random byte
// plus 0x3F (64 printable symbols, '?'..'~'), bytes 1-12 the low 5 bits plus 0x40 (32
// symbols, '@'..'_'), and bytes 13-15 a copy of bytes 5-7. After an entropy coder the
// symbols keep about 0.65 of their bytes, and so does real text: lz4 -1, which codes no
// entropy, keeps 1.47-1.56 x what zstd -3 keeps of html, markdown and JavaScript. The
// 3-byte copy 8 bytes back is a match for deflate (3-byte matches) and nothing for zstd
// (5 at levels 1-3, 4 for a repeat offset) or lz4 (4): gzip -6 beats zstd -3 on real
// text by 2-7% (it takes the short matches of words), and on these bytes by 5-8%.
constexpr uint8_t kPrintableMask[16] = {0x3F, 0x1F, 0x1F, 0x1F, 0x1F, 0x1F, 0x1F, 0x1F,
                                        0x1F, 0x1F, 0x1F, 0x1F, 0x1F, 0x1F, 0x1F, 0x1F};
constexpr uint8_t kPrintableBase[16] = {0x3F, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40,
                                        0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40};
// Where each byte of a printable block comes from (a byte shuffle).
constexpr uint8_t kPrintableFrom[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 5, 6, 7};

// The AES S-box, computed (FIPS-197 5.1.1: the multiplicative inverse in GF(2^8), then
// the affine map): 3 generates the field's multiplicative group, so walking p = 3^i
// and q = 3^-i visits every inverse pair.
struct SBox {
  uint8_t at[256];
  SBox() {
    auto rotl = [](unsigned x, int n) { return static_cast<uint8_t>((x << n) | (x >> (8 - n))); };
    unsigned p = 1, q = 1;
    do {
      p = (p ^ (p << 1) ^ ((p & 0x80) != 0 ? 0x1B : 0)) & 0xFF;  // p * 3
      q ^= q << 1;                                               // q / 3
      q ^= q << 2;
      q ^= q << 4;
      q &= 0xFF;
      if ((q & 0x80) != 0) q ^= 0x09;
      at[p] = static_cast<uint8_t>(q ^ rotl(q, 1) ^ rotl(q, 2) ^ rotl(q, 3) ^ rotl(q, 4) ^ 0x63);
    } while (p != 1);
    at[0] = 0x63;
  }
};

// One round as table lookups on four 32-bit columns (little-endian: byte r of column c
// is state byte 4c + r): SubBytes, ShiftRows and MixColumns together are one lookup
// per byte, T[x] = (2 S[x], S[x], S[x], 3 S[x]) rotated by the byte's row.
struct RoundTable {
  uint32_t at[256];
  RoundTable() {
    const SBox sbox;
    for (unsigned x = 0; x < 256; ++x) {
      const uint32_t s1 = sbox.at[x];
      const uint32_t s2 = ((s1 << 1) ^ ((s1 & 0x80) != 0 ? 0x1B : 0)) & 0xFF;
      at[x] = s2 | (s1 << 8) | (s1 << 16) | ((s2 ^ s1) << 24);
    }
  }
};

inline uint32_t Rotl32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

inline void AesRoundColumns(uint32_t col[4], const uint32_t round_key[4]) {
  static const RoundTable table;
  uint32_t out[4];
  for (int c = 0; c < 4; ++c)
    out[c] = table.at[col[c] & 0xFF] ^ Rotl32(table.at[(col[(c + 1) % 4] >> 8) & 0xFF], 8) ^
             Rotl32(table.at[(col[(c + 2) % 4] >> 16) & 0xFF], 16) ^
             Rotl32(table.at[col[(c + 3) % 4] >> 24], 24) ^ round_key[c];
  for (int c = 0; c < 4; ++c) col[c] = out[c];
}

inline uint32_t LoadColumn(const uint8_t* at) {
  return at[0] | (uint32_t{at[1]} << 8) | (uint32_t{at[2]} << 16) | (uint32_t{at[3]} << 24);
}

// The state's 16 bytes, column 0 first (the order AESENC keeps them in a register).
inline void StoreColumns(const uint32_t col[4], uint8_t out[16]) {
  for (int i = 0; i < 16; ++i) out[i] = static_cast<uint8_t>(col[i / 4] >> (8 * (i % 4)));
}

}  // namespace

namespace internal {

void AesRoundPortable(const uint8_t in[16], const uint8_t round_key[16], uint8_t out[16]) {
  uint32_t col[4], key[4];
  for (int c = 0; c < 4; ++c) {
    col[c] = LoadColumn(in + 4 * c);
    key[c] = LoadColumn(round_key + 4 * c);
  }
  AesRoundColumns(col, key);
  StoreColumns(col, out);
}

}  // namespace internal

namespace {

// Stores the first `bytes` (8 or 16) of a block computed elsewhere.
inline void StoreBlock(std::byte* at, const void* block, size_t bytes) {
  std::memcpy(at, block, bytes);
}

}  // namespace

namespace internal {

void RandomWordsPortable(uint64_t key, std::byte* out, size_t count, bool printable) {
  const uint64_t k = key * kKeyMul;
  const uint32_t round_key[4] = {static_cast<uint32_t>(k), static_cast<uint32_t>(k >> 32),
                                 static_cast<uint32_t>(k), static_cast<uint32_t>(k >> 32)};
  for (size_t j = 0; 2 * j < count; ++j) {
    uint32_t col[4] = {static_cast<uint32_t>(key), static_cast<uint32_t>(key >> 32),
                       static_cast<uint32_t>(j), static_cast<uint32_t>(uint64_t{j} >> 32)};
    AesRoundColumns(col, round_key);
    AesRoundColumns(col, round_key);
    uint8_t block[16];
    StoreColumns(col, block);
    if (printable) {
      uint8_t mapped[16];
      for (int i = 0; i < 16; ++i)
        mapped[i] = static_cast<uint8_t>((block[i] & kPrintableMask[i]) + kPrintableBase[i]);
      for (int i = 0; i < 16; ++i) block[i] = mapped[kPrintableFrom[i]];
    }
    StoreBlock(out + 16 * j, block, 2 * j + 1 < count ? 16 : 8);
  }
}

}  // namespace internal

namespace {

#if defined(__x86_64__)

// Block j of the run: two AESENC of (key, j).
__attribute__((target("aes,ssse3"), always_inline)) inline __m128i AesBlock(uint64_t key,
                                                                            uint64_t j,
                                                                            __m128i round_key,
                                                                            bool printable) {
  const __m128i c = _mm_set_epi64x(static_cast<long long>(j), static_cast<long long>(key));
  const __m128i b = _mm_aesenc_si128(_mm_aesenc_si128(c, round_key), round_key);
  if (!printable) return b;
  const __m128i mask = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kPrintableMask));
  const __m128i base = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kPrintableBase));
  const __m128i from = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kPrintableFrom));
  return _mm_shuffle_epi8(_mm_add_epi8(_mm_and_si128(b, mask), base), from);
}

// Blocks j onwards of a run of `count` words, one at a time (the last may be half).
__attribute__((target("aes,ssse3"), always_inline)) inline void AesTail(
    uint64_t key, size_t j, size_t count, __m128i round_key, bool printable, std::byte* out) {
  for (; 2 * j < count; ++j) {
    const __m128i b = AesBlock(key, j, round_key, printable);
    StoreBlock(out + 16 * j, &b, 2 * j + 1 < count ? 16 : 8);
  }
}

// The same bytes a block at a time with AES-NI, four blocks in flight.
__attribute__((target("aes,ssse3"))) void RandomWordsAesni(uint64_t key, std::byte* out,
                                                           size_t count, bool printable) {
  const __m128i round_key = _mm_set1_epi64x(static_cast<long long>(key * kKeyMul));
  const size_t blocks = count / 2;
  size_t j = 0;
  for (; j + 4 <= blocks; j += 4) {
    const __m128i b0 = AesBlock(key, j, round_key, printable),
                  b1 = AesBlock(key, j + 1, round_key, printable),
                  b2 = AesBlock(key, j + 2, round_key, printable),
                  b3 = AesBlock(key, j + 3, round_key, printable);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * j), b0);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * j + 16), b1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * j + 32), b2);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16 * j + 48), b3);
  }
  AesTail(key, j, count, round_key, printable, out);
}

// Two blocks: two AESENC of each 128-bit lane.
__attribute__((target("avx2,aes,vaes"), always_inline)) inline __m256i AesBlocks(__m256i counters,
                                                                                 __m256i round_key,
                                                                                 bool printable) {
  const __m256i b = _mm256_aesenc_epi128(_mm256_aesenc_epi128(counters, round_key), round_key);
  if (!printable) return b;
  const __m256i mask = _mm256_broadcastsi128_si256(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(kPrintableMask)));
  const __m256i base = _mm256_broadcastsi128_si256(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(kPrintableBase)));
  const __m256i from = _mm256_broadcastsi128_si256(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(kPrintableFrom)));
  return _mm256_shuffle_epi8(_mm256_add_epi8(_mm256_and_si256(b, mask), base), from);
}

// The same bytes two blocks per instruction with VAES, four blocks per step.
__attribute__((target("avx2,aes,vaes"))) void RandomWordsVaes(uint64_t key, std::byte* out,
                                                              size_t count, bool printable) {
  const __m256i round_key = _mm256_set1_epi64x(static_cast<long long>(key * kKeyMul));
  const long long k = static_cast<long long>(key);
  __m256i first = _mm256_set_epi64x(1, k, 0, k);   // blocks j, j + 1
  __m256i second = _mm256_set_epi64x(3, k, 2, k);  // blocks j + 2, j + 3
  const __m256i step = _mm256_set_epi64x(4, 0, 4, 0);
  const size_t blocks = count / 2;
  size_t j = 0;
  for (; j + 4 <= blocks; j += 4) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16 * j),
                        AesBlocks(first, round_key, printable));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16 * j + 32),
                        AesBlocks(second, round_key, printable));
    first = _mm256_add_epi64(first, step);
    second = _mm256_add_epi64(second, step);
  }
  AesTail(key, j, count, _mm256_castsi256_si128(round_key), printable, out);
}

#elif defined(__aarch64__)

#if defined(__clang__)
#define SFSG_TARGET_AES __attribute__((target("aes")))
#else
#define SFSG_TARGET_AES __attribute__((target("+crypto")))
#endif

// Block j of the run with the Armv8 AES instructions. AESE is xor-key, ShiftRows,
// SubBytes and AESMC is MixColumns, so AESENC(x, K) = AESMC(AESE(x, 0)) ^ K, and the
// first round's key folds into the second AESE.
SFSG_TARGET_AES inline uint8x16_t AesBlock(uint64_t key, uint64_t j, uint8x16_t round_key,
                                           bool printable) {
  const uint8x16_t c = vreinterpretq_u8_u64(vcombine_u64(vcreate_u64(key), vcreate_u64(j)));
  const uint8x16_t once = vaesmcq_u8(vaeseq_u8(c, vdupq_n_u8(0)));
  const uint8x16_t b = veorq_u8(vaesmcq_u8(vaeseq_u8(once, round_key)), round_key);
  if (!printable) return b;
  return vqtbl1q_u8(vaddq_u8(vandq_u8(b, vld1q_u8(kPrintableMask)), vld1q_u8(kPrintableBase)),
                    vld1q_u8(kPrintableFrom));
}

// The same bytes as the portable path, four blocks in flight.
SFSG_TARGET_AES void RandomWordsArmAes(uint64_t key, std::byte* out, size_t count, bool printable) {
  const uint8x16_t round_key = vreinterpretq_u8_u64(vdupq_n_u64(key * kKeyMul));
  auto* bytes = reinterpret_cast<uint8_t*>(out);
  const size_t blocks = count / 2;
  size_t j = 0;
  for (; j + 4 <= blocks; j += 4) {
    const uint8x16_t b0 = AesBlock(key, j, round_key, printable),
                     b1 = AesBlock(key, j + 1, round_key, printable),
                     b2 = AesBlock(key, j + 2, round_key, printable),
                     b3 = AesBlock(key, j + 3, round_key, printable);
    vst1q_u8(bytes + 16 * j, b0);
    vst1q_u8(bytes + 16 * j + 16, b1);
    vst1q_u8(bytes + 16 * j + 32, b2);
    vst1q_u8(bytes + 16 * j + 48, b3);
  }
  for (; 2 * j < count; ++j) {
    const uint8x16_t b = AesBlock(key, j, round_key, printable);
    StoreBlock(out + 16 * j, &b, 2 * j + 1 < count ? 16 : 8);
  }
}

#endif

}  // namespace

namespace internal {

std::span<const RandomWordsPath> RandomWordsPaths() {
#if defined(__x86_64__)
  // clang's __builtin_cpu_supports does not know "vaes": CPUID leaf 7, ECX bit 9.
  static const bool aes = __builtin_cpu_supports("aes") && __builtin_cpu_supports("ssse3");
  static const bool vaes = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 9)) != 0 && aes &&
           __builtin_cpu_supports("avx2");
  }();
  static const RandomWordsPath paths[] = {{"portable", RandomWordsPortable, true},
                                          {"aes-ni", RandomWordsAesni, aes},
                                          {"vaes", RandomWordsVaes, vaes}};
#elif defined(__aarch64__)
  static const RandomWordsPath paths[] = {
      {"portable", RandomWordsPortable, true},
      {"armv8-aes", RandomWordsArmAes, (getauxval(AT_HWCAP) & HWCAP_AES) != 0}};
#else
  static const RandomWordsPath paths[] = {{"portable", RandomWordsPortable, true}};
#endif
  return paths;
}

const RandomWordsPath& FastestRandomWordsPath() {
  const std::span<const RandomWordsPath> paths = RandomWordsPaths();
  for (size_t i = paths.size() - 1; i > 0; --i)
    if (paths[i].runs_here) return paths[i];
  return paths[0];
}

}  // namespace internal

namespace {

constexpr uint64_t kBlockTag = 0xb10c;
constexpr uint64_t kPoolTag = 0x9001;
constexpr uint64_t kZeroTag = 0x2e80;

// Calibration of the literal runs against zstd level 3 on whole 1 MiB files (see
// content_meter_test.cc): compressed bytes per block ~ literal * entropy + cost, the
// cost being the eight segments' matches (fitted over ratios 1.2-40, 2026-12-04).
constexpr double kBinaryBlockCost = 23.0;
constexpr double kTextBlockCost = 18.0;
constexpr double kTextEntropy = 0.653;  // kPrintableMask's symbols, after zstd's Huffman stage
// Dedup pool per class; the sample size the dedup ratio is solved for (blocks).
constexpr double kDedupSampleBlocks = 65536;

// Random bytes, or with `printable` printable symbols (kPrintableMask: 6 bits at byte 0
// of each 16, 5 at the others, bytes 13-15 a copy of bytes 5-7).
void RandomWords(uint64_t key, std::byte* out, size_t count, bool printable) {
  static const internal::RandomWordsFn fastest = internal::FastestRandomWordsPath().fill;
  fastest(key, out, count, printable);
}

// Fraction p of pooled blocks that yields `dedup_ratio` over a sample of n blocks when
// a fraction z of blocks are all-zero: chunks / distinct = R with
// distinct = n (1 - z - p) + pool + 1.
double PooledFraction(double dedup_ratio, double zero_fraction) {
  const double n = kDedupSampleBlocks;
  const double pool = static_cast<double>(ContentModel::kPoolBlocks);
  const double p = 1.0 - zero_fraction - 1.0 / dedup_ratio + (pool + 1.0) / n;
  return std::clamp(p, 0.0, std::max(0.0, 1.0 - zero_fraction));
}

}  // namespace

ContentClass MakeContentClass(std::string name, double compression_ratio, double dedup_ratio,
                              bool text_like) {
  ContentClass c;
  c.name = std::move(name);
  c.compression_ratio = std::max(1.0, compression_ratio);
  c.dedup_ratio = std::max(1.0, dedup_ratio);
  c.text_like = text_like;
  const double entropy = text_like ? kTextEntropy : 1.0;
  const double cost = text_like ? kTextBlockCost : kBinaryBlockCost;
  const double literal = (ContentModel::kBlockBytes / c.compression_ratio - cost) / entropy;
  c.literal_bytes = static_cast<uint32_t>(
      std::clamp(std::round(literal / 8) * 8, 8.0, static_cast<double>(ContentModel::kBlockBytes)));
  return c;
}

ContentModel::ContentModel(const Profile& profile, uint64_t seed) : seed_(seed) {
  const double zero = std::clamp(profile.content.zero_chunk_fraction, 0.0, 0.5);
  zero_threshold_ = static_cast<uint64_t>(zero * 0x1.0p64);
  const double pooled = PooledFraction(profile.content.dedup_ratio, zero);
  // Zero blocks compress to nothing, so the other blocks carry the ratio alone.
  auto add = [&](std::string name, double ratio) {
    const double nonzero_ratio = std::max(1.0, ratio * (1.0 - zero));
    ContentClass c = MakeContentClass(std::move(name), nonzero_ratio, profile.content.dedup_ratio,
                                      nonzero_ratio >= 2.0);
    c.compression_ratio = ratio;
    c.dedup_threshold = static_cast<uint64_t>(std::min(pooled, 1.0 - 1e-9) * 0x1.0p64);
    classes_.push_back(std::move(c));
  };
  add("default", profile.content.compression_ratio);
  for (const ExtensionStats& e : profile.extensions)
    add(e.ext, e.compression_ratio > 0 ? e.compression_ratio : profile.content.compression_ratio);
}

uint16_t ContentModel::ClassOfExtension(std::string_view ext) const {
  for (size_t i = 1; i < classes_.size(); ++i)
    if (classes_[i].name == ext) return static_cast<uint16_t>(i);
  return 0;
}

void ContentModel::FillBlock(const ContentClass& cls, uint16_t class_index, uint64_t file_key,
                             uint64_t block, std::byte* out) const {
  const uint64_t choice = HashWords(seed_, kZeroTag, class_index, file_key, block);
  if (choice < zero_threshold_) {
    std::memset(out, 0, kBlockBytes);
    return;
  }
  // choice is already a hash of (seed, class, file, block): derive the rest from it.
  const uint64_t pool_draw = Mix64(choice);
  const uint64_t key =
      pool_draw < cls.dedup_threshold
          ? HashWords(seed_, kPoolTag, class_index, BoundedFromBits(Mix64(pool_draw), kPoolBlocks))
          : Mix64(choice ^ kBlockTag);
  // Each segment: its share of the literal words (the first segments take the
  // remainder), then repeats of them, one long match for an LZ compressor. Segments keep
  // every prefix of a file at the class's ratio: with one run per 4 KiB block, a file's
  // short last block (most of a small file) was nearly all literal.
  const size_t words = cls.literal_bytes / 8;
  for (size_t s = 0; s < kSegmentsPerBlock; ++s) {
    std::byte* segment = out + s * kSegmentBytes;
    const size_t literal_words = words / kSegmentsPerBlock + (s < words % kSegmentsPerBlock);
    if (literal_words == 0) {  // past the block's last literal (ratios above ~100)
      std::memcpy(segment, segment - kSegmentBytes, kSegmentBytes);
      continue;
    }
    RandomWords(key + s, segment, literal_words, cls.text_like);
    size_t filled = 8 * literal_words;
    while (filled < kSegmentBytes) {
      const size_t n = std::min<size_t>(filled, kSegmentBytes - filled);
      std::memcpy(segment + filled, segment, n);
      filled += n;
    }
  }
}

void ContentModel::Fill(uint16_t class_index, uint64_t file_key, uint64_t offset,
                        std::span<std::byte> out) const {
  const ContentClass& cls = classes_[class_index < classes_.size() ? class_index : 0];
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t at = offset + done;
    const uint64_t block = at / kBlockBytes;
    const size_t within = static_cast<size_t>(at % kBlockBytes);
    const size_t n = std::min<size_t>(kBlockBytes - within, out.size() - done);
    if (within == 0 && n == kBlockBytes) {
      FillBlock(cls, class_index, file_key, block, out.data() + done);
    } else {
      alignas(64) std::byte scratch[kBlockBytes];
      FillBlock(cls, class_index, file_key, block, scratch);
      std::memcpy(out.data() + done, scratch + within, n);
    }
    done += n;
  }
}

}  // namespace sfsg
