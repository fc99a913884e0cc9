#include "generator/content_meter.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <vector>

#include "generator/content_model.h"
#include "generator/util/hash.h"

namespace sfsg {
namespace {

std::vector<std::byte> Random(size_t n, uint64_t seed) {
  std::vector<std::byte> v(n);
  SplitMixStream rng(seed);
  for (size_t i = 0; i < n; i += 8) {
    const uint64_t w = rng.Next();
    std::memcpy(v.data() + i, &w, std::min<size_t>(8, n - i));
  }
  return v;
}

TEST(ContentMeter, NothingMeasuredMeansRatiosOfOne) {
  const ContentMeter m;
  EXPECT_EQ(m.total().compression_ratio(), 1.0);
  EXPECT_EQ(m.dedup_ratio(), 1.0);
  EXPECT_EQ(m.zero_chunk_fraction(), 0.0);
}

TEST(ContentMeter, ZerosCompressAndDeduplicate) {
  ContentMeter m;
  m.AddFile("z", std::vector<std::byte>(1 << 20));
  EXPECT_EQ(m.total().chunks, 256u);
  EXPECT_EQ(m.total().zero_chunks, 256u);
  EXPECT_EQ(m.dedup_ratio(), 256.0);
  EXPECT_EQ(m.zero_chunk_fraction(), 1.0);
  EXPECT_GT(m.total().compression_ratio(), 1000.0);
}

TEST(ContentMeter, RandomBytesNeitherCompressNorDeduplicate) {
  ContentMeter m;
  m.AddFile("r", Random(1 << 20, 1));
  EXPECT_NEAR(m.total().compression_ratio(), 1.0, 0.001);
  EXPECT_EQ(m.dedup_ratio(), 1.0);
  EXPECT_EQ(m.zero_chunk_fraction(), 0.0);
}

TEST(ContentMeter, ChunksAreFourKibAlignedPerFileWithAShortLastOne) {
  ContentMeter m;
  const auto block = Random(4096, 2);
  std::vector<std::byte> file;
  for (int i = 0; i < 10; ++i) file.insert(file.end(), block.begin(), block.end());
  const auto tail = Random(100, 3);
  file.insert(file.end(), tail.begin(), tail.end());
  m.AddFile("a", file);   // 11 chunks: 10 equal, one short
  m.AddFile("b", block);  // a copy of an existing chunk in another file
  m.AddFile("b", tail);   // the short chunk again, at offset 0 of its own file
  EXPECT_EQ(m.total().chunks, 13u);
  EXPECT_DOUBLE_EQ(m.dedup_ratio(), 13.0 / 2.0);
  EXPECT_EQ(m.by_key().at("a").files, 1u);
  EXPECT_EQ(m.by_key().at("b").files, 2u);
  EXPECT_EQ(m.by_key().at("a").bytes, 41060u);
  EXPECT_EQ(m.total().bytes, 41060u + 4096 + 100);
}

TEST(ContentMeter, MergeEqualsMeasuringEverythingInOne) {
  ContentMeter one, left, right;
  for (uint64_t f = 0; f < 8; ++f) {
    const auto data = Random(50000 + f * 3000, f % 3);  // some files repeat
    one.AddFile(f % 2 ? "odd" : "even", data);
    (f < 4 ? left : right).AddFile(f % 2 ? "odd" : "even", data);
  }
  left.Merge(std::move(right));
  EXPECT_EQ(left.dedup_ratio(), one.dedup_ratio());
  EXPECT_GT(one.dedup_ratio(), 1.5);
  EXPECT_EQ(left.total().compressed_bytes, one.total().compressed_bytes);
  EXPECT_EQ(left.by_key().at("odd").chunks, one.by_key().at("odd").chunks);
}

// The content model's classes against ContentMeter, over a range of targets.
ContentMeter MeasureModel(double ratio, double dedup, int files_of_4mib) {
  Profile p = DefaultProfile();
  p.extensions.clear();
  p.content.compression_ratio = ratio;
  p.content.dedup_ratio = dedup;
  p.content.zero_chunk_fraction = 0;
  const ContentModel model(p, 9);
  ContentMeter m;
  std::vector<std::byte> file(4 << 20);
  for (int f = 0; f < files_of_4mib; ++f) {
    model.Fill(0, static_cast<uint64_t>(f), 0, file);
    m.AddFile("default", file);
  }
  return m;
}

TEST(ContentMeter, ContentModelClassesReachTheirCompressionRatios) {
  for (const double ratio : {1.0, 1.5, 2.5, 4.0, 8.0, 20.0}) {
    const ContentMeter m = MeasureModel(ratio, 1.0, 4);
    EXPECT_NEAR(m.total().compression_ratio(), ratio, 0.1 * ratio) << ratio;
    EXPECT_NEAR(m.dedup_ratio(), 1.0, 0.1) << ratio;
  }
}

// Whole-file, byte-weighted ratio of a class over files of `file_bytes`, at zstd `level`.
double WholeFileRatio(double ratio, size_t file_bytes, int files, int level) {
  Profile p = DefaultProfile();
  p.extensions.clear();
  p.content.compression_ratio = ratio;
  p.content.dedup_ratio = 1.0;
  p.content.zero_chunk_fraction = 0;
  const ContentModel model(p, 5);
  std::vector<std::byte> file(file_bytes);
  std::vector<char> out(ZSTD_compressBound(file_bytes));
  double in = 0, compressed = 0;
  for (int f = 0; f < files; ++f) {
    model.Fill(0, static_cast<uint64_t>(f), 0, file);
    in += static_cast<double>(file_bytes);
    compressed +=
        static_cast<double>(ZSTD_compress(out.data(), out.size(), file.data(), file.size(), level));
  }
  return in / compressed;
}

TEST(ContentMeter, SmallFilesAndOtherLevelsCompressLikeTheClass) {
  // Each 512-byte segment carries the class's ratio, so a 1.5 KiB or a 6 KiB file (a
  // short last block) is near the target, at zstd -1 as at -3 (whole files, one frame
  // each, its header included). With one literal run per 4 KiB block a 1.5 KiB file of
  // a ratio-3 class was nearly all literal (ratio 1.3).
  for (const double ratio : {1.5, 3.0, 6.0}) {
    for (const size_t bytes : {size_t{1536}, size_t{6144}, size_t{1} << 20}) {
      const int files = bytes < 65536 ? 200 : 4;
      for (const int level : {1, 3}) {
        const double got = WholeFileRatio(ratio, bytes, files, level);
        // A frame's header and its literals' Huffman table (tens of bytes) weigh on
        // small files: at ratio 6 a 1.5 KiB file compresses to about 300 bytes, not 256.
        const double tolerance = bytes < 4096 ? 0.2 : bytes < 65536 ? 0.08 : 0.05;
        EXPECT_NEAR(got, ratio, tolerance * ratio)
            << "ratio " << ratio << ", " << bytes << " bytes, zstd -" << level;
      }
    }
  }
}

TEST(ContentMeter, PrefixesStandForTheirWholeFile) {
  const std::vector<std::byte> zeros(8192, std::byte{0});
  ContentMeter prefix, whole;
  prefix.AddFile("k", zeros, 81920);
  whole.AddFile("k", zeros);
  EXPECT_EQ(prefix.total().bytes, 81920u);
  EXPECT_EQ(prefix.total().read_bytes, 8192u);
  EXPECT_EQ(prefix.total().chunks, 2u);  // dedup counts only what was read
  EXPECT_DOUBLE_EQ(prefix.total().compression_ratio(), whole.total().compression_ratio());
}

TEST(ContentMeter, ContentModelClassesReachTheirDedupRatios) {
  // On 256 MiB, the sample size the model's pool is calibrated for.
  for (const double dedup : {1.1, 1.5}) {
    const ContentMeter m = MeasureModel(2.0, dedup, 64);
    EXPECT_NEAR(m.dedup_ratio(), dedup, 0.1 * dedup) << dedup;
    // Whole-file compression also finds the pooled blocks a file repeats (a 4 MiB file
    // holds 1024 blocks, a class's pool 256): compression at least the target.
    EXPECT_GT(m.total().compression_ratio(), 2.0 * 0.95) << dedup;
    EXPECT_LT(m.total().compression_ratio(), 2.0 * dedup * 1.1) << dedup;
  }
}

}  // namespace
}  // namespace sfsg
