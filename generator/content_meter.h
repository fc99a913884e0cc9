// ContentMeter: measures compressibility and 4 KiB-chunk dedup of file contents, the
// one way both sfsg-scan (on sampled real files) and the tests (on generated files)
// measure them, so "within 10% of the profile" compares like with like.
//
// Method: each file's sampled bytes are compressed whole, as one zstd frame at level 3
// (what `zstd FILE`, or a copy onto ZFS/btrfs with large records, sees); a prefix
// stands for its whole file at the prefix's ratio. The compression ratio is the sum of
// file bytes over the sum of (estimated) compressed bytes: byte-weighted. Dedup: every 4
// KiB-aligned chunk of each file (a short final chunk included) is hashed with XXH3-128; the dedup
// ratio is chunks over distinct hashes, over everything added. All-zero 4 KiB chunks are counted
// too.
//
// Thread-compatible: one ContentMeter per thread, then Merge(). Memory: 16 bytes per
// distinct chunk (so bound the sample; sfsg-scan samples at most a few GiB).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

namespace sfsg {

struct ContentMeasure {
  uint64_t files = 0;
  uint64_t bytes = 0;           // file bytes the measure stands for (whole files)
  uint64_t read_bytes = 0;      // bytes read and compressed (prefixes)
  double compressed_bytes = 0;  // estimated for whole files
  uint64_t chunks = 0;
  uint64_t zero_chunks = 0;
  double compression_ratio() const;  // 1 when nothing was measured
  ContentMeasure& operator+=(const ContentMeasure& other);  // adds every count
};

class ContentMeter {
 public:
  ContentMeter();
  ~ContentMeter();
  ContentMeter(ContentMeter&&) noexcept;
  ContentMeter& operator=(ContentMeter&&) noexcept;

  // Adds one file's bytes (the whole file or a prefix), under a class key (the extension).
  void AddFile(const std::string& key, std::span<const std::byte> data);
  // The same for a prefix `data` of a file of `file_bytes` bytes: its compression counts
  // for the whole file (bytes += file_bytes), its chunks only for what was read.
  void AddFile(const std::string& key, std::span<const std::byte> data, uint64_t file_bytes);
  void Merge(ContentMeter&& other);

  // Per key, and over all keys.
  const std::map<std::string, ContentMeasure>& by_key() const;
  ContentMeasure total() const;
  double dedup_ratio() const;  // 1 when nothing was measured
  double zero_chunk_fraction() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sfsg
