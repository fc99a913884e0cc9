// ContentMeter: measures compressibility and 4 KiB-chunk dedup of file contents, the
// one way both sfsg-scan (on sampled real files) and the tests (on generated files)
// measure them, so "within 10% of the profile" compares like with like.
//
// Method: each file's sampled bytes are cut into 128 KiB chunks, each compressed
// independently by zstd at level 3; the compression ratio is the sum of input bytes
// over the sum of compressed bytes. Dedup: every 4 KiB-aligned chunk of each file (a
// short final chunk included) is hashed with XXH3-128; the dedup ratio is chunks over
// distinct hashes, over everything added. All-zero 4 KiB chunks are counted too.
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
  uint64_t bytes = 0;
  uint64_t compressed_bytes = 0;
  uint64_t chunks = 0;
  uint64_t zero_chunks = 0;
  double compression_ratio() const;  // 1 when nothing was measured
};

class ContentMeter {
 public:
  ContentMeter();
  ~ContentMeter();
  ContentMeter(ContentMeter&&) noexcept;
  ContentMeter& operator=(ContentMeter&&) noexcept;

  // Adds one file's bytes (the whole file or a prefix), under a class key (the extension).
  void AddFile(const std::string& key, std::span<const std::byte> data);
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
