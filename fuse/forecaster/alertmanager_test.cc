// AlertmanagerSink and MetricsServer against servers on 127.0.0.1.
#include "fuse/forecaster/alertmanager.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "fuse/metrics_server.h"

namespace sfsg {
namespace {

AlertEvent Event(const char* state, double time, double value) {
  AlertEvent e;
  e.time_unix = time;
  e.name = "storage_days_to_full";
  e.state = state;
  e.value = value;
  e.threshold = 30;
  e.message = "storage full in under 30 days";
  return e;
}

// Collects the bodies POSTed to /api/v2/alerts; answers `status`.
class FakeAlertmanager {
 public:
  FakeAlertmanager() {
    server_.Post("/api/v2/alerts", [this](const httplib::Request& req, httplib::Response& res) {
      bodies_.push_back(Json::parse(req.body));
      res.status = status_;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~FakeAlertmanager() {
    server_.stop();
    thread_.join();
  }
  HttpEndpoint endpoint() const {
    return *ParseHttpEndpoint("http://127.0.0.1:" + std::to_string(port_), "--alertmanager");
  }
  std::vector<Json> bodies_;
  int status_ = 200;

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(AlertmanagerSinkTest, FiringIsResentAndResolvedIsSentOnce) {
  FakeAlertmanager am;
  AlertmanagerSink sink(am.endpoint(), {{"service", "sfsg"}, {"mountpoint", "/mnt/s"}}, 900);
  ASSERT_TRUE(sink.Push({}, 1000).ok());
  EXPECT_TRUE(am.bodies_.empty());  // nothing to say: no request
  ASSERT_TRUE(sink.Push({Event("firing", 1000, 12)}, 1000).ok());
  ASSERT_TRUE(sink.Push({}, 1300).ok());  // a round later: re-sent
  ASSERT_EQ(am.bodies_.size(), 2u);
  const Json& alert = am.bodies_[1][0];
  EXPECT_EQ(alert["labels"]["alertname"], "storage_days_to_full");
  EXPECT_EQ(alert["labels"]["severity"], "warning");
  EXPECT_EQ(alert["labels"]["service"], "sfsg");
  EXPECT_EQ(alert["labels"]["mountpoint"], "/mnt/s");
  EXPECT_EQ(alert["annotations"]["summary"], "storage full in under 30 days");
  EXPECT_EQ(alert["startsAt"], Rfc3339(1000));
  EXPECT_EQ(alert["endsAt"], Rfc3339(2200));  // three intervals ahead of this push

  am.status_ = 503;  // down: the resolution is kept
  EXPECT_EQ(sink.Push({Event("resolved", 1600, 40)}, 1600).error().code, ErrorCode::kRemote);
  am.status_ = 200;
  ASSERT_TRUE(sink.Push({}, 1900).ok());
  ASSERT_EQ(am.bodies_.size(), 4u);
  ASSERT_EQ(am.bodies_[3].size(), 1u);
  EXPECT_EQ(am.bodies_[3][0]["endsAt"], Rfc3339(1600));
  EXPECT_EQ(am.bodies_[3][0]["startsAt"], Rfc3339(1000));
  ASSERT_TRUE(sink.Push({}, 2200).ok());
  EXPECT_EQ(am.bodies_.size(), 4u);  // sent once
}

TEST(AlertmanagerSinkTest, StoragePastItsThresholdIsCritical) {
  AlertmanagerSink sink(*ParseHttpEndpoint("http://127.0.0.1:1", "x"), {}, 60);
  EXPECT_FALSE(sink.Push({Event("firing", 10, 0)}, 10).ok());  // nothing listens on port 1
  EXPECT_EQ(sink.Payload(10)[0]["labels"]["severity"], "critical");
  EXPECT_EQ(Rfc3339(1700000000.25), "2023-11-14T22:13:20.250Z");
}

// Inodes past their threshold page as storage does; days left only warn.
TEST(AlertmanagerSinkTest, InodesPastTheirThresholdAreCritical) {
  AlertmanagerSink sink(*ParseHttpEndpoint("http://127.0.0.1:1", "x"), {}, 60);
  AlertEvent files = Event("firing", 10, 0);
  files.name = "files_days_to_full";
  EXPECT_FALSE(sink.Push({files}, 10).ok());
  ASSERT_EQ(sink.Payload(10).size(), 1u);
  EXPECT_EQ(sink.Payload(10)[0]["labels"]["alertname"], "files_days_to_full");
  EXPECT_EQ(sink.Payload(10)[0]["labels"]["severity"], "critical");
  AlertmanagerSink later(*ParseHttpEndpoint("http://127.0.0.1:1", "x"), {}, 60);
  files.value = 12;
  EXPECT_FALSE(later.Push({files}, 10).ok());
  EXPECT_EQ(later.Payload(10)[0]["labels"]["severity"], "warning");
}

TEST(MetricsServerTest, ServesTheRenderedTextAtMetrics) {
  MetricsServer server([] { return std::string("sfsg_uptime_seconds 1\n"); });
  // A free port: bind a socket to port 0, note the port, close it.
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(a);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length), 0);
    port = ntohs(a.sin_port);
    ::close(fd);
  }
  auto address = ParseListenAddress("127.0.0.1:" + std::to_string(port), "--metrics-listen");
  ASSERT_TRUE(address.ok());
  if (!server.Bind(*address).ok()) GTEST_SKIP() << "port taken meanwhile";
  server.Start();
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "sfsg_uptime_seconds 1\n");
  EXPECT_NE(res->get_header_value("Content-Type").find("version=0.0.4"), std::string::npos);
  EXPECT_EQ(client.Get("/other")->status, 404);
  // The same address twice cannot be bound.
  MetricsServer second([] { return std::string(); });
  EXPECT_EQ(second.Bind(*address).error().code, ErrorCode::kIo);
  server.Stop();
}

TEST(MetricsServerTest, ListenAddressesAreChecked) {
  auto v6 = ParseListenAddress("[::1]:9105", "--metrics-listen");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9105);
  for (const char* bad : {"9105", ":9105", "host:", "host:0", "host:70000", "host:9x"})
    EXPECT_EQ(ParseListenAddress(bad, "--metrics-listen").error().code, ErrorCode::kUsage) << bad;
}

}  // namespace
}  // namespace sfsg
