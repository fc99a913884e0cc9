#include "generator/content_meter.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace sfsg {
namespace {

constexpr size_t kDedupChunkBytes = 4096;
constexpr int kZstdLevel = 3;

// An open-addressing set of 128-bit chunk hashes: 16 bytes per slot, at most 3/4 full,
// so memory stays near the header's 16 bytes per distinct chunk (a node-based set would
// cost three times that). The all-zero hash is kept as a flag, not a slot.
class HashSet {
 public:
  size_t size() const { return size_ + (has_zero_ ? 1 : 0); }

  void Insert(XXH128_hash_t h) {
    if (h.low64 == 0 && h.high64 == 0) {
      has_zero_ = true;
      return;
    }
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    if (Place(slots_, h)) ++size_;
  }

  void InsertAll(const HashSet& other) {
    if (other.has_zero_) has_zero_ = true;
    for (const XXH128_hash_t& h : other.slots_)
      if (h.low64 != 0 || h.high64 != 0) Insert(h);
  }

 private:
  // Returns true when h was not present.
  static bool Place(std::vector<XXH128_hash_t>& slots, XXH128_hash_t h) {
    const size_t mask = slots.size() - 1;
    for (size_t i = static_cast<size_t>(h.low64) & mask;; i = (i + 1) & mask) {
      XXH128_hash_t& slot = slots[i];
      if (slot.low64 == 0 && slot.high64 == 0) {
        slot = h;
        return true;
      }
      if (slot.low64 == h.low64 && slot.high64 == h.high64) return false;
    }
  }

  void Grow() {
    std::vector<XXH128_hash_t> bigger(slots_.empty() ? 1024 : slots_.size() * 2,
                                      XXH128_hash_t{0, 0});
    for (const XXH128_hash_t& h : slots_)
      if (h.low64 != 0 || h.high64 != 0) Place(bigger, h);
    slots_.swap(bigger);
  }

  std::vector<XXH128_hash_t> slots_;
  size_t size_ = 0;
  bool has_zero_ = false;
};

bool AllZero(const std::byte* data, size_t n) {
  static constexpr std::byte kZeros[kDedupChunkBytes] = {};
  return std::memcmp(data, kZeros, n) == 0;
}

}  // namespace

double ContentMeasure::compression_ratio() const {
  if (bytes == 0 || compressed_bytes <= 0) return 1.0;
  return static_cast<double>(bytes) / compressed_bytes;
}

struct ContentMeter::Impl {
  std::map<std::string, ContentMeasure> by_key;
  HashSet distinct;
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx{ZSTD_createCCtx(), ZSTD_freeCCtx};
  std::vector<char> compressed;
};

ContentMeter::ContentMeter() : impl_(std::make_unique<Impl>()) {}
ContentMeter::~ContentMeter() = default;
ContentMeter::ContentMeter(ContentMeter&&) noexcept = default;
ContentMeter& ContentMeter::operator=(ContentMeter&&) noexcept = default;

void ContentMeter::AddFile(const std::string& key, std::span<const std::byte> data) {
  AddFile(key, data, data.size());
}

void ContentMeter::AddFile(const std::string& key, std::span<const std::byte> data,
                           uint64_t file_bytes) {
  ContentMeasure& m = impl_->by_key[key];
  m.files += 1;
  m.read_bytes += data.size();
  // One frame over everything read, as a whole-file copy onto compressing storage or
  // `zstd FILE` sees it (long-range matches included; 128 KiB chunks measured html
  // and markdown 5-7% below their whole-file ratio).
  impl_->compressed.resize(std::max(impl_->compressed.size(), ZSTD_compressBound(data.size())));
  const size_t out =
      ZSTD_compressCCtx(impl_->cctx.get(), impl_->compressed.data(), impl_->compressed.size(),
                        data.data(), data.size(), kZstdLevel);
  // zstd cannot fail on a bound-sized buffer; count a failure as stored, not compressed.
  const double compressed = static_cast<double>(ZSTD_isError(out) ? data.size() : out);
  // A prefix stands for the whole file at the prefix's ratio.
  const uint64_t logical = std::max<uint64_t>(file_bytes, data.size());
  m.bytes += logical;
  m.compressed_bytes +=
      data.empty() ? compressed
                   : compressed * static_cast<double>(logical) / static_cast<double>(data.size());
  for (size_t at = 0; at < data.size(); at += kDedupChunkBytes) {
    const size_t n = std::min(kDedupChunkBytes, data.size() - at);
    impl_->distinct.Insert(XXH3_128bits(data.data() + at, n));
    m.chunks += 1;
    if (n == kDedupChunkBytes && AllZero(data.data() + at, n)) m.zero_chunks += 1;
  }
}

ContentMeasure& ContentMeasure::operator+=(const ContentMeasure& other) {
  files += other.files;
  bytes += other.bytes;
  read_bytes += other.read_bytes;
  compressed_bytes += other.compressed_bytes;
  chunks += other.chunks;
  zero_chunks += other.zero_chunks;
  return *this;
}

void ContentMeter::Merge(ContentMeter&& other) {
  for (const auto& [key, theirs] : other.impl_->by_key) impl_->by_key[key] += theirs;
  impl_->distinct.InsertAll(other.impl_->distinct);
  other.impl_ = std::make_unique<Impl>();
}

const std::map<std::string, ContentMeasure>& ContentMeter::by_key() const { return impl_->by_key; }

ContentMeasure ContentMeter::total() const {
  ContentMeasure t;
  for (const auto& [key, m] : impl_->by_key) t += m;
  return t;
}

double ContentMeter::dedup_ratio() const {
  const uint64_t chunks = total().chunks;
  const size_t distinct = impl_->distinct.size();
  if (chunks == 0 || distinct == 0) return 1.0;
  return static_cast<double>(chunks) / static_cast<double>(distinct);
}

double ContentMeter::zero_chunk_fraction() const {
  const ContentMeasure t = total();
  if (t.chunks == 0) return 0.0;
  return static_cast<double>(t.zero_chunks) / static_cast<double>(t.chunks);
}

}  // namespace sfsg
