// The HTTP client and the live Prometheus source against a small server on 127.0.0.1
// that demands credentials: bearer tokens and basic auth reach the server, a refused
// request is a one-line kRemote error naming the URL, the query and the status.
#include "predictor/http_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include "predictor/prometheus_source.h"

namespace sfsg {
namespace {

// Answers query_range for any metric with one series on /srv; 401 without `wanted`.
class FakePrometheus {
 public:
  explicit FakePrometheus(std::string wanted_authorization)
      : wanted_(std::move(wanted_authorization)) {
    server_.Get(
        "/prom/api/v1/query_range", [this](const httplib::Request& req, httplib::Response& res) {
          if (req.get_header_value("Authorization") != wanted_) {
            res.status = 401;
            res.set_content("Unauthorized\n", "text/plain");
            return;
          }
          const std::string query = req.get_param_value("query");
          last_query_ = query;
          const std::string name = query.substr(0, query.find('{'));
          if (name.rfind("node_disk_", 0) == 0) {
            res.set_content(R"({"status":"success","data":{"resultType":"matrix","result":[]}})",
                            "application/json");
            return;
          }
          res.set_content(R"({"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"__name__":")" +
                              name + R"(","mountpoint":"/srv","device":"/dev/sda1"},
         "values":[[1700000000,"100"],[1700003600,"200"]]}]}})",
                          "application/json");
        });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~FakePrometheus() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/prom"; }
  std::string last_query() const { return last_query_; }

 private:
  std::string wanted_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::string last_query_;
};

PrometheusSource Source(const std::string& url) {
  PrometheusSource s;
  s.endpoint = *ParseHttpEndpoint(url, "--usage");
  s.selectors = {{"mountpoint", "=", "/srv"}};
  s.end_unix = 1700003600;
  s.range_s = 3600;
  s.step_s = 3600;
  return s;
}

std::string TempFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(HttpClientTest, BearerTokenReachesTheServer) {
  FakePrometheus server("Bearer s3cret");
  PrometheusSource source = Source(server.url());
  auto token = ReadBearerTokenFile(TempFile("token", "s3cret\n"));
  ASSERT_TRUE(token.ok()) << token.error().message;
  source.http.auth.bearer_token = *token;
  auto volumes = FetchPrometheusVolumes(source);
  ASSERT_TRUE(volumes.ok()) << volumes.error().message;
  ASSERT_EQ(volumes->size(), 1u);
  EXPECT_EQ(volumes->front().name, "/srv");
  // The disk query asks for the filesystem's device.
  EXPECT_NE(server.last_query().find("device=~\"sda1\""), std::string::npos) << server.last_query();
}

TEST(HttpClientTest, BasicAuthReachesTheServer) {
  // "user:pa:ss" in base64.
  FakePrometheus server("Basic dXNlcjpwYTpzcw==");
  PrometheusSource source = Source(server.url());
  auto auth = ReadBasicAuthFile(TempFile("basic", "user:pa:ss\n"));
  ASSERT_TRUE(auth.ok()) << auth.error().message;
  source.http.auth = *auth;
  auto volumes = FetchPrometheusVolumes(source);
  ASSERT_TRUE(volumes.ok()) << volumes.error().message;
}

TEST(HttpClientTest, RefusedRequestIsOneLineNamingUrlQueryAndStatus) {
  FakePrometheus server("Bearer right");
  PrometheusSource source = Source(server.url());
  source.http.auth.bearer_token = "wrong";
  auto volumes = FetchPrometheusVolumes(source);
  ASSERT_FALSE(volumes.ok());
  EXPECT_EQ(volumes.error().code, ErrorCode::kRemote);
  EXPECT_EQ(volumes.error().message,
            server.url() +
                ": query_range 'node_filesystem_size_bytes{mountpoint=\"/srv\"}': HTTP 401: "
                "Unauthorized");
}

TEST(HttpClientTest, CredentialFilesAreChecked) {
  EXPECT_EQ(ReadBearerTokenFile(TempFile("empty", "\n")).error().code, ErrorCode::kUsage);
  EXPECT_EQ(ReadBasicAuthFile(TempFile("nocolon", "user\n")).error().code, ErrorCode::kUsage);
  EXPECT_EQ(ReadBearerTokenFile("/nonexistent/token").error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace sfsg
