#include "generator/replay/fio.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <sstream>

#include "generator/profile.h"

namespace sfsg {
namespace {

// One direction of a fio job, as json+ writes it (bins: latency ns -> count).
Json Direction(uint64_t ios, double iops, Json bins, double runtime_ms = 1000) {
  Json clat = {{"min", 1000}, {"max", 100000}, {"mean", 5950}, {"N", ios}};
  clat["percentile"] = {
      {"50.000000", 1000}, {"90.000000", 2000}, {"99.000000", 100000}, {"99.900000", 100000}};
  if (!bins.is_null()) clat["bins"] = bins;
  return {{"io_bytes", ios * 4096}, {"bw_bytes", iops * 4096}, {"iops", iops},
          {"runtime", runtime_ms},  {"total_ios", ios},        {"clat_ns", clat},
          {"lat_ns", clat}};
}

Json Job(const std::string& name, int group, Json read, Json options = Json::object()) {
  Json empty = {{"io_bytes", 0}, {"bw_bytes", 0},  {"iops", 0},
                {"runtime", 0},  {"total_ios", 0}, {"clat_ns", {{"N", 0}}}};
  return {{"jobname", name},        {"groupid", group}, {"error", 0},
          {"job options", options}, {"read", read},     {"write", empty},
          {"trim", empty},          {"usr_cpu", 10.0},  {"sys_cpu", 20.0}};
}

Json Bins() { return {{"1000", 50}, {"2000", 45}, {"100000", 5}}; }

TEST(FioImport, JsonPlusBinsGiveThePercentiles) {
  Json fio = {{"fio version", "fio-3.33"}, {"timestamp", 1700000000}};
  fio["jobs"] = Json::array({Job("a", 0, Direction(100, 100, Bins()), {{"numjobs", "1"}})});
  auto curve = ImportFioJson(fio, "out.json", FioGrouping::kGroup);
  ASSERT_TRUE(curve.ok()) << curve.error().message;
  EXPECT_EQ(curve->source, "fio");
  ASSERT_EQ(curve->steps.size(), 1u);
  const CurveStep& s = curve->steps[0];
  EXPECT_EQ(s.mode, "closed");
  EXPECT_EQ(s.concurrency, 1u);
  EXPECT_DOUBLE_EQ(s.duration_s, 1.0);
  EXPECT_EQ(s.total.ops, 100u);
  EXPECT_DOUBLE_EQ(s.total.ops_per_s, 100);
  EXPECT_DOUBLE_EQ(s.per_op.at("read").bytes_per_s, 100 * 4096.0);
  // Half the I/Os at 1 us, 45% at 2 us, 5% at 100 us (3% buckets).
  EXPECT_NEAR(s.total.latency.p50_us, 1.0, 0.05);
  EXPECT_NEAR(s.total.latency.p90_us, 2.0, 0.1);
  EXPECT_NEAR(s.total.latency.p99_us, 100.0, 4);
  EXPECT_DOUBLE_EQ(s.total.latency.max_us, 100.0);
  EXPECT_DOUBLE_EQ(s.replayer.cpu_percent, 30.0);
  // It is a valid curve: it survives the curve's own loader.
  EXPECT_TRUE(PerfCurveFromJson(PerfCurveToJson(*curve), "x").ok());
}

TEST(FioImport, ClientServerHostsMergeIntoOneStep) {
  Json fio = {{"fio version", "fio-3.33"}};
  Json options = {{"numjobs", "2"}, {"rate_iops", "500"}, {"rw", "randread"}};
  Json a = Job("r", 0, Direction(100, 100, Bins()), options);
  a["hostname"] = "127.0.0.1";
  a["port"] = 8765;
  Json b = Job("r", 0, Direction(300, 300, {{"4000", 300}}, 1200), options);
  b["hostname"] = "127.0.0.1";
  b["port"] = 8766;
  Json all = Job("All clients", 0, Direction(400, 400, nullptr));
  fio["client_stats"] = Json::array({a, b, all});
  fio["global options"] = {{"group_reporting", "1"}};
  auto curve = ImportFioJson(fio, "cs.json", FioGrouping::kGroup);
  ASSERT_TRUE(curve.ok()) << curve.error().message;
  ASSERT_EQ(curve->steps.size(), 1u);
  const CurveStep& s = curve->steps[0];
  EXPECT_EQ(s.total.ops, 400u);  // "All clients" is not counted twice
  EXPECT_DOUBLE_EQ(s.total.ops_per_s, 400);
  EXPECT_EQ(s.concurrency, 4u);  // 2 hosts x numjobs 2 (group_reporting)
  EXPECT_EQ(s.mode, "open");
  EXPECT_DOUBLE_EQ(s.offered_ops_per_s, 2000);  // 500 per job x 2 jobs x 2 hosts
  EXPECT_DOUBLE_EQ(s.duration_s, 1.2);
  // The merged bins: 300 of 400 I/Os at 4 us.
  EXPECT_NEAR(s.total.latency.p50_us, 4.0, 0.15);
  EXPECT_NE(curve->workload.find("2 host"), std::string::npos);
}

// fio writes one entry per clone, or one for all clones under group_reporting, which it
// does not echo when given on the command line: the concurrency is numjobs x iodepth
// either way, and "group_reporting=0" is not grouping.
TEST(FioImport, NumjobsCountOnceWithOrWithoutGroupReporting) {
  const Json options = {{"numjobs", "2"}, {"iodepth", "3"}, {"rate_iops", "100"}};
  Json per_clone = {{"fio version", "fio-3.33"}};
  per_clone["jobs"] = Json::array({Job("r", 0, Direction(100, 100, Bins()), options),
                                   Job("r", 0, Direction(100, 100, Bins()), options)});
  Json grouped = {{"fio version", "fio-3.33"}};
  grouped["jobs"] = Json::array({Job("r", 0, Direction(200, 200, Bins()), options)});
  Json off = per_clone;
  off["global options"] = {{"group_reporting", "0"}};
  for (const auto& [fio, what] : {std::pair<const Json&, const char*>{per_clone, "per clone"},
                                  {grouped, "grouped"},
                                  {off, "group_reporting=0"}}) {
    for (FioGrouping g : {FioGrouping::kGroup, FioGrouping::kJob}) {
      auto curve = ImportFioJson(fio, "n.json", g);
      ASSERT_TRUE(curve.ok()) << curve.error().message;
      EXPECT_EQ(curve->steps[0].concurrency, 6u) << what;
      EXPECT_DOUBLE_EQ(curve->steps[0].offered_ops_per_s, 200) << what;
    }
  }
}

TEST(FioImport, PlainJsonPercentilesAreWeighted) {
  Json fio = {{"fio version", "fio-3.33"}};
  fio["jobs"] = Json::array(
      {Job("a", 0, Direction(100, 100, nullptr)), Job("a", 0, Direction(300, 300, nullptr))});
  auto curve = ImportFioJson(fio, "j.json", FioGrouping::kGroup);
  ASSERT_TRUE(curve.ok()) << curve.error().message;
  EXPECT_DOUBLE_EQ(curve->steps[0].total.latency.p50_us, 1.0);
  EXPECT_DOUBLE_EQ(curve->steps[0].total.latency.p99_us, 100.0);
  EXPECT_EQ(curve->steps[0].concurrency, 2u);
  EXPECT_NE(curve->workload.find("averaged"), std::string::npos) << curve->workload;
}

TEST(FioImport, GroupsAndJobsBecomeSteps) {
  Json fio = {{"fio version", "fio-3.33"}};
  fio["jobs"] = Json::array({Job("c1", 0, Direction(100, 100, Bins())),
                             Job("c1b", 0, Direction(100, 100, Bins())),
                             Job("c2", 1, Direction(150, 150, Bins()), {{"iodepth", "4"}})});
  auto by_group = ImportFioJson(fio, "j.json", FioGrouping::kGroup);
  ASSERT_TRUE(by_group.ok());
  ASSERT_EQ(by_group->steps.size(), 2u);
  EXPECT_EQ(by_group->steps[0].total.ops, 200u);
  EXPECT_EQ(by_group->steps[1].concurrency, 4u);
  auto by_job = ImportFioJson(fio, "j.json", FioGrouping::kJob);
  ASSERT_TRUE(by_job.ok());
  EXPECT_EQ(by_job->steps.size(), 3u);
}

TEST(FioImport, BadOutputIsNamed) {
  auto not_object = ImportFioJson(Json::array(), "x.json", FioGrouping::kGroup);
  EXPECT_EQ(not_object.error().code, ErrorCode::kBadInput);
  Json no_jobs = {{"jobs", Json::array()}};
  EXPECT_NE(ImportFioJson(no_jobs, "x.json", FioGrouping::kGroup).error().message.find("no jobs"),
            std::string::npos);
  Json broken = {{"jobs", Json::array({Job("a", 0, Direction(10, 10, Bins()))})}};
  broken["jobs"][0]["read"].erase("total_ios");
  auto e = ImportFioJson(broken, "x.json", FioGrouping::kGroup);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("x.json.jobs[0].read.total_ios"), std::string::npos)
      << e.error().message;
  Json idle = {{"jobs", Json::array({Job("a", 0, Direction(0, 0, Bins()))})}};
  EXPECT_FALSE(ImportFioJson(idle, "x.json", FioGrouping::kGroup).ok());
  // Counts must be integers in range: a huge float once reached a float-to-integer
  // conversion (found by fuzzing fio_json); now it is bad input naming the field.
  for (const char* field : {"N", "bins", "total_err"}) {
    Json huge = {{"jobs", Json::array({Job("a", 0, Direction(10, 10, Bins()))})}};
    Json& lat = huge["jobs"][0]["read"]["clat_ns"];
    if (std::string(field) == "N") lat["N"] = 1.67778e74;
    if (std::string(field) == "bins") lat["bins"] = {{"1000", -3}};
    if (std::string(field) == "total_err") huge["jobs"][0]["total_err"] = 1e30;
    auto bad = ImportFioJson(huge, "x.json", FioGrouping::kGroup);
    ASSERT_FALSE(bad.ok()) << field;
    EXPECT_EQ(bad.error().code, ErrorCode::kBadInput);
    EXPECT_NE(bad.error().message.find(field), std::string::npos) << bad.error().message;
  }
}

// Every damaged field is bad input naming it (the file, the job, the path to the field),
// never a default, a wrapped integer, an implausible value or the JSON library's text.
TEST(FioImport, DamagedFieldsAreNamed) {
  struct Case {
    const char* what;
    std::function<void(Json&)> damage;
    const char* field;
  };
  const auto opt = [](const char* key, const char* value) {
    return [=](Json& job) { job["job options"][key] = value; };
  };
  const auto lat = [](std::function<void(Json&)> f) {
    return [=](Json& job) { f(job["read"]["clat_ns"]); };
  };
  const Case cases[] = {
      {"numjobs not a number", opt("numjobs", "x"), "x.json.jobs[0].job options.numjobs"},
      {"negative numjobs", opt("numjobs", "-3"), "x.json.jobs[0].job options.numjobs"},
      {"iodepth not a number", opt("iodepth", "abc"), "x.json.jobs[0].job options.iodepth"},
      {"rate_iops not a number", opt("rate_iops", "abc"), "x.json.jobs[0].job options.rate_iops"},
      {"numjobs not a string", [](Json& job) { job["job options"]["numjobs"] = 4; },
       "x.json.jobs[0].job options.numjobs"},
      {"huge iops", [](Json& job) { job["read"]["iops"] = 1e308; }, "x.json.jobs[0].read.iops"},
      {"huge bw", [](Json& job) { job["read"]["bw_bytes"] = 1e308; },
       "x.json.jobs[0].read.bw_bytes"},
      {"negative percentile", lat([](Json& l) { l["percentile"]["99.000000"] = -1; }),
       "x.json.jobs[0].read.clat_ns.percentile.99.000000"},
      {"percentile a string", lat([](Json& l) { l["percentile"]["99.000000"] = "1"; }),
       "x.json.jobs[0].read.clat_ns.percentile.99.000000"},
      {"p50 above p99", lat([](Json& l) { l["percentile"]["50.000000"] = 500000; }),
       "x.json.jobs[0].read.clat_ns.percentile"},
      {"empty percentiles", lat([](Json& l) { l["percentile"] = Json::object(); }),
       "x.json.jobs[0].read.clat_ns.percentile.50.000000"},
      {"no percentiles, no bins", lat([](Json& l) { l.erase("percentile"); }),
       "x.json.jobs[0].read.clat_ns.percentile"},
      {"bins not an object", lat([](Json& l) { l["bins"] = "many"; }),
       "x.json.jobs[0].read.clat_ns.bins"},
      {"bin key not a latency", lat([](Json& l) {
         l["bins"] = {{"fast", 3}};
       }),
       "x.json.jobs[0].read.clat_ns.bins"},
      {"max a string", lat([](Json& l) { l["max"] = "slow"; }), "x.json.jobs[0].read.clat_ns.max"},
      {"cpu a string", [](Json& job) { job["usr_cpu"] = "10"; }, "x.json.jobs[0].usr_cpu"},
      {"error a string", [](Json& job) { job["error"] = "EIO"; }, "x.json.jobs[0].error"},
      {"job options not an object", [](Json& job) { job["job options"] = "numjobs=4"; },
       "x.json.jobs[0].job options"},
  };
  for (const Case& c : cases) {
    Json fio = {{"jobs", Json::array({Job("a", 0, Direction(10, 10, nullptr))})}};
    c.damage(fio["jobs"][0]);
    auto bad = ImportFioJson(fio, "x.json", FioGrouping::kGroup);
    ASSERT_FALSE(bad.ok()) << c.what;
    EXPECT_EQ(bad.error().code, ErrorCode::kBadInput) << c.what;
    EXPECT_NE(bad.error().message.find(c.field), std::string::npos)
        << c.what << ": " << bad.error().message;
    EXPECT_EQ(bad.error().message.find("json.exception"), std::string::npos)
        << c.what << ": " << bad.error().message;
  }
  // A global option of the wrong kind is named too.
  Json fio = {{"jobs", Json::array({Job("a", 0, Direction(10, 10, nullptr))})}};
  fio["global options"] = {{"iodepth", "-1"}};
  auto bad = ImportFioJson(fio, "x.json", FioGrouping::kGroup);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("x.json.global options.iodepth"), std::string::npos)
      << bad.error().message;
}

// json+ bins without fio's percentiles still merge with a plain json entry.
TEST(FioImport, BinsWithoutPercentilesMergeWithPlainJson) {
  Json binned = Direction(100, 100, Bins());
  binned["clat_ns"].erase("percentile");
  Json fio = {
      {"jobs", Json::array({Job("a", 0, binned), Job("b", 0, Direction(100, 100, nullptr))})}};
  auto curve = ImportFioJson(fio, "j.json", FioGrouping::kGroup);
  ASSERT_TRUE(curve.ok()) << curve.error().message;
  EXPECT_GT(curve->steps[0].total.latency.p50_us, 0.5);
  EXPECT_LE(curve->steps[0].total.latency.p50_us, curve->steps[0].total.latency.p99_us);
}

class FioEmit : public ::testing::Test {
 protected:
  void SetUp() override {
    NamespaceOptions o;
    o.seed = 3;
    o.files = 5000;
    auto ns = Namespace::Create(DefaultProfile(), o);
    ASSERT_TRUE(ns.ok());
    ns_ = std::move(*ns);
  }
  static std::string Line(const std::string& job, const std::string& key) {
    std::istringstream in(job);
    std::string line, found;
    while (std::getline(in, line))
      if (line.rfind(key + "=", 0) == 0) found = line.substr(key.size() + 1);
    return found;
  }
  std::unique_ptr<Namespace> ns_;
};

TEST_F(FioEmit, ListsHotFilesWithNoLayout) {
  FioJobOptions o;
  o.files = 8;
  o.seed = 3;
  o.directory = "/mnt/shadow";
  auto emitted = EmitFioJob(DefaultWorkload(), *ns_, o);
  ASSERT_TRUE(emitted.ok()) << emitted.error().message;
  EXPECT_EQ(emitted->files, 8u);
  EXPECT_EQ(emitted->warning, "");
  const std::string* job = &emitted->text;
  EXPECT_EQ(Line(*job, "allow_file_create"), "0");
  EXPECT_EQ(Line(*job, "create_on_open"), "0");
  EXPECT_EQ(Line(*job, "directory"), "/mnt/shadow");
  EXPECT_EQ(Line(*job, "size"), "");
  const std::string files = Line(*job, "filename");
  EXPECT_EQ(std::count(files.begin(), files.end(), ':'), 7);
  // Every listed file exists in the namespace and is at least the largest request.
  std::istringstream names(files);
  std::string name;
  while (std::getline(names, name, ':')) {
    uint64_t ino = Namespace::kRootIno;
    std::istringstream parts(name);
    std::string part;
    std::optional<NodeAttr> attr;
    while (std::getline(parts, part, '/')) {
      attr = ns_->Lookup(ino, part);
      ASSERT_TRUE(attr.has_value()) << name;
      ino = attr->ino;
    }
    EXPECT_GE(attr->size_bytes, uint64_t{1} << 20) << name;
  }
  // The default mix is rated: a read job and a write job (fio 3.33 cannot rate randrw).
  EXPECT_NE(job->find("[sfsg-read]"), std::string::npos);
  EXPECT_NE(job->find("[sfsg-write]"), std::string::npos);
  EXPECT_NE(job->find("rate_iops=120"), std::string::npos);
  EXPECT_NE(job->find("rate_iops=30"), std::string::npos);
  EXPECT_NE(job->find("bssplit=4096/50:65536/30:1048576/20"), std::string::npos);
  EXPECT_EQ(Line(*job, "file_service_type"), "zipf:0.9");
}

TEST_F(FioEmit, UnratedMixUsesRwmixread) {
  FioJobOptions o;
  o.files = 4;
  o.rate_limited = false;
  auto job = EmitFioJob(DefaultWorkload(), *ns_, o);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(Line(job->text, "rw"), "randrw");
  EXPECT_EQ(Line(job->text, "rwmixread"), "80");
  EXPECT_EQ(Line(job->text, "rate_iops"), "");
  EXPECT_EQ(Line(job->text, "directory"), "");
}

// fio refuses an option value of 4096 characters or more ("value exceeds max length of
// 4096 ... job global dropped"): a long list is split over filename= lines, which fio
// adds up, and no file is lost or repeated.
TEST_F(FioEmit, SplitsLongFileListsUnderFiosValueLimit) {
  FioJobOptions o;
  o.files = 200;
  Workload small = DefaultWorkload();  // 4 KiB requests: any non-empty file will do
  small.read_sizes = {{4096, 1}};
  small.write_sizes = {{4096, 1}};
  auto job = EmitFioJob(small, *ns_, o);
  ASSERT_TRUE(job.ok()) << job.error().message;
  ASSERT_EQ(job->files, 200u);
  std::istringstream in(job->text);
  std::string line, all;
  int lines = 0;
  while (std::getline(in, line)) {
    if (line.rfind("filename=", 0) != 0) continue;
    ++lines;
    const std::string value = line.substr(9);
    EXPECT_LE(value.size(), kFioMaxFilenameValue);
    EXPECT_FALSE(value.empty());
    all += (all.empty() ? "" : ":") + value;
  }
  EXPECT_GT(lines, 1);
  std::istringstream names(all);
  std::set<std::string> unique;
  std::string name;
  while (std::getline(names, name, ':')) unique.insert(name);
  EXPECT_EQ(unique.size(), 200u);
}

// A shadow with fewer large files than asked for (an unscaled /usr/share has 55 of
// 1 MiB or more): the job lists those there are and says so.
TEST_F(FioEmit, ListsTheLargeFilesThereAreWithAWarning) {
  FioJobOptions o;
  o.files = 1000000;
  auto job = EmitFioJob(DefaultWorkload(), *ns_, o);
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_GT(job->files, 0u);
  EXPECT_LT(job->files, 1000000u);
  EXPECT_NE(
      job->warning.find("the job lists those " + std::to_string(job->files) + ", not 1000000"),
      std::string::npos)
      << job->warning;
  EXPECT_NE(job->text.find("# Files: the " + std::to_string(job->files) + " most popular"),
            std::string::npos);
}

TEST_F(FioEmit, RefusesWhatFioCannotRun) {
  Workload meta = DefaultWorkload();
  meta.mix = {0, 0, 0, 0, 1, 0};
  EXPECT_EQ(EmitFioJob(meta, *ns_, {}).error().code, ErrorCode::kUsage);
  // No file large enough for the largest request at all.
  Workload huge = DefaultWorkload();
  huge.read_sizes = {{uint64_t{1} << 50, 1}};
  EXPECT_EQ(EmitFioJob(huge, *ns_, {}).error().code, ErrorCode::kUsage);
}

}  // namespace
}  // namespace sfsg
