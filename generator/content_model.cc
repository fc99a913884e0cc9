#include "generator/content_model.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "generator/util/hash.h"

namespace sfsg {
namespace {

// Words are stored at any byte offset (a block's literal run follows its header), so
// every load and store goes through memcpy: one unaligned move once compiled, and no
// misaligned uint64_t access for UBSan (or the standard) to object to.
inline void StoreWord(std::byte* at, uint64_t word) { std::memcpy(at, &word, sizeof(word)); }
inline uint64_t LoadWord(const std::byte* at) {
  uint64_t word;
  std::memcpy(&word, at, sizeof(word));
  return word;
}

constexpr uint64_t kWordStep = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kLowMul = 0x9E3779B1ull, kHighMul = 0x85EBCA77ull;

// Counter-based random words: per 8 bytes, two 32x32->64 multiplies of the counter's
// halves (one vpmuludq each on AVX2) and no state carried between words. Far beyond
// what a compressor or a dedup engine can exploit; reproducibility comes from the
// per-block key.
inline uint64_t RandomWord(uint64_t counter) {
  const uint64_t low = (counter & 0xFFFFFFFFull) * kLowMul;
  const uint64_t high = (counter >> 32) * kHighMul;
  return low ^ ((high << 32) | (high >> 32)) ^ (counter >> 17);
}

}  // namespace

namespace internal {

void RandomWordsPortable(uint64_t key, std::byte* out, size_t count) {
  for (size_t i = 0; i < count; ++i) StoreWord(out + 8 * i, RandomWord(key + (i + 1) * kWordStep));
}

// The same words, eight at a time in two vectors (bit-identical to RandomWordsPortable;
// tested). Swapping a word's 32-bit halves is one dword shuffle, not two shifts and an
// or: the loop is bound by vector operations (as fast into L1 as into a 1 MiB buffer),
// and this takes it from 31-35 to about 48 GB/s here.
__attribute__((target("avx2"), always_inline)) inline __m256i RandomWordsOf(__m256i counter,
                                                                            __m256i low_mul,
                                                                            __m256i high_mul) {
  const __m256i low = _mm256_mul_epu32(counter, low_mul);
  const __m256i high = _mm256_mul_epu32(_mm256_srli_epi64(counter, 32), high_mul);
  const __m256i swapped = _mm256_shuffle_epi32(high, 0xB1);  // dwords 1,0,3,2
  return _mm256_xor_si256(_mm256_xor_si256(low, swapped), _mm256_srli_epi64(counter, 17));
}

__attribute__((target("avx2"))) void RandomWordsAvx2(uint64_t key, std::byte* out, size_t count) {
  __m256i first = _mm256_set_epi64x(
      static_cast<long long>(key + 4 * kWordStep), static_cast<long long>(key + 3 * kWordStep),
      static_cast<long long>(key + 2 * kWordStep), static_cast<long long>(key + kWordStep));
  __m256i second =
      _mm256_add_epi64(first, _mm256_set1_epi64x(static_cast<long long>(4 * kWordStep)));
  const __m256i step = _mm256_set1_epi64x(static_cast<long long>(8 * kWordStep));
  const __m256i low_mul = _mm256_set1_epi64x(kLowMul), high_mul = _mm256_set1_epi64x(kHighMul);
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * i),
                        RandomWordsOf(first, low_mul, high_mul));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * i + 32),
                        RandomWordsOf(second, low_mul, high_mul));
    first = _mm256_add_epi64(first, step);
    second = _mm256_add_epi64(second, step);
  }
  if (i + 4 <= count) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * i),
                        RandomWordsOf(first, low_mul, high_mul));
    i += 4;
  }
  for (; i < count; ++i) StoreWord(out + 8 * i, RandomWord(key + (i + 1) * kWordStep));
}

}  // namespace internal

namespace {

constexpr uint64_t kBlockTag = 0xb10c;
constexpr uint64_t kPoolTag = 0x9001;
constexpr uint64_t kZeroTag = 0x2e80;

// Calibration of the literal run against zstd level 3 on 128 KiB chunks (see
// content_model_test.cc): compressed bytes per block ~ literal * entropy + kBlockCost.
constexpr double kBlockCost = 14.0;
constexpr double kTextEntropy = 0.742;  // 6-bit symbols, after zstd's Huffman stage
// Dedup pool per class; the sample size the dedup ratio is solved for (blocks).
constexpr double kDedupSampleBlocks = 65536;

void RandomWords(uint64_t key, std::byte* out, size_t count) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) {
    internal::RandomWordsAvx2(key, out, count);
  } else {
    internal::RandomWordsPortable(key, out, count);
  }
}

__attribute__((target_clones("avx2", "default"))) void MakePrintable(std::byte* words,
                                                                     size_t count) {
  // Each byte -> 0x3F..0x7E ('?'..'~'): 64 printable symbols, no carries between bytes.
  for (size_t i = 0; i < count; ++i)
    StoreWord(words + 8 * i,
              (LoadWord(words + 8 * i) & 0x3F3F3F3F3F3F3F3Full) + 0x3F3F3F3F3F3F3F3Full);
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
  const double literal = (ContentModel::kBlockBytes / c.compression_ratio - kBlockCost) / entropy;
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
  const size_t literal_words = cls.literal_bytes / 8;
  RandomWords(key, out, literal_words);
  if (cls.text_like) MakePrintable(out, literal_words);
  // The rest repeats the literal run: one long match for an LZ compressor.
  size_t filled = cls.literal_bytes;
  while (filled < kBlockBytes) {
    const size_t n = std::min<size_t>(filled, kBlockBytes - filled);
    std::memcpy(out + filled, out, n);
    filled += n;
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
