// ContentModel: the bytes of every synthetic file, as a pure function.
//
// Fill(class, file_key, offset, out) writes the bytes at [offset, offset + out.size())
// of the file identified by file_key. Like an nbdkit content plugin's pread, it is a
// pure function of (seed, class, file_key, offset): the same on every run and machine,
// for any read size or alignment (a read of [a, b) equals the concatenation of any
// split of it). No allocation, no lock, no state kept between calls.
//
// Content is made in 4 KiB blocks. A block is either drawn from a small shared pool
// (with the class's dedup probability) or unique to (file, block). Inside a block the
// class sets the compressibility: each of its eight 512-byte segments is a run of fresh
// random bytes (full-entropy for binary classes; for text-like ones printable symbols
// of 5 and 6 bits with a 3-byte copy in every 16 bytes) followed by repetitions of it,
// the runs' length chosen so zstd, compressing a whole file, reaches the profile's
// measured ratio (a file's every prefix, and so a small file, compresses like the
// class, as real files mostly do). Random bytes are two AES rounds over a per-block
// counter (no hashing per word): one instruction per 16 bytes and round on CPUs with
// AES, so the incompressible class runs at store speed.
//
// Thread-safety: immutable after construction; Fill is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "generator/profile.h"
#include "generator/config.h"

namespace sfsg {

struct ContentClass {
  std::string name;              // the extension it came from, or "default"
  double compression_ratio = 1;  // target: logical / zstd bytes
  double dedup_ratio = 1;        // target: 4 KiB chunks / distinct chunks
  bool text_like = false;        // literal bytes printable (see RandomWordsPortable)
  // Derived parameters (set by the constructor):
  uint32_t literal_bytes = 4096;  // fresh random bytes per 4 KiB block (a multiple of 8)
  uint64_t dedup_threshold = 0;   // a block is pooled when hash < threshold (of 2^64)
};

class ContentModel {
 public:
  static constexpr uint32_t kBlockBytes = config::kBlockBytes;
  static constexpr uint64_t kPoolBlocks = 256;
  // A block is made of segments, each a literal run followed by repeats of it.
  static constexpr uint32_t kSegmentBytes = 512;
  static constexpr uint32_t kSegmentsPerBlock = kBlockBytes / kSegmentBytes;
  // Which generator made the bytes: raised whenever a change gives a file other bytes
  // (dir-mode overlays record it, so one written under another generator is refused).
  // 1: multiply-based words; 2: two AES rounds per 16 bytes (2026-11-26); 3: eight
  // 512-byte segments per block, each a literal run and its repeats (2026-12-04); 4: text
  // literals with a 6-bit byte and a 3-byte copy in every 16 bytes (2026-12-05).
  static constexpr int kGeneratorVersion = 4;

  // Class 0 is "default" (the profile's overall ratio); class i + 1 is
  // profile.extensions[i] (its measured ratio, or the overall one when not sampled).
  // The namespace assigns NodeAttr::content_class with the same numbering.
  ContentModel(const Profile& profile, uint64_t seed);

  // REQUIRES: class_index < classes().size().
  void Fill(uint16_t class_index, uint64_t file_key, uint64_t offset,
            std::span<std::byte> out) const;

  // The class for a file extension (lowercase, no dot); 0 ("default") when unknown.
  uint16_t ClassOfExtension(std::string_view ext) const;
  const std::vector<ContentClass>& classes() const { return classes_; }

 private:
  void FillBlock(const ContentClass& cls, uint16_t class_index, uint64_t file_key, uint64_t block,
                 std::byte* block_out) const;

  uint64_t seed_;
  uint64_t zero_threshold_ = 0;  // a block is all-zero when its draw is below this
  std::vector<ContentClass> classes_;
};

// Parameters for a class: literal run length for a target ratio (calibrated against
// zstd level 3 on 128 KiB chunks) and the pooled-block probability for a dedup ratio.
ContentClass MakeContentClass(std::string name, double compression_ratio, double dedup_ratio,
                              bool text_like);

namespace internal {
// The block generator's code paths; they must produce identical bytes (tested). Each
// writes 8 * `count` random bytes to `out` (any alignment); with `printable`, in each
// 16-byte block byte 0's low 6 bits plus 0x3F, bytes 1-12 their low 5 bits plus 0x40,
// and bytes 13-15 a copy of bytes 5-7.
using RandomWordsFn = void (*)(uint64_t key, std::byte* out, size_t count, bool printable);
void RandomWordsPortable(uint64_t key, std::byte* out, size_t count, bool printable);
struct RandomWordsPath {
  const char* name;  // "portable", "aes-ni", "vaes", "armv8-aes"
  RandomWordsFn fill;
  bool runs_here;  // this CPU has the instructions the path needs
};
// The paths built for this architecture, slowest first; the first is the portable one
// (table lookups, any CPU: about 1.2 GB/s here against 36 with AES-NI and 74 with VAES).
std::span<const RandomWordsPath> RandomWordsPaths();
// The last path that runs here: the one every fill uses.
const RandomWordsPath& FastestRandomWordsPath();
// One AES round as the AESENC instruction computes it; `in` and `out` may be the same.
void AesRoundPortable(const uint8_t in[16], const uint8_t round_key[16], uint8_t out[16]);
}  // namespace internal

}  // namespace sfsg
