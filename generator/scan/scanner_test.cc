#include "generator/scan/scanner.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "generator/scan/content_sample.h"
#include "generator/scan/scan_stats.h"

namespace sfsg {
namespace {

// A temporary directory removed (recursively) at the end of the test.
class TempTree {
 public:
  TempTree() {
    char pattern[] = "/tmp/sfsg-scan-test.XXXXXX";
    root_ = ::mkdtemp(pattern);
  }
  ~TempTree() {
    std::system(("chmod -R u+rwx '" + root_ + "' 2>/dev/null; rm -rf '" + root_ + "'").c_str());
  }
  const std::string& root() const { return root_; }
  std::string Path(const std::string& rel) const { return root_ + "/" + rel; }
  void Dir(const std::string& rel) const { ASSERT_EQ(0, ::mkdir(Path(rel).c_str(), 0755)) << rel; }
  void File(const std::string& rel, size_t bytes, char fill = 'x') const {
    std::ofstream out(Path(rel), std::ios::binary);
    out << std::string(bytes, fill);
    ASSERT_TRUE(out.good()) << rel;
  }

 private:
  std::string root_;
};

const ExtensionStats* FindExtension(const Profile& p, const std::string& ext) {
  for (const ExtensionStats& e : p.extensions)
    if (e.ext == ext) return &e;
  return nullptr;
}

Profile ScanOrDie(const std::string& path, ScanOptions options = {}) {
  auto profile = ScanTree(path, options);
  EXPECT_TRUE(profile.ok()) << (profile.ok() ? "" : profile.error().message);
  return profile.ok() ? *profile : Profile{};
}

// root/ a.txt(100) b.TXT(0) c(5000) .hidden(10) only.once(7)
//   sub1/ x.tar.gz(3000) y.gz(70000) hard.gz(= x.tar.gz) link -> ../a.txt  deep/
//   sub2/ z.averylongextension(20) fifo
void MakeSmallTree(const TempTree& t) {
  t.File("a.txt", 100);
  t.File("b.TXT", 0);
  t.File("c", 5000);
  t.File(".hidden", 10);
  t.File("only.once", 7);
  t.Dir("sub1");
  t.File("sub1/x.tar.gz", 3000);
  t.File("sub1/y.gz", 70000);
  ASSERT_EQ(0, ::link(t.Path("sub1/x.tar.gz").c_str(), t.Path("sub1/hard.gz").c_str()));
  ASSERT_EQ(0, ::symlink("../a.txt", t.Path("sub1/link").c_str()));
  t.Dir("sub1/deep");
  t.Dir("sub2");
  t.File("sub2/z.averylongextension", 20);
  ASSERT_EQ(0, ::mkfifo(t.Path("sub2/fifo").c_str(), 0644));
}

TEST(ScanTree, CountsShapeSizesAndLinksOfAKnownTree) {
  TempTree t;
  MakeSmallTree(t);
  const Profile p = ScanOrDie(t.root());
  EXPECT_EQ(p.origin, "scan");
  EXPECT_EQ(p.totals.files, 9u);  // a b c .hidden only.once x y hard z
  EXPECT_EQ(p.totals.dirs, 4u);   // root sub1 deep sub2
  EXPECT_EQ(p.totals.symlinks, 1u);
  EXPECT_EQ(p.totals.others, 1u);
  EXPECT_EQ(p.totals.bytes, 100.0 + 5000 + 10 + 7 + 3000 + 70000 + 3000 + 20);
  EXPECT_EQ(p.shape.dirs_by_depth, (std::vector<uint64_t>{1, 2, 1}));
  EXPECT_EQ(p.shape.files_by_depth, (std::vector<uint64_t>{5, 6, 0}));
  // Non-directory entries per directory: root 5, sub1 4, sub2 2, deep 0.
  EXPECT_EQ(p.shape.files_per_dir.bins,
            (std::vector<std::pair<uint64_t, uint64_t>>{{0, 1}, {2, 1}, {4, 1}, {5, 1}}));
  EXPECT_EQ(p.shape.subdirs_per_dir.bins,
            (std::vector<std::pair<uint64_t, uint64_t>>{{0, 2}, {1, 1}, {2, 1}}));
  ASSERT_EQ(p.shape.files_per_dir_by_depth.size(), 3u);
  EXPECT_EQ(p.shape.files_per_dir_by_depth[1].bins,
            (std::vector<std::pair<uint64_t, uint64_t>>{{2, 1}, {4, 1}}));
  EXPECT_EQ(p.shape.dir_name_length.total(), 3u);    // the root has no name
  EXPECT_EQ(p.shape.file_name_length.total(), 11u);  // every non-directory entry
  EXPECT_DOUBLE_EQ(p.sizes.empty_fraction, 1.0 / 9);
  EXPECT_EQ(p.sizes.max_bytes, 70000u);
  // log2 buckets: 0 | 7 [64,128): 100 | 13: 5000 | 4 [8,16): 10 | 3 [4,8): 7 | 12: 3000 x2
  // | 17: 70000 | 5 [16,32): 20.
  std::vector<uint64_t> expected(18, 0);
  for (int b : {0, 7, 13, 4, 3, 12, 12, 17, 5}) ++expected[b];
  EXPECT_EQ(p.sizes.log2_counts, expected);
  EXPECT_DOUBLE_EQ(p.sizes.log2_bytes[12], 6000.0);
  EXPECT_DOUBLE_EQ(p.links.symlink_fraction, 1.0 / 11);
  EXPECT_DOUBLE_EQ(p.links.hardlink_fraction, 2.0 / 9);
  // Extensions kept when carried by at least two files; the rest pooled as "*".
  const ExtensionStats* gz = FindExtension(p, "gz");
  const ExtensionStats* txt = FindExtension(p, "txt");
  const ExtensionStats* none = FindExtension(p, "");
  const ExtensionStats* pooled = FindExtension(p, "*");
  ASSERT_TRUE(gz && txt && none && pooled);
  EXPECT_EQ(p.extensions.size(), 4u);
  EXPECT_EQ(p.extensions[0].ext, "gz");
  EXPECT_EQ(gz->files, 3u);
  EXPECT_EQ(gz->bytes, 76000.0);
  EXPECT_EQ(gz->log2_counts.size(), p.sizes.log2_counts.size());
  EXPECT_EQ(gz->log2_counts[12], 2u);
  EXPECT_EQ(txt->files, 2u);     // a.txt, b.TXT
  EXPECT_EQ(none->files, 2u);    // c, .hidden
  EXPECT_EQ(pooled->files, 2u);  // only.once, z.averylongextension
  // Content: every non-empty regular file is sampled (8), whole.
  EXPECT_EQ(p.content.sampled_files, 8u);
  EXPECT_EQ(p.content.sampled_bytes, 81137u);
  EXPECT_GT(p.content.compression_ratio, 10.0);  // runs of one letter
  EXPECT_GT(gz->compression_ratio, 10.0);
  EXPECT_EQ(gz->sampled_files, 3u);
  // Two of the sampled files are the same inode: 4 KiB chunks repeat.
  EXPECT_GT(p.content.dedup_ratio, 1.0);
  EXPECT_EQ(p.source.skipped, 0u);
  EXPECT_GT(p.source.capacity_bytes, 0u);
  EXPECT_GT(p.source.inodes_total, 0u);
  EXPECT_FALSE(p.source.fs_type.empty());
  EXPECT_GT(p.source.scan_time_unix, 1.7e9);
  EXPECT_TRUE(ValidateProfile(p, "scan").ok());
  // The profile survives a JSON round trip.
  auto back = ProfileFromJson(ProfileToJson(p), "round trip");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(ProfileToJson(*back), ProfileToJson(p));
}

TEST(ScanTree, TopExtensionsPoolsTheRestAndSamplingCanBeOff) {
  TempTree t;
  MakeSmallTree(t);
  ScanOptions options;
  options.top_extensions = 1;
  options.sample_files = 0;
  options.threads = 1;
  const Profile p = ScanOrDie(t.root(), options);
  ASSERT_EQ(p.extensions.size(), 2u);
  EXPECT_EQ(p.extensions[0].ext, "*");  // 6 files: txt, none and the two singletons
  EXPECT_EQ(p.extensions[0].files, 6u);
  EXPECT_EQ(p.extensions[1].ext, "gz");
  EXPECT_EQ(p.content.sampled_files, 0u);
  EXPECT_EQ(p.extensions[1].compression_ratio, 0.0);
  EXPECT_EQ(p.content.compression_ratio, DefaultProfile().content.compression_ratio);
}

TEST(ScanTree, AgesAreMeasuredFromTheScanTime) {
  TempTree t;
  MakeSmallTree(t);
  const double now = static_cast<double>(::time(nullptr));
  const double mtime = now - 100 * 86400.0, atime = now - 10 * 86400.0;
  // Set every entry's times (deepest first, since creating entries touches directories).
  for (const char* rel :
       {"a.txt", "b.TXT", "c", ".hidden", "only.once", "sub1/x.tar.gz", "sub1/y.gz", "sub1/link",
        "sub2/z.averylongextension", "sub2/fifo", "sub1/deep", "sub1", "sub2", "."}) {
    const struct timespec times[2] = {{static_cast<time_t>(atime), 0},
                                      {static_cast<time_t>(mtime), 0}};
    ASSERT_EQ(0, ::utimensat(AT_FDCWD, t.Path(rel).c_str(), times, AT_SYMLINK_NOFOLLOW)) << rel;
  }
  const Profile p = ScanOrDie(t.root());
  for (double u : {0.0, 0.5, 1.0}) {
    EXPECT_NEAR(p.ages.mtime_age_s.At(u), 100 * 86400.0, 100 * 86400.0 * 0.035) << u;
    EXPECT_NEAR(p.ages.atime_age_s.At(u), 10 * 86400.0, 10 * 86400.0 * 0.035) << u;
    EXPECT_LT(p.ages.ctime_age_s.At(u), 120.0) << u;  // just changed
  }
}

TEST(ScanTree, ExtensionsAreShortLowercaseAndNeverAName) {
  EXPECT_EQ(ExtensionOfName("a.TXT"), "txt");
  EXPECT_EQ(ExtensionOfName("archive.tar.gz"), "gz");
  EXPECT_EQ(ExtensionOfName("README"), "");
  EXPECT_EQ(ExtensionOfName(".bashrc"), "");
  EXPECT_EQ(ExtensionOfName("trailing."), "");
  EXPECT_EQ(ExtensionOfName("x.c++"), "c++");
  EXPECT_EQ(ExtensionOfName("x.abcdefghijklm"), "*");  // 13 characters
  EXPECT_EQ(ExtensionOfName("x.abcdefghijkl"), "abcdefghijkl");
  EXPECT_EQ(ExtensionOfName("x.has space"), "*");
  EXPECT_EQ(ExtensionOfName("x.caf\xc3\xa9"), "*");
}

// Privacy: a scan with content sampling on keeps no name and no content byte. The tree
// plants one unmistakable name and one unmistakable content (text, so any encoding of
// it as a string would show); the profile's JSON text must contain neither, nor their
// hex, and the only strings it holds are schema words and short extensions.
void CollectStrings(const Json& j, std::vector<std::string>& out) {
  if (j.is_string()) out.push_back(j.get<std::string>());
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) {
      out.push_back(it.key());
      CollectStrings(it.value(), out);
    }
  if (j.is_array())
    for (const Json& v : j) CollectStrings(v, out);
}

std::string Hex(const std::string& s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += {kDigits[c >> 4], kDigits[c & 15]};
  return out;
}

TEST(ScanTree, ProfileCarriesNoNameAndNoContentByte) {
  TempTree t;
  MakeSmallTree(t);
  const std::string secret_name = "quarterly-payroll-zq7Xv3";
  const std::string secret_text = "CONFIDENTIAL: the merger with Globex closes on 2031-04-01";
  t.Dir(secret_name);
  for (int i = 0; i < 20; ++i) {
    std::ofstream out(t.Path(secret_name + "/" + secret_name + std::to_string(i) + ".txt"));
    for (int k = 0; k < 2000; ++k) out << secret_text << " #" << k << "\n";
  }
  ScanOptions options;
  options.sample_files = 100;  // every file is sampled
  const Profile p = ScanOrDie(t.root(), options);
  ASSERT_GT(p.content.sampled_files, 0u);
  const std::string text = ProfileToJson(p).dump();
  for (const std::string& needle :
       {secret_name, std::string("zq7Xv3"), secret_text, std::string("CONFIDENTIAL"),
        std::string("Globex"), Hex("CONFIDENTIAL"), Hex("Globex")})
    EXPECT_EQ(text.find(needle), std::string::npos) << needle;
  std::vector<std::string> strings;
  CollectStrings(ProfileToJson(p), strings);
  for (const std::string& s : strings) {
    if (FindExtension(p, s)) continue;  // an extension: at most 12 characters, no name
    // Everything else is a key or value the schema writes, the same for every tree:
    // lowercase words, digits and underscores (the source path is not stored).
    for (char c : s)
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
          << "unexpected string in the profile: " << s;
  }
}

// Runs fn in a child process as user nobody (when we are root) and returns its exit code.
int RunUnprivileged(const std::function<int()>& fn) {
  const pid_t child = ::fork();
  if (child == 0) {
    if (::geteuid() == 0 &&
        (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0))
      ::_exit(100);
    ::_exit(fn());
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
}

TEST(ScanTree, UnreadableDirectoryIsCountedAndSkipped) {
  TempTree t;
  ASSERT_EQ(0, ::chmod(t.root().c_str(), 0755));
  MakeSmallTree(t);
  t.Dir("locked");
  t.File("locked/secret.txt", 10);
  ASSERT_EQ(0, ::chmod(t.Path("locked").c_str(), 0));
  // Root reads everything: the check runs as nobody in a child process.
  const int code = RunUnprivileged([&] {
    if (::access(t.Path("locked").c_str(), R_OK) == 0) return 77;  // cannot be denied here
    auto p = ScanTree(t.root(), {});
    if (!p.ok()) return 1;
    if (p->source.skipped != 1) return 2;
    if (p->totals.dirs != 5) return 3;   // the locked directory still counts
    if (p->totals.files != 9) return 4;  // its file is not seen
    return 0;
  });
  if (code == 77 || code == 100) GTEST_SKIP() << "permissions cannot be denied here";
  EXPECT_EQ(code, 0);
}

TEST(ScanTree, StaysOnOneFilesystemUnlessToldOtherwise) {
  TempTree t;
  MakeSmallTree(t);
  t.Dir("mnt");
  if (::mount("sfsg-test", t.Path("mnt").c_str(), "tmpfs", 0, "size=1m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here";
  t.File("mnt/elsewhere.txt", 10);
  const Profile one = ScanOrDie(t.root());
  ScanOptions cross;
  cross.one_file_system = false;
  const Profile both = ScanOrDie(t.root(), cross);
  ::umount2(t.Path("mnt").c_str(), MNT_DETACH);
  EXPECT_EQ(one.totals.dirs, 4u);  // the mount point is left out
  EXPECT_EQ(one.totals.files, 9u);
  EXPECT_EQ(both.totals.dirs, 5u);
  EXPECT_EQ(both.totals.files, 10u);
}

TEST(ScanTree, MissingPathIsAnIoErrorNamingIt) {
  auto p = ScanTree("/nonexistent/sfsg-scan-test", {});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kIo);
  EXPECT_NE(p.error().message.find("/nonexistent/sfsg-scan-test"), std::string::npos);
  auto file = ScanTree("/etc/hostname", {});
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().message.find("not a directory"), std::string::npos);
  ScanOptions bad;
  bad.top_extensions = 0;
  EXPECT_EQ(ScanTree("/tmp", bad).error().code, ErrorCode::kUsage);
}

TEST(ScanStats, DistinctExtensionsAreBoundedAndTheRestPooled) {
  scan::ScanStats s;
  for (int i = 0; i < 20000; ++i) s.AddRegularFile(0, "f." + std::to_string(i), 1, 1);
  EXPECT_EQ(s.extensions.size(), scan::kMaxTrackedExtensions + 1);
  EXPECT_EQ(s.extensions.at("*").files, 20000 - scan::kMaxTrackedExtensions);
  EXPECT_EQ(s.files, 20000u);
}

TEST(ContentSample, SharesAreEqualAndTheByteBudgetGoesRoundRobin) {
  std::vector<std::vector<scan::SampleCandidate>> classes(3);
  for (uint64_t i = 0; i < 1000; ++i) {
    classes[0].push_back({i, 1000, "a"});
    classes[2].push_back({i, 1 << 20, "c"});
  }
  for (uint64_t i = 0; i < 5; ++i) classes[1].push_back({i, 10, "b"});
  // Count only: the short class gives its leftover to the others.
  auto plan = scan::PlanSample(classes, 0, 100, UINT64_MAX, 4096, 4096);
  std::vector<int> per_class(3, 0);
  for (const auto& r : plan) ++per_class[r.class_index];
  EXPECT_EQ(per_class, (std::vector<int>{47, 5, 48}));
  EXPECT_EQ(plan[0].bytes, 1000u);  // whole small files,
  EXPECT_EQ(plan[2].bytes, 4096u);  // prefixes of big ones
  // Bytes: round robin, so the class of big files cannot take the whole budget.
  plan = scan::PlanSample(classes, 0, 100, 20000, 4096, 4096);
  per_class.assign(3, 0);
  uint64_t bytes = 0;
  for (const auto& r : plan) {
    ++per_class[r.class_index];
    bytes += r.bytes;
  }
  EXPECT_EQ(bytes, 20000u);
  EXPECT_EQ(per_class, (std::vector<int>{4, 4, 4}));
}

TEST(ContentSample, ASketchOfMoreFilesKeepsItsLastCandidateAsTheThreshold) {
  // A full sketch of ten candidates: nine are read, and weighed by the tenth's
  // priority; were all ten read, nothing would say what the files left out weigh.
  std::vector<std::vector<scan::SampleCandidate>> classes(1);
  for (uint64_t i = 0; i < 10; ++i)
    classes[0].push_back({scan::SampleRank((i + 1) << 58, 1000), 1000, "a"});
  auto plan = scan::PlanSample(classes, 10, 50, UINT64_MAX, 4096, 4096);
  ASSERT_EQ(plan.size(), 9u);
  for (const auto& r : plan)
    EXPECT_DOUBLE_EQ(r.weight_bytes, scan::SamplePriority(classes[0][9].hash));
  plan = scan::PlanSample(classes, 11, 50, UINT64_MAX, 4096, 4096);  // all the files
  ASSERT_EQ(plan.size(), 10u);
  EXPECT_DOUBLE_EQ(plan[0].weight_bytes, 1000.0);
}

TEST(ContentSample, TheLeftoverBudgetLengthensCutPrefixes) {
  // One class: files of 10 KiB, 100 KiB and 1 MiB, first cut at 4 KiB. With a budget of
  // 250 KiB the two smaller files are read whole (the shortest needs first, each within
  // its equal share) and the big one gets the rest; with 200 KiB the two bigger ones
  // share equally; unbounded, the big one stops at max_file_bytes.
  std::vector<std::vector<scan::SampleCandidate>> classes(1);
  classes[0] = {{1, 10 << 10, "a"}, {2, 1 << 20, "b"}, {3, 100 << 10, "c"}};
  auto plan = scan::PlanSample(classes, 0, 3, 250 << 10, 4096, 512 << 10);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].bytes, 10u << 10);
  EXPECT_EQ(plan[2].bytes, 100u << 10);
  EXPECT_EQ(plan[1].bytes, 140u << 10);
  plan = scan::PlanSample(classes, 0, 3, 200 << 10, 4096, 512 << 10);
  EXPECT_EQ(plan[0].bytes, 10u << 10);
  EXPECT_EQ(plan[1].bytes, 95u << 10);
  EXPECT_EQ(plan[2].bytes, 95u << 10);
  plan = scan::PlanSample(classes, 0, 3, UINT64_MAX, 4096, 512 << 10);
  EXPECT_EQ(plan[1].bytes, 512u << 10);
  // max_file_bytes no larger than file_bytes: prefixes stay as they were cut.
  plan = scan::PlanSample(classes, 0, 3, UINT64_MAX, 4096, 4096);
  EXPECT_EQ(plan[0].bytes, 4096u);
  EXPECT_EQ(plan[1].bytes, 4096u);
}

TEST(ContentSample, BigFilesAreDrawnFirstAndWeighedByThePriorityThreshold) {
  // Priority sampling: rank u / size, so of two files with the same path hash the
  // bigger ranks first; a read file stands for max(size, tau), tau the priority
  // size / u of the first candidate left out, and for its size when none is.
  EXPECT_LT(scan::SampleRank(1234567u << 11, 1 << 20), scan::SampleRank(1234567u << 11, 100));
  EXPECT_DOUBLE_EQ(scan::SamplePriority(scan::SampleRank(uint64_t{1} << 63, 3000)), 6000.0);
  std::vector<std::vector<scan::SampleCandidate>> classes(2);
  for (uint64_t i = 0; i < 10; ++i) {
    const uint64_t size = 1000 * (i + 1);
    classes[0].push_back({scan::SampleRank(i << 59, size), size, "a"});
  }
  std::sort(classes[0].begin(), classes[0].end());
  classes[1].push_back({scan::SampleRank(uint64_t{1} << 62, 500), 500, "b"});
  const auto plan = scan::PlanSample(classes, 0, 4, UINT64_MAX, 1 << 20, 1 << 20);
  ASSERT_EQ(plan.size(), 4u);  // three of class 0, the only file of class 1
  const double tau = scan::SamplePriority(classes[0][3].hash);
  for (const auto& r : plan) {
    if (r.class_index == 1) {
      EXPECT_DOUBLE_EQ(r.weight_bytes, 500.0);
    } else {
      EXPECT_DOUBLE_EQ(r.weight_bytes, std::max(static_cast<double>(r.file->size), tau));
      EXPECT_GE(scan::SamplePriority(r.file->hash), tau);
    }
  }
}

}  // namespace
}  // namespace sfsg
