// Tests on a real tree (/usr): exact counts against an independent walk, no real name
// in the profile, and the generator reproducing what the scan measured (sizes through
// the Namespace, content ratios through the ContentModel, measured the same way).
#include <ftw.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "generator/content_meter.h"
#include "generator/content_model.h"
#include "generator/namespace.h"
#include "generator/scan/scanner.h"
#include "generator/size_model.h"
#include "generator/util/log_histogram.h"

namespace sfsg {
namespace {

constexpr const char* kTree = "/usr";

// What an independent, single-threaded walk (nftw, physical, one filesystem) sees.
struct Independent {
  uint64_t files = 0, dirs = 0, symlinks = 0, others = 0;
  LogHistogram sizes;  // regular files, empty included
  std::set<std::string> names;
};
Independent* g_walk = nullptr;

int Visit(const char* path, const struct stat* st, int type, struct FTW* ftw) {
  if (type == FTW_DNR || type == FTW_NS) return 0;
  const std::string name(path + ftw->base);
  if (ftw->level > 0) g_walk->names.insert(name);
  if (S_ISDIR(st->st_mode)) {
    ++g_walk->dirs;
  } else if (S_ISREG(st->st_mode)) {
    ++g_walk->files;
    g_walk->sizes.Add(static_cast<uint64_t>(st->st_size));
  } else if (S_ISLNK(st->st_mode)) {
    ++g_walk->symlinks;
  } else {
    ++g_walk->others;
  }
  return 0;
}

class UsrScan : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ScanOptions options;
    options.sample_files = 600;
    options.sample_bytes = 64 << 20;
    auto p = ScanTree(kTree, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    profile_ = new Profile(std::move(*p));
    walk_ = new Independent;
    g_walk = walk_;
    ASSERT_EQ(0, ::nftw(kTree, Visit, 64, FTW_PHYS | FTW_MOUNT));
  }
  static void TearDownTestSuite() {
    delete profile_;
    delete walk_;
  }
  static Profile* profile_;
  static Independent* walk_;
};
Profile* UsrScan::profile_ = nullptr;
Independent* UsrScan::walk_ = nullptr;

// Every string (keys and values) anywhere in a JSON document.
void CollectStrings(const Json& j, std::set<std::string>& out) {
  if (j.is_string()) out.insert(j.get<std::string>());
  if (j.is_object())
    for (const auto& [key, value] : j.items()) {
      out.insert(key);
      CollectStrings(value, out);
    }
  if (j.is_array())
    for (const Json& v : j) CollectStrings(v, out);
}

TEST_F(UsrScan, CountsMatchAnIndependentWalk) {
  // /usr is not expected to change during the test run.
  EXPECT_EQ(profile_->totals.files, walk_->files);
  EXPECT_EQ(profile_->totals.dirs, walk_->dirs);
  EXPECT_EQ(profile_->totals.symlinks, walk_->symlinks);
  EXPECT_EQ(profile_->totals.others, walk_->others);
  EXPECT_DOUBLE_EQ(profile_->totals.bytes, walk_->sizes.sum());
  EXPECT_EQ(profile_->source.skipped, 0u);
}

TEST_F(UsrScan, ProfileCarriesNoRealName) {
  const Json json = ProfileToJson(*profile_);
  const std::string text = json.dump();
  std::set<std::string> strings;
  CollectStrings(json, strings);
  std::set<std::string> extensions;
  for (const ExtensionStats& e : profile_->extensions) extensions.insert(e.ext);
  size_t checked = 0;
  for (const std::string& name : walk_->names) {
    if (name.size() <= kMaxExtensionLength || extensions.count(name)) continue;
    ++checked;
    ASSERT_EQ(strings.count(name), 0u) << "real name in the profile: " << name;
    // Longer than any key of the schema: must not occur anywhere in the text.
    if (name.size() > 24) {
      ASSERT_EQ(text.find(name), std::string::npos) << name;
    }
  }
  EXPECT_GT(checked, 1000u);
  for (const ExtensionStats& e : profile_->extensions)
    EXPECT_LE(e.ext.size(), kMaxExtensionLength) << e.ext;
}

// KS distance between two size histograms at LogBuckets resolution (3%).
double KsDistance(const LogHistogram& a, const LogHistogram& b) {
  double ca = 0, cb = 0, d = 0;
  for (int i = 0; i < LogBuckets::kCount; ++i) {
    ca += static_cast<double>(a.counts()[i]);
    cb += static_cast<double>(b.counts()[i]);
    d = std::max(
        d, std::abs(ca / static_cast<double>(a.count()) - cb / static_cast<double>(b.count())));
  }
  return d;
}

LogHistogram GeneratedSizes(const Profile& profile, uint64_t files) {
  NamespaceOptions options;
  options.seed = 11;
  options.files = files;
  auto ns = Namespace::Create(profile, options);
  EXPECT_TRUE(ns.ok()) << ns.error().message;
  LogHistogram sizes;
  for (uint64_t i = 0; i < (*ns)->entry_count(); ++i) {
    const auto attr = (*ns)->GetAttr((*ns)->InoOfEntryIndex(i));
    if (attr && attr->kind == NodeKind::kFile) sizes.Add(attr->size_bytes);
  }
  return sizes;
}

TEST_F(UsrScan, GeneratedSizesFollowTheMeasuredDistribution) {
  const LogHistogram generated = GeneratedSizes(*profile_, 100000);
  ASSERT_GT(generated.count(), 90000u);
  // Against the real sizes, at 3% resolution: the profile's quantile table carried them.
  const double ks = KsDistance(generated, walk_->sizes);
  EXPECT_LT(ks, 0.02);
  RecordProperty("ks", std::to_string(ks));
}

TEST_F(UsrScan, GeneratedSizesFollowTheFittedModel) {
  // Without the quantile table the generator samples the fit: it must match the fit
  // (the fit's own distance to the data is reported, not tested, here).
  Profile fit_only = *profile_;
  fit_only.sizes.log2_quantiles = {};
  fit_only.sizes.empty_fraction = 0;
  const LogHistogram generated = GeneratedSizes(fit_only, 100000);
  double seen = 0, d = 0;
  const double n = static_cast<double>(generated.count());
  for (int b = 1; b < LogBuckets::kCount && LogBuckets::Low(b) <= generated.max(); ++b) {
    seen += static_cast<double>(generated.counts()[b]);
    const double k = static_cast<double>(LogBuckets::High(b)) - 1;
    // The generator caps at max_bytes, so compare below it.
    if (k < static_cast<double>(profile_->sizes.max_bytes))
      d = std::max(d, std::abs(seen / n - SizeFitCdf(profile_->sizes.fit, k + 0.5)));
  }
  EXPECT_LT(d, 0.02);
  EXPECT_LT(profile_->sizes.fit.ks_distance, 0.1);
  RecordProperty("ks", std::to_string(d));
  RecordProperty("fit_ks", std::to_string(profile_->sizes.fit.ks_distance));
}

TEST_F(UsrScan, ContentModelReproducesTheMeasuredRatios) {
  const ContentModel model(*profile_, 5);
  double worst = 0;
  // Compression, per class, on 1 MiB of generated content each, measured like the scan.
  for (size_t c = 0; c < model.classes().size(); ++c) {
    const ContentClass& cls = model.classes()[c];
    ContentMeter meter;
    std::vector<std::byte> file(1 << 20);
    model.Fill(static_cast<uint16_t>(c), 1000 + c, 0, file);
    meter.AddFile(cls.name, file);
    EXPECT_NEAR(meter.total().compression_ratio(), cls.compression_ratio,
                0.1 * cls.compression_ratio)
        << "class " << c << " '" << cls.name << "'";
    worst =
        std::max(worst, std::abs(meter.total().compression_ratio() / cls.compression_ratio - 1));
  }
  RecordProperty("worst_compression_error", std::to_string(worst));
  // Dedup, on the sample size the model is calibrated for (256 MiB of the default class).
  ContentMeter meter;
  std::vector<std::byte> file(4 << 20);
  for (uint64_t f = 0; f < 64; ++f) {
    model.Fill(0, f, 0, file);
    meter.AddFile("default", file);
  }
  RecordProperty("dedup", std::to_string(meter.dedup_ratio()) + " vs " +
                              std::to_string(profile_->content.dedup_ratio));
  EXPECT_NEAR(meter.dedup_ratio(), profile_->content.dedup_ratio,
              0.1 * profile_->content.dedup_ratio);
  EXPECT_NEAR(meter.total().compression_ratio(), profile_->content.compression_ratio,
              0.1 * profile_->content.compression_ratio);
}

}  // namespace
}  // namespace sfsg
