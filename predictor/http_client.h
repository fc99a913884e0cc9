// A small HTTP client for the remote sources and sinks sfsg talks to: Prometheus'
// query API (GET) and Alertmanager's alerts API (POST). It wraps Debian's cpp-httplib
// (libcpp-httplib0.11, the same library that serves the mount's /metrics), so callers
// see our error values, never httplib's types.
//
// Every call opens its own connection (the callers make a few requests per round), has
// a connect and a read timeout, and returns the body of a 2xx reply. Thread-safe: no
// state is shared between calls. The cost is the network's.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "generator/util/status.h"

namespace sfsg {

// A base URL split into what a connection needs: "http://127.0.0.1:9090/prom" gives
// scheme "http", host_port "127.0.0.1:9090", path_prefix "/prom" (no trailing '/').
struct HttpEndpoint {
  std::string url;  // as given, without a trailing '/', for messages
  std::string scheme;
  std::string host_port;
  std::string path_prefix;
};

// Errors: kUsage naming the URL (not http:// or https://, no host, a query or fragment).
Result<HttpEndpoint> ParseHttpEndpoint(std::string_view url, std::string_view what);

// Whether text looks like an http:// or https:// URL (the rest is a file name).
bool IsHttpUrl(std::string_view text);

struct HttpAuth {
  std::string bearer_token;                // "Authorization: Bearer ..." when not empty
  std::string basic_user, basic_password;  // basic auth when basic_user is not empty
};

// Reads a credentials file: the first line, trailing newline and spaces removed.
// Errors: kIo naming the file; kUsage when it is empty (or, for basic auth, has no ':').
Result<std::string> ReadBearerTokenFile(const std::string& path);
Result<HttpAuth> ReadBasicAuthFile(const std::string& path);

struct HttpOptions {
  HttpAuth auth;
  double connect_timeout_s = 5;
  double read_timeout_s = 30;
};

struct HttpReply {
  int status = 0;
  std::string body;
};

using HttpParams = std::vector<std::pair<std::string, std::string>>;

// GET endpoint.path_prefix + path with the parameters percent-encoded. Any status is
// returned (the caller reads the API's own error body); a connection that fails is
// kRemote naming the URL and httplib's reason ("Connection", "Read", ...).
Result<HttpReply> HttpGet(const HttpEndpoint& endpoint, const std::string& path,
                          const HttpParams& params, const HttpOptions& options);

// POST a JSON body. As HttpGet.
Result<HttpReply> HttpPostJson(const HttpEndpoint& endpoint, const std::string& path,
                               const std::string& body, const HttpOptions& options);

// "a%20b" style encoding of a query parameter (RFC 3986 unreserved characters kept).
std::string PercentEncode(std::string_view text);

}  // namespace sfsg
