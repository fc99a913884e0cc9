#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <set>

#include "generator/util/command_line.h"
#include "generator/util/hash.h"
#include "generator/util/json_io.h"
#include "generator/util/log_histogram.h"
#include "generator/util/mountinfo.h"
#include "generator/util/strings.h"
#include "generator/util/units.h"

namespace sfsg {
namespace {

TEST(Strings, PrintfTakesAnyLength) {
  EXPECT_EQ(StringPrintf("%d-%s", 42, "x"), "42-x");
  const std::string long_text(5000, 'a');
  EXPECT_EQ(StringPrintf("%s!", long_text.c_str()), long_text + "!");
  EXPECT_EQ(StringPrintf("%s", ""), "");
}

TEST(Strings, HtmlEscapeCoversTheFiveSpecials) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
}

TEST(CommandLine, CollectsPositionalsAndNamesBadOptions) {
  namespace po = boost::program_options;
  po::options_description options("options");
  std::string out;
  options.add_options()("out,o", po::value(&out), "where");
  auto vm = ParseCommandLine({"a", "-o", "x", "b"}, options, "see cmd --help", "path");
  ASSERT_TRUE(vm) << vm.error().message;
  EXPECT_EQ(out, "x");
  EXPECT_EQ(PositionalArgs(*vm, "path"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(PositionalArgs(*vm, "other").empty());
  auto bad = ParseCommandLine({"--nope"}, options, "see cmd --help");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kUsage);
  EXPECT_NE(bad.error().message.find("nope"), std::string::npos);
  EXPECT_NE(bad.error().message.find("(see cmd --help)"), std::string::npos);
  EXPECT_FALSE(ParseCommandLine({"a", "b"}, options, "h", "path", 1));
  EXPECT_FALSE(ParseCommandLine({"a"}, options, "h"));
}

TEST(CommandLine, GuardedMainTurnsExceptionsIntoExitCodes) {
  EXPECT_EQ(GuardedMain("cmd", [] { return 7; }), 7);
  EXPECT_EQ(GuardedMain("cmd", []() -> int { throw std::runtime_error("boom"); }),
            static_cast<int>(ErrorCode::kInternal));
  EXPECT_EQ(GuardedMain("cmd", []() -> int { throw boost::program_options::error("bad"); }),
            static_cast<int>(ErrorCode::kUsage));
  EXPECT_EQ(ReportFailure("cmd", Error::Io("x")), static_cast<int>(ErrorCode::kIo));
}

TEST(Units, ParsesBinarySizes) {
  EXPECT_EQ(*ParseBytes("4096", "x"), 4096u);
  EXPECT_EQ(*ParseBytes("4k", "x"), 4096u);
  EXPECT_EQ(*ParseBytes("1.5M", "x"), 1572864u);
  EXPECT_EQ(*ParseBytes("2P", "x"), 2ull << 50);
  EXPECT_EQ(*ParseBytes("10GiB", "x"), 10ull << 30);
}

TEST(Units, ParsesDecimalCounts) {
  EXPECT_EQ(*ParseCount("1G", "--files"), 1000000000u);
  EXPECT_EQ(*ParseCount("2.5k", "--files"), 2500u);
  EXPECT_EQ(*ParseCount("1e3", "--files"), 1000u);
  EXPECT_EQ(*ParseCount("1.1k", "--files"), 1100u);
  for (const char* fractional : {"1.5", "0.5", "2.0005k"}) {
    auto r = ParseCount(fractional, "--seed");
    ASSERT_FALSE(r.ok()) << fractional;
    EXPECT_EQ(r.error().message, std::string("--seed: '") + fractional + "' is not a whole number");
  }
}

TEST(Units, RejectsBadSizesWithTheOptionName) {
  for (const char* bad : {"", "-1", "abc", "4x", "1.2.3", "nan", "99999999999E"}) {
    auto r = ParseBytes(bad, "--bytes");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("--bytes"), std::string::npos);
    EXPECT_EQ(r.error().code, ErrorCode::kUsage);
  }
}

TEST(Units, ParsesDurationsAndFractions) {
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("90d", "h"), 90 * 86400.0);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("500ms", "h"), 0.5);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("2w", "h"), 14 * 86400.0);
  EXPECT_FALSE(ParseDurationSeconds("3 parsecs", "h").ok());
  EXPECT_FALSE(ParseDurationSeconds("1e308m", "h").ok());  // found by fuzz_units: inf seconds
  EXPECT_DOUBLE_EQ(*ParseFraction("20%", "b"), 0.2);
  EXPECT_DOUBLE_EQ(*ParseFraction("0.25", "b"), 0.25);
  EXPECT_FALSE(ParseFraction("120%", "b").ok());
}

TEST(ReadTextFile, RefusesWhatIsNotAFileWithinLimits) {
  char dir[] = "/tmp/sfsg-util-test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string base = dir;
  // A directory is unreadable input (kIo), not an empty one.
  auto d = ReadTextFile(base);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kIo);
  EXPECT_EQ(d.error().message, base + ": cannot read: is a directory");
  // A FIFO nobody writes to reads as empty instead of waiting forever.
  const std::string fifo = base + "/fifo";
  ASSERT_EQ(0, mkfifo(fifo.c_str(), 0600));
  auto f = ReadTextFile(fifo);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(*f, "");
  // An endless device stops at the limit.
  auto z = ReadTextFile("/dev/zero", 1 << 20);
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().code, ErrorCode::kIo);
  EXPECT_NE(z.error().message.find("/dev/zero: larger than 1 MiB"), std::string::npos);
  // A regular file over the limit is refused by its size; one at the limit is read.
  const std::string file = base + "/f";
  const std::string text(1 << 20, 'x');
  ASSERT_TRUE(WriteFileAtomic(file, text).ok());
  EXPECT_EQ(*ReadTextFile(file, 1 << 20), text);
  EXPECT_FALSE(ReadTextFile(file, (1 << 20) - 1).ok());
  // Files whose size stat does not know (/proc) are read to the end.
  auto proc = ReadTextFile("/proc/self/status");
  ASSERT_TRUE(proc.ok());
  EXPECT_NE(proc->find("Name:"), std::string::npos);
  std::remove(file.c_str());
  std::remove(fifo.c_str());
  rmdir(dir);
}

TEST(CheckWritable, AgreesWithWriteFileAtomic) {
  char dir[] = "/tmp/sfsg-util-test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string base = dir;
  for (const std::string& ok : {base + "/new.json", base + "//new.json", std::string("/dev/null")})
    EXPECT_TRUE(CheckWritable(ok).ok()) << ok;
  const std::string file = base + "/f";
  ASSERT_TRUE(WriteFileAtomic(file, "x").ok());
  EXPECT_TRUE(CheckWritable(file).ok());
  struct Case {
    std::string path, message;
  };
  for (const Case& c : {Case{base + "/missing/p.json", "No such file or directory"},
                        Case{file + "/p.json", "Not a directory"}, Case{base, "Is a directory"},
                        Case{"", "an empty path"}}) {
    auto checked = CheckWritable(c.path);
    ASSERT_FALSE(checked.ok()) << c.path;
    EXPECT_EQ(checked.error().code, ErrorCode::kIo);
    EXPECT_NE(checked.error().message.find(c.message), std::string::npos)
        << checked.error().message;
    if (!c.path.empty()) {
      EXPECT_FALSE(WriteFileAtomic(c.path, "x").ok()) << c.path;
    }
  }
  std::remove(file.c_str());
  rmdir(dir);
}

TEST(MountInfo, ParsesEscapesAndNesting) {
  char dir[] = "/tmp/sfsg-util-test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string file = std::string(dir) + "/mountinfo";
  ASSERT_TRUE(WriteFileAtomic(file,
                              "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
                              "41 22 0:40 / /mnt/a\\040b rw - fuse.sfsg-mount sfsg rw\n"
                              "42 22 0:41 / /odd rw\n")
                  .ok());
  const auto mounts = ReadMountInfo(file);
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0].id, 22u);
  EXPECT_EQ(mounts[0].devno, "8:1");
  EXPECT_EQ(mounts[0].source, "/dev/sda1");
  EXPECT_EQ(mounts[1].mount_point, "/mnt/a b");
  EXPECT_EQ(mounts[1].fs_type, "fuse.sfsg-mount");
  EXPECT_EQ(mounts[2].fs_type, "");  // no " - " part
  EXPECT_TRUE(ReadMountInfo(file + ".missing").empty());
  EXPECT_TRUE(PathWithin("/", "/mnt/a b"));
  EXPECT_TRUE(PathWithin("/mnt", "/mnt"));
  EXPECT_TRUE(PathWithin("/mnt", "/mnt/x"));
  EXPECT_FALSE(PathWithin("/mnt", "/mntx"));
  EXPECT_FALSE(PathWithin("/mnt/x", "/mnt"));
  std::remove(file.c_str());
  rmdir(dir);
}

TEST(Permutation, IsABijectionOnOddSizes) {
  for (uint64_t n : {1ull, 2ull, 7ull, 1000ull, 4097ull}) {
    Permutation perm(42, n);
    std::set<uint64_t> seen;
    for (uint64_t x = 0; x < n; ++x) {
      const uint64_t y = perm.Apply(x);
      ASSERT_LT(y, n);
      EXPECT_EQ(perm.Invert(y), x);
      seen.insert(y);
    }
    EXPECT_EQ(seen.size(), n);
  }
}

TEST(Hash, GoldenValuesPinTheGenerators) {
  // If these change, every shadow changes: bump the profile/model version instead.
  EXPECT_EQ(HashWords(1, 2, 3), HashWords(1, 2, 3));
  EXPECT_NE(HashWords(1, 2, 3), HashWords(1, 3, 2));
  uint64_t s = 0;
  EXPECT_EQ(SplitMix64(s), 0xE220A8397B1DCDAFull);
}

TEST(LogHistogram, QuantilesAreWithinBucketError) {
  LogHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.Add(v);
  EXPECT_NEAR(h.Quantile(0.5), 50000, 50000 * 0.032);
  EXPECT_NEAR(h.Quantile(0.99), 99000, 99000 * 0.032);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.max(), 100000u);
  for (int b = 0; b + 1 < LogBuckets::kCount; ++b) {
    ASSERT_EQ(LogBuckets::Of(LogBuckets::Low(b)), b);
    ASSERT_EQ(LogBuckets::Of(LogBuckets::High(b) - 1), b);
  }
}

}  // namespace
}  // namespace sfsg
