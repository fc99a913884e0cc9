// The /metrics HTTP endpoint over cpp-httplib (see metrics_server.h).
#include "fuse/metrics_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>

namespace sfsg {

Result<ListenAddress> ParseListenAddress(std::string_view text, std::string_view option) {
  const std::string where = std::string(option) + ": '" + std::string(text) + "'";
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return Error::Usage(where + " is not ADDRESS:PORT (e.g. 127.0.0.1:9105)");
  ListenAddress a;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) return Error::Usage(where + ": no address (127.0.0.1 for this host only)");
  a.host = std::string(host);
  const std::string port(text.substr(colon + 1));
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || end != port.c_str() + port.size() || p < 1 || p > 65535)
    return Error::Usage(where + ": the port is not 1..65535");
  a.port = static_cast<int>(p);
  return a;
}

MetricsServer::MetricsServer(Render render)
    : render_(std::move(render)), server_(std::make_unique<httplib::Server>()) {
  // httplib's default adds SO_REUSEPORT, which would let a second sfsg-mount share the
  // port and answer half the scrapes: only SO_REUSEADDR (a quick restart may rebind).
  server_->set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(render_(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

MetricsServer::~MetricsServer() { Stop(); }

Status MetricsServer::Bind(const ListenAddress& address) {
  if (!server_->bind_to_port(address.host, address.port))
    return Error::Io("--metrics-listen " + address.host + ":" + std::to_string(address.port) +
                     ": cannot listen there (in use, or not an address of this host)");
  return Status::Ok();
}

void MetricsServer::Start() {
  thread_ = std::thread([this] {
    if (!server_->listen_after_bind()) spdlog::error("metrics server: stopped with an error");
  });
  // httplib's stop() only ends a server that is already running: wait for it, so that a
  // Stop() right after Start() cannot leave the thread listening forever.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void MetricsServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sfsg
