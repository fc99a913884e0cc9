// MetricsServer: the mount's gauges over HTTP for Prometheus to scrape
// (sfsg-mount --metrics-listen ADDR:PORT). GET /metrics answers with the text the
// render function returns (the same text as /.sfsg/metrics), in the exposition format
// 0.0.4; any other path is 404.
//
// Bind() is separate from Start() so that a bad or busy address is an error before the
// mount (and before sfsg-mount forks into the background: the bound socket survives the
// fork, the serving thread is started after it). One server thread pool (cpp-httplib's,
// from Debian's libcpp-httplib0.11); the render function is called on those threads and
// must be thread-safe. Start/Stop from one thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "generator/util/status.h"

namespace httplib {
class Server;
}

namespace sfsg {

struct ListenAddress {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
  int port = 0;
};

// "127.0.0.1:9105", "[::1]:9105", "localhost:9105". Errors: kUsage naming the option
// and the text (no port, a port outside 1..65535, an empty host).
Result<ListenAddress> ParseListenAddress(std::string_view text, std::string_view option);

class MetricsServer {
 public:
  using Render = std::function<std::string()>;
  explicit MetricsServer(Render render);
  ~MetricsServer();  // Stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Errors: kIo naming the address (in use, cannot be bound).
  Status Bind(const ListenAddress& address);
  // Serves on a background thread. REQUIRES: Bind() succeeded.
  void Start();
  // Stops serving and joins the thread; idempotent.
  void Stop();

 private:
  Render render_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace sfsg
