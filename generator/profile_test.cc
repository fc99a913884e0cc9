#include "generator/profile.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "generator/size_model.h"

namespace sfsg {
namespace {

TEST(Profile, DefaultIsValidAndRoundTrips) {
  const Profile& p = DefaultProfile();
  ASSERT_TRUE(ValidateProfile(p, "default").ok());
  const Json j = ProfileToJson(p);
  auto back = ProfileFromJson(j, "roundtrip");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(ProfileToJson(*back), j);
}

TEST(Profile, DefaultMeanFileSizeIsInThePublishedRange) {
  const Profile& p = DefaultProfile();
  const double mean = p.totals.bytes / p.totals.files;
  EXPECT_GT(mean, 60e3);
  EXPECT_LT(mean, 250e3);
}

TEST(Profile, RejectsWrongFormatAndVersion) {
  Json j = ProfileToJson(DefaultProfile());
  j["version"] = 99;
  auto r = ProfileFromJson(j, "p.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(r.error().message.find("p.json.version"), std::string::npos);
  j["version"] = 1;
  j["format"] = "something-else";
  EXPECT_FALSE(ProfileFromJson(j, "p.json").ok());
}

TEST(Profile, NamesTheBadField) {
  Json j = ProfileToJson(DefaultProfile());
  j["links"]["symlink_fraction"] = 3.0;
  auto r = ProfileFromJson(j, "p.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("p.json.links.symlink_fraction"), std::string::npos)
      << r.error().message;
  j = ProfileToJson(DefaultProfile());
  j["sizes"]["fit"]["lognormal_mu"] = "big";
  r = ProfileFromJson(j, "p.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("p.json.sizes.fit.lognormal_mu"), std::string::npos)
      << r.error().message;
  j = ProfileToJson(DefaultProfile());
  j["shape"].erase("dirs_by_depth");
  r = ProfileFromJson(j, "p.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("dirs_by_depth"), std::string::npos);
  j = ProfileToJson(DefaultProfile());
  j["ages"]["mtime_age_s"]["p"][3] = 0.0;
  EXPECT_FALSE(ProfileFromJson(j, "p.json").ok());
}

TEST(Profile, RefusesValuesOutOfRange) {
  // Each was accepted and then wrapped, saturated or went negative downstream.
  struct Case {
    const char* pointer;
    Json value;
    const char* field;  // what the message must name
  };
  const Case cases[] = {
      {"/totals/files", Json(18446744073709551615ull), "p.json.totals.files"},
      {"/totals/dirs", Json(1000000000000001ull), "p.json.totals.dirs"},
      {"/totals/bytes", Json(1e300), "p.json.totals.bytes"},
      {"/totals/bytes", Json(-5.0), "p.json.totals.bytes"},
      {"/sizes/log2_bytes/3", Json(-1.0), "p.json.sizes.log2_bytes[3]"},
      {"/sizes/fit/ks_distance", Json(-0.5), "p.json.sizes.fit.ks_distance"},
      {"/ages/atime_age_s/value/0", Json(-100.0), "p.json.ages.atime_age_s"},
      {"/ages/ctime_age_s/value/0", Json(-100.0), "p.json.ages.ctime_age_s"},
      {"/sizes/log2_quantiles", Json{{"p", Json::array()}, {"value", {3.0, 4.0}}},
       "p.json.sizes.log2_quantiles"},
  };
  for (const Case& c : cases) {
    Json j = ProfileToJson(DefaultProfile());
    j[Json::json_pointer(c.pointer)] = c.value;
    auto r = ProfileFromJson(j, "p.json");
    ASSERT_FALSE(r.ok()) << c.pointer << " = " << c.value.dump();
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().message.find(c.field), std::string::npos) << r.error().message;
  }
  Json j = ProfileToJson(DefaultProfile());
  ASSERT_FALSE(j["extensions"].empty());
  j["extensions"][0]["bytes"] = -1.0;
  auto r = ProfileFromJson(j, "p.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("p.json.extensions[0].bytes"), std::string::npos)
      << r.error().message;
}

TEST(Profile, LoadReportsMissingAndMalformedFiles) {
  auto missing = LoadProfile("/nonexistent/profile.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  const std::string path = ::testing::TempDir() + "/bad_profile.json";
  std::ofstream(path) << "{\"format\": \"sfsg-profile\", ";
  auto bad = LoadProfile(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadInput);
  EXPECT_NE(bad.error().message.find(path), std::string::npos);
  std::remove(path.c_str());
}

TEST(Profile, SaveThenLoadIsIdentical) {
  const std::string path = ::testing::TempDir() + "/p.json";
  ASSERT_TRUE(SaveProfile(DefaultProfile(), path).ok());
  auto loaded = LoadProfile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(ProfileToJson(*loaded), ProfileToJson(DefaultProfile()));
  std::remove(path.c_str());
}

TEST(SizeModel, NormalQuantileInvertsTheCdf) {
  for (double p : {1e-9, 0.001, 0.1, 0.5, 0.9, 0.999, 1 - 1e-9})
    EXPECT_NEAR(NormalCdf(NormalQuantile(p)), p, 1e-12 + p * 1e-9);
}

TEST(SizeModel, SplicedFitQuantileInvertsItsCdf) {
  const SizeFit fit{std::log(4096.0), 2.0, 1 << 20, 1.3, 0.01, 0};
  for (double u : {0.01, 0.3, 0.5, 0.95, 0.989, 0.995, 0.9999})
    EXPECT_NEAR(SizeFitCdf(fit, SizeFitQuantile(fit, u)), u, 1e-9);
}

}  // namespace
}  // namespace sfsg
