#include "generator/content_model.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

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
  EXPECT_EQ(Digest(Read(m, 0, 1, 0, 1 << 16)), 1854464195496024737ull);
  EXPECT_EQ(Digest(Read(m, 3, 77, 12345, 100000)), Digest(Read(m, 3, 77, 12345, 100000)));
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

TEST(ContentModel, VectorAndPortableGeneratorsAgree) {
  if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "no AVX2 on this machine";
  for (uint64_t key : {0ull, 1ull, 0xFFFFFFFFFFFFFFFFull, 0x123456789ull}) {
    for (size_t count : {0u, 1u, 3u, 4u, 5u, 7u, 8u, 9u, 12u, 13u, 511u, 512u}) {
      // At an odd offset, as a block's literal run may be.
      std::vector<std::byte> a(8 * count + 9, std::byte{7}), b = a;
      internal::RandomWordsPortable(key, a.data() + 1, count);
      internal::RandomWordsAvx2(key, b.data() + 1, count);
      EXPECT_EQ(a, b) << key << " " << count;
    }
  }
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
