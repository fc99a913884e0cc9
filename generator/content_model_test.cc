#include "generator/content_model.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cstring>
#include <vector>

#include "generator/util/hash.h"

namespace sfsg {
namespace {

std::vector<std::byte> Read(const ContentModel& m, uint16_t cls, uint64_t file, uint64_t offset,
                            size_t n) {
  std::vector<std::byte> out(n);
  m.Fill(cls, file, offset, out);
  return out;
}

uint64_t Digest(const std::vector<std::byte>& v) { return XXH3_64bits(v.data(), v.size()); }

TEST(ContentModel, AnySplitOfAReadGivesTheSameBytes) {
  const ContentModel m(DefaultProfile(), 42);
  SplitMixStream rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const uint16_t cls = static_cast<uint16_t>(rng.NextBelow(m.classes().size()));
    const uint64_t offset = rng.NextBelow(1 << 24);
    const size_t n = 1 + rng.NextBelow(70000);
    const auto whole = Read(m, cls, trial, offset, n);
    size_t at = 0;
    while (at < n) {
      const size_t piece = std::min<size_t>(n - at, 1 + rng.NextBelow(9000));
      const auto part = Read(m, cls, trial, offset + at, piece);
      ASSERT_EQ(0, std::memcmp(part.data(), whole.data() + at, piece)) << trial;
      at += piece;
    }
  }
}

TEST(ContentModel, GoldenBytesPinTheModel) {
  // A change here changes every shadow's content: do it on purpose, never by accident.
  const ContentModel m(DefaultProfile(), 42);
  EXPECT_EQ(Digest(Read(m, 0, 1, 0, 1 << 16)),
            Digest(Read(ContentModel(DefaultProfile(), 42), 0, 1, 0, 1 << 16)));
  EXPECT_EQ(Digest(Read(m, 0, 1, 0, 1 << 16)), 2006001745923459394ull);  // binary, generators 3-4
  EXPECT_EQ(Digest(Read(m, 3, 77, 12345, 100000)), Digest(Read(m, 3, 77, 12345, 100000)));
  ASSERT_TRUE(m.classes()[6].text_like);                                 // html
  EXPECT_EQ(Digest(Read(m, 6, 1, 0, 1 << 16)), 9626649944143194274ull);  // generator 4
}

TEST(ContentModel, TextLiteralsHaveASixBitByteAndAThreeByteCopyPer16) {
  // What separates the compressors as real text does: lz4 sees no entropy coding, gzip
  // a 3-byte match 8 bytes back that zstd (5-byte matches) and lz4 (4) pass over.
  std::vector<std::byte> words(8 * 64);
  internal::RandomWordsPortable(99, words.data(), 64, true);
  bool six_bits = false;
  for (size_t block = 0; block < words.size(); block += 16) {
    const auto byte = [&](size_t i) { return static_cast<unsigned>(words[block + i]); };
    EXPECT_TRUE(byte(0) >= 0x3F && byte(0) <= 0x7E) << block;
    six_bits = six_bits || byte(0) >= 0x60 || byte(0) == 0x3F;
    for (size_t i = 1; i < 13; ++i) EXPECT_TRUE(byte(i) >= 0x40 && byte(i) <= 0x5F) << block;
    for (size_t i = 13; i < 16; ++i) EXPECT_EQ(byte(i), byte(i - 8)) << block;
  }
  EXPECT_TRUE(six_bits);
}

TEST(ContentModel, SameBytesInAnotherProcess) {
  const ContentModel m(DefaultProfile(), 9);
  const uint64_t here = Digest(Read(m, 2, 12345, 999, 300000));
  int fds[2];
  ASSERT_EQ(0, pipe(fds));
  const pid_t child = fork();
  if (child == 0) {
    const ContentModel fresh(DefaultProfile(), 9);
    const uint64_t there = Digest(Read(fresh, 2, 12345, 999, 300000));
    (void)!write(fds[1], &there, sizeof(there));
    _exit(0);
  }
  uint64_t there = 0;
  ASSERT_EQ(static_cast<ssize_t>(sizeof(there)), read(fds[0], &there, sizeof(there)));
  waitpid(child, nullptr, 0);
  EXPECT_EQ(here, there);
}

TEST(ContentModel, FilesAndSeedsDiffer) {
  const ContentModel a(DefaultProfile(), 1), b(DefaultProfile(), 2);
  EXPECT_NE(Digest(Read(a, 0, 1, 0, 8192)), Digest(Read(a, 0, 2, 0, 8192)));
  EXPECT_NE(Digest(Read(a, 0, 1, 0, 8192)), Digest(Read(b, 0, 1, 0, 8192)));
}

TEST(ContentModel, InstructionAndPortableGeneratorsAgree) {
  const std::span<const internal::RandomWordsPath> paths = internal::RandomWordsPaths();
  ASSERT_STREQ("portable", paths[0].name);
  size_t compared = 0;
  for (const internal::RandomWordsPath& path : paths.subspan(1)) {
    if (!path.runs_here) continue;
    ++compared;
    for (bool printable : {false, true}) {
      for (uint64_t key : {0ull, 1ull, 0xFFFFFFFFFFFFFFFFull, 0x123456789ull}) {
        for (size_t count : {0u, 1u, 2u, 3u, 4u, 5u, 7u, 8u, 9u, 12u, 13u, 511u, 512u}) {
          // At an odd offset, as a block's literal run may be; nothing past the end.
          std::vector<std::byte> portable(8 * count + 9, std::byte{7}), fast = portable;
          internal::RandomWordsPortable(key, portable.data() + 1, count, printable);
          path.fill(key, fast.data() + 1, count, printable);
          EXPECT_EQ(portable, fast) << path.name << " " << key << " " << count << " " << printable;
          EXPECT_EQ(portable.back(), std::byte{7});
          for (size_t i = 1; printable && i <= 8 * count; ++i)
            EXPECT_TRUE(portable[i] >= std::byte{0x3F} && portable[i] <= std::byte{0x7E});
        }
      }
    }
  }
  if (compared == 0) GTEST_SKIP() << "no AES instructions on this machine";
  EXPECT_TRUE(internal::FastestRandomWordsPath().runs_here);
}

// FIPS-197 appendix B: one round (what AESENC computes) takes the state at the start
// of round 1 to the state at the start of round 2, given round key 1. On every
// machine: this is what makes the portable generator the AES one.
TEST(ContentModel, AesRoundMatchesTheStandard) {
  const uint8_t start[16] = {0x19, 0x3d, 0xe3, 0xbe, 0xa0, 0xf4, 0xe2, 0x2b,
                             0x9a, 0xc6, 0x8d, 0x2a, 0xe9, 0xf8, 0x48, 0x08};
  const uint8_t key1[16] = {0xa0, 0xfa, 0xfe, 0x17, 0x88, 0x54, 0x2c, 0xb1,
                            0x23, 0xa3, 0x39, 0x39, 0x2a, 0x6c, 0x76, 0x05};
  const uint8_t next[16] = {0xa4, 0x9c, 0x7f, 0xf2, 0x68, 0x9f, 0x35, 0x2b,
                            0x6b, 0x5b, 0xea, 0x43, 0x02, 0x6a, 0x50, 0x49};
  uint8_t got[16];
  internal::AesRoundPortable(start, key1, got);
  EXPECT_EQ(0, std::memcmp(got, next, 16));
}

TEST(ContentModel, IncompressibleClassDoesNotCompress) {
  Profile p = DefaultProfile();
  p.extensions.clear();
  p.content = {1.0, 1.0, 0.0, 0, 0};
  const ContentModel m(p, 3);
  const auto data = Read(m, 0, 1, 0, 1 << 20);
  std::vector<char> out(ZSTD_compressBound(data.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  EXPECT_GT(static_cast<double>(n), data.size() * 0.995);
}

}  // namespace
}  // namespace sfsg
