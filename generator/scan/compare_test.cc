#include "generator/scan/compare.h"

#include <gtest/gtest.h>

namespace sfsg {
namespace {

const ProfileDistance& Get(const Comparison& c, const std::string& name) {
  for (const ProfileDistance& d : c.distances)
    if (d.name == name) return d;
  static const ProfileDistance missing{"missing", 1e9, 0, true};
  ADD_FAILURE() << "no distance " << name;
  return missing;
}

Profile Sampled() {
  Profile p = DefaultProfile();
  p.content.sampled_files = 100;
  p.content.sampled_bytes = 1 << 20;
  return p;
}

TEST(CompareProfiles, AProfileIsAtDistanceZeroFromItself) {
  const Profile p = Sampled();
  const Comparison c = CompareProfiles(p, p, {});
  EXPECT_TRUE(c.within());
  EXPECT_EQ(c.distances.size(), 8u);
  for (const ProfileDistance& d : c.distances) {
    EXPECT_TRUE(d.measured) << d.name;
    EXPECT_EQ(d.value, 0.0) << d.name;
  }
}

TEST(CompareProfiles, ScaledCountsKeepTheDistributions) {
  Profile a = Sampled(), b = Sampled();
  for (auto& v : b.sizes.log2_counts) v *= 3;
  for (auto& v : b.shape.dirs_by_depth) v *= 3;
  for (auto& v : b.shape.files_by_depth) v *= 3;
  for (auto& e : b.extensions) e.files *= 3;
  const Comparison c = CompareProfiles(a, b, {});
  EXPECT_TRUE(c.within());
  EXPECT_NEAR(Get(c, "size_ks").value, 0.0, 1e-12);
  EXPECT_NEAR(Get(c, "dirs_by_depth").value, 0.0, 1e-12);
  EXPECT_NEAR(Get(c, "extension_share").value, 0.0, 1e-12);
}

TEST(CompareProfiles, EachDistanceMeasuresWhatItNames) {
  const Profile a = Sampled();
  Profile b = a;
  // Move every file of the smallest non-empty size bucket to the largest one.
  b.sizes.log2_counts.assign(4, 0);
  b.sizes.log2_counts[1] = 50;
  b.sizes.log2_counts[3] = 50;
  Profile a2 = a;
  a2.sizes.log2_counts.assign(4, 0);
  a2.sizes.log2_counts[1] = 100;
  EXPECT_NEAR(Get(CompareProfiles(a2, b, {}), "size_ks").value, 0.5, 1e-12);
  // Depth: half of the directories one level deeper is a total variation of 0.5.
  Profile d1 = a, d2 = a;
  d1.shape.dirs_by_depth = {1, 9};
  d2.shape.dirs_by_depth = {1, 4, 5};
  EXPECT_NEAR(Get(CompareProfiles(d1, d2, {}), "dirs_by_depth").value, 0.5, 1e-12);
  // Fan-out.
  Profile f1 = a, f2 = a;
  f1.shape.subdirs_per_dir = {};
  f1.shape.subdirs_per_dir.Add(0, 10);
  f2.shape.subdirs_per_dir = {};
  f2.shape.subdirs_per_dir.Add(0, 7);
  f2.shape.subdirs_per_dir.Add(100, 3);
  EXPECT_NEAR(Get(CompareProfiles(f1, f2, {}), "subdirs_per_dir").value, 0.3, 1e-12);
  // Ratios are relative to A.
  Profile r = a;
  r.content.compression_ratio = a.content.compression_ratio * 1.2;
  r.content.dedup_ratio = a.content.dedup_ratio * 0.95;
  const Comparison cr = CompareProfiles(a, r, {});
  EXPECT_NEAR(Get(cr, "compression").value, 0.2, 1e-9);
  EXPECT_FALSE(Get(cr, "compression").within());
  EXPECT_NEAR(Get(cr, "dedup").value, 0.05, 1e-9);
  EXPECT_TRUE(Get(cr, "dedup").within());
  EXPECT_FALSE(cr.within());
  CompareTolerances loose;
  loose.max_compression = 0.25;
  EXPECT_TRUE(CompareProfiles(a, r, loose).within());
}

TEST(CompareProfiles, ExtensionsOnlyOneSideListsArePooled) {
  Profile a = Sampled(), b = Sampled();
  a.extensions = {{"c", 60}, {"h", 20}, {"*", 20}};
  b.extensions = {{"c", 60}, {"h", 20}, {"xyz", 5}, {"*", 15}};
  EXPECT_NEAR(Get(CompareProfiles(a, b, {}), "extension_share").value, 0.0, 1e-12);
  b.extensions = {{"c", 30}, {"h", 50}, {"*", 20}};
  EXPECT_NEAR(Get(CompareProfiles(a, b, {}), "extension_share").value, 0.3, 1e-12);
}

TEST(CompareProfiles, UnsampledContentIsNotCompared) {
  Profile a = Sampled(), b = Sampled();
  b.content.sampled_files = 0;
  b.content.compression_ratio = 9;
  const Comparison c = CompareProfiles(a, b, {});
  EXPECT_FALSE(Get(c, "compression").measured);
  EXPECT_TRUE(c.within());
  EXPECT_TRUE(c.ToJson()["distances"]["compression"]["value"].is_null());
  EXPECT_NE(c.ToText().find("not sampled"), std::string::npos);
}

TEST(CompareProfiles, TextAndJsonNameTheDistancesBeyondTolerance) {
  Profile a = Sampled(), b = Sampled();
  b.shape.dirs_by_depth = {1, 1000};
  const Comparison c = CompareProfiles(a, b, {});
  EXPECT_FALSE(c.within());
  EXPECT_NE(c.ToText().find("beyond tolerance: dirs_by_depth"), std::string::npos);
  const Json j = c.ToJson();
  EXPECT_FALSE(j["within"].get<bool>());
  EXPECT_FALSE(j["distances"]["dirs_by_depth"]["within"].get<bool>());
  EXPECT_TRUE(j["distances"]["size_ks"]["within"].get<bool>());
}

}  // namespace
}  // namespace sfsg
