#include "predictor/prometheus_source.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace sfsg {
namespace {

// Two hosts' node_exporter series: /srv on a (with its disk sda1), / and /srv on b.
const char* kTwoHosts = R"({"status":"success","data":{"resultType":"matrix","result":[
  {"metric":{"__name__":"node_filesystem_size_bytes","instance":"a:9100","mountpoint":"/srv","device":"/dev/sda1","fstype":"ext4"},
   "values":[[1000,"1000"],[1060,"1000"]]},
  {"metric":{"__name__":"node_filesystem_free_bytes","instance":"a:9100","mountpoint":"/srv","device":"/dev/sda1","fstype":"ext4"},
   "values":[[1000,"600"],[1060,"500"]]},
  {"metric":{"__name__":"node_filesystem_avail_bytes","instance":"a:9100","mountpoint":"/srv","device":"/dev/sda1","fstype":"ext4"},
   "values":[[1000,"550"],[1060,"450"]]},
  {"metric":{"__name__":"node_filesystem_files","instance":"a:9100","mountpoint":"/srv","device":"/dev/sda1","fstype":"ext4"},
   "values":[[1000,"100"],[1060,"100"]]},
  {"metric":{"__name__":"node_filesystem_files_free","instance":"a:9100","mountpoint":"/srv","device":"/dev/sda1","fstype":"ext4"},
   "values":[[1000,"90"],[1060,"80"]]},
  {"metric":{"__name__":"node_disk_read_time_seconds_total","instance":"a:9100","device":"sda1"},
   "values":[[1000,"1.5"],[1060,"2.25"]]},
  {"metric":{"__name__":"node_disk_reads_completed_total","instance":"b:9100","device":"vdb"},
   "values":[[1000,"5"],[1060,"65"]]},
  {"metric":{"__name__":"node_filesystem_size_bytes","instance":"b:9100","mountpoint":"/srv","device":"/dev/vdb"},
   "values":[[1000,"2000"],[1060,"2000"]]},
  {"metric":{"__name__":"node_filesystem_avail_bytes","instance":"b:9100","mountpoint":"/srv","device":"/dev/vdb"},
   "values":[[1000,"1500"],[1060,"NaN"]]},
  {"metric":{"__name__":"node_filesystem_size_bytes","instance":"b:9100","mountpoint":"/","device":"/dev/vda1"},
   "values":[[1000,"10"],[1060,"10"]]},
  {"metric":{"__name__":"node_filesystem_avail_bytes","instance":"b:9100","mountpoint":"/","device":"/dev/vda1"},
   "values":[[1000,"5"],[1060,"4"]]}]}})";

TEST(PrometheusSourceTest, EveryMountpointIsAVolumeWithItsDisk) {
  auto volumes = ParsePrometheusVolumes(kTwoHosts, "fleet.json");
  ASSERT_TRUE(volumes.ok()) << volumes.error().message;
  ASSERT_EQ(volumes->size(), 3u);
  EXPECT_EQ((*volumes)[0].name, "a:9100 /srv");
  EXPECT_EQ((*volumes)[1].name, "b:9100 /");
  EXPECT_EQ((*volumes)[2].name, "b:9100 /srv");
  const UsageTable& a = (*volumes)[0].table;
  // As df: used = size - free, capacity = used + avail (reserved blocks excluded).
  EXPECT_EQ(a.columns.at("used_bytes"), (std::vector<double>{400, 500}));
  EXPECT_EQ(a.columns.at("capacity_bytes"), (std::vector<double>{950, 950}));
  EXPECT_EQ(a.columns.at("files"), (std::vector<double>{10, 20}));
  EXPECT_EQ(a.columns.at("capacity_files"), (std::vector<double>{100, 100}));
  EXPECT_EQ(a.columns.at("read_time_ms"), (std::vector<double>{1500, 2250}));
  EXPECT_EQ((*volumes)[0].labels.at("device"), "sda1");
  EXPECT_NE(a.source.find("(a:9100 /srv)"), std::string::npos) << a.source;
  // Without free_bytes: used = size - avail, capacity = size; NaN stays an empty cell.
  const UsageTable& b = (*volumes)[2].table;
  EXPECT_EQ(b.columns.at("used_bytes")[0], 500);
  EXPECT_TRUE(std::isnan(b.columns.at("used_bytes")[1]));
  EXPECT_EQ(b.columns.at("capacity_bytes")[0], 2000);
  EXPECT_EQ(b.columns.at("read_ops"), (std::vector<double>{5, 65}));
  EXPECT_FALSE((*volumes)[1].table.columns.count("read_ops"));
}

TEST(PrometheusSourceTest, ANegativeValueInOneVolumeOfAFleetIsRefused) {
  std::string text = kTwoHosts;
  const std::string good = R"([[1000,"5"],[1060,"4"]])";
  text.replace(text.rfind(good), good.size(), R"([[1000,"5"],[1060,"12"]])");  // avail > size
  auto volumes = ParsePrometheusVolumes(text, "fleet.json");
  ASSERT_FALSE(volumes.ok());
  EXPECT_EQ(volumes.error().code, ErrorCode::kBadInput);
  EXPECT_EQ(volumes.error().message, "fleet.json (b:9100 /): used_bytes at 1060: '-2' is negative");
}

TEST(PrometheusSourceTest, OneFileParserRefusesSeveralVolumesWhereOneIsNeeded) {
  auto table = ParsePrometheusRange(kTwoHosts, "fleet.json");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.error().code, ErrorCode::kBadInput);
  EXPECT_NE(table.error().message.find("3 volumes"), std::string::npos) << table.error().message;
}

TEST(PrometheusSourceTest, DuplicateSeriesAndStrayMetricsAreNamed) {
  auto dup = ParsePrometheusVolumes(R"({"data":{"resultType":"matrix","result":[
    {"metric":{"__name__":"node_filesystem_size_bytes","mountpoint":"/x","fstype":"ext4"},"values":[[1,"1"]]},
    {"metric":{"__name__":"node_filesystem_size_bytes","mountpoint":"/x","fstype":"xfs"},"values":[[1,"1"]]}]}})",
                                    "d.json");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("fstype=xfs"), std::string::npos) << dup.error().message;
  auto stray = ParsePrometheusVolumes(R"({"data":{"resultType":"matrix","result":[
    {"metric":{"__name__":"node_filesystem_size_bytes","mountpoint":"/x"},"values":[[1,"1"]]},
    {"metric":{"__name__":"node_filesystem_size_bytes","mountpoint":"/y"},"values":[[1,"1"]]},
    {"metric":{"__name__":"up"},"values":[[1,"1"]]}]}})",
                                      "s.json");
  ASSERT_FALSE(stray.ok());
  EXPECT_NE(stray.error().message.find("up {}"), std::string::npos) << stray.error().message;
}

TEST(PrometheusSourceTest, ApiErrorsAreRemoteErrorsQuotingTheServer) {
  auto r = ParseQueryRange(
      R"({"status":"error","errorType":"bad_data","error":"parse error at char 5"})", "q");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRemote);
  EXPECT_EQ(r.error().message, "q: bad_data: parse error at char 5");
}

TEST(PrometheusSourceTest, SelectorsAndQueries) {
  auto s = ParsePromSelector("mountpoint=/srv");
  ASSERT_TRUE(s.ok());
  auto re = ParsePromSelector("instance=~a.*:9100");
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(re->op, "=~");
  auto ne = ParsePromSelector("fstype!=tmpfs");
  ASSERT_TRUE(ne.ok());
  EXPECT_EQ(PromQuery("node_filesystem_size_bytes", {*s, *re, *ne}),
            "node_filesystem_size_bytes{mountpoint=\"/srv\",instance=~\"a.*:9100\","
            "fstype!=\"tmpfs\"}");
  EXPECT_EQ(PromQuery("up", {}), "up");
  for (const char* bad : {"", "=x", "colour=red", "mountpoint", "mountpoint="}) {
    auto r = ParsePromSelector(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kUsage);
  }
  auto quoted = ParsePromSelector("mountpoint=/a\"b");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ(PromQuery("m", {*quoted}), "m{mountpoint=\"/a\\\"b\"}");
}

TEST(PrometheusSourceTest, WindowCoversTwiceTheHorizonWithinThePointLimit) {
  const PromWindow w = ChoosePromWindow(90 * 86400.0, 10000);
  EXPECT_EQ(w.range_s, 180 * 86400.0);
  EXPECT_EQ(w.step_s, 1800);  // 8,640 points
  const PromWindow shortest = ChoosePromWindow(3600, 10000);
  EXPECT_EQ(shortest.range_s, 7 * 86400.0);
  EXPECT_EQ(shortest.step_s, 120);  // 5,040 points
  EXPECT_LE(
      ChoosePromWindow(3650 * 86400.0, 0).range_s / ChoosePromWindow(3650 * 86400.0, 0).step_s,
      11000);
}

TEST(PrometheusSourceTest, TablesRoundTripThroughCsv) {
  auto volumes = ParsePrometheusVolumes(kTwoHosts, "fleet.json");
  ASSERT_TRUE(volumes.ok());
  const UsageTable& b = (*volumes)[2].table;
  const std::string csv = UsageTableToCsv(b);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "timestamp,used_bytes,capacity_bytes,read_ops");
  auto back = ParseUsageCsv(csv, "b.csv");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->time_s, b.time_s);
  EXPECT_EQ(back->columns.at("read_ops"), b.columns.at("read_ops"));
  EXPECT_TRUE(std::isnan(back->columns.at("used_bytes")[1]));
}

TEST(PrometheusSourceTest, UnreachableServerIsARemoteErrorNamingUrlAndQuery) {
  PrometheusSource source;
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  auto endpoint = ParseHttpEndpoint("http://127.0.0.1:1/", "--usage");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->url, "http://127.0.0.1:1");
  source.endpoint = *endpoint;
  source.selectors = {{"mountpoint", "=", "/srv"}};
  source.end_unix = 1.7e9;
  source.range_s = 86400;
  source.step_s = 60;
  auto r = FetchPrometheusVolumes(source);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRemote);
  EXPECT_NE(r.error().message.find("http://127.0.0.1:1: query_range "
                                   "'node_filesystem_size_bytes{mountpoint=\"/srv\"}': "),
            std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
}

TEST(PrometheusSourceTest, EndpointsAndCredentialsAreChecked) {
  EXPECT_TRUE(IsHttpUrl("https://p:9090"));
  EXPECT_FALSE(IsHttpUrl("usage.csv"));
  auto prefixed = ParseHttpEndpoint("https://mon.example:443/prometheus/", "--usage");
  ASSERT_TRUE(prefixed.ok());
  EXPECT_EQ(prefixed->host_port, "mon.example:443");
  EXPECT_EQ(prefixed->path_prefix, "/prometheus");
  for (const char* bad : {"ftp://x", "http://", "http://u:p@host:9090", "http://h/?q=1"})
    EXPECT_FALSE(ParseHttpEndpoint(bad, "--usage").ok()) << bad;
  EXPECT_EQ(PercentEncode("a b{c=\"/\"}"), "a%20b%7Bc%3D%22%2F%22%7D");
}

}  // namespace
}  // namespace sfsg
