// The HTTP client over cpp-httplib (see http_client.h).
#include "predictor/http_client.h"

#include <httplib.h>

#include <cctype>
#include <cmath>

#include "generator/util/json_io.h"

namespace sfsg {
namespace {

std::string TrimLine(std::string text) {
  const size_t eol = text.find('\n');
  if (eol != std::string::npos) text.resize(eol);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.erase(text.begin());
  return text;
}

std::unique_ptr<httplib::Client> MakeClient(const HttpEndpoint& endpoint,
                                            const HttpOptions& options) {
  auto client = std::make_unique<httplib::Client>(endpoint.scheme + "://" + endpoint.host_port);
  auto split = [](double s, auto set) {
    const double whole = std::floor(s);
    set(static_cast<time_t>(whole), static_cast<time_t>((s - whole) * 1e6));
  };
  split(options.connect_timeout_s,
        [&](time_t sec, time_t usec) { client->set_connection_timeout(sec, usec); });
  split(options.read_timeout_s,
        [&](time_t sec, time_t usec) { client->set_read_timeout(sec, usec); });
  split(options.read_timeout_s,
        [&](time_t sec, time_t usec) { client->set_write_timeout(sec, usec); });
  if (!options.auth.bearer_token.empty()) client->set_bearer_token_auth(options.auth.bearer_token);
  if (!options.auth.basic_user.empty())
    client->set_basic_auth(options.auth.basic_user, options.auth.basic_password);
  return client;
}

Result<HttpReply> ToReply(const httplib::Result& result, const HttpEndpoint& endpoint) {
  if (!result) {
    std::string reason = httplib::to_string(result.error());
    for (char& c : reason) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return Error::Remote(endpoint.url + ": " + reason + " error (server unreachable?)");
  }
  return HttpReply{result->status, result->body};
}

}  // namespace

bool IsHttpUrl(std::string_view text) {
  return text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0;
}

Result<HttpEndpoint> ParseHttpEndpoint(std::string_view url, std::string_view what) {
  const std::string prefix = std::string(what) + ": '" + std::string(url) + "'";
  HttpEndpoint e;
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos || !IsHttpUrl(url))
    return Error::Usage(prefix + " is not an http:// or https:// URL");
  e.scheme = std::string(url.substr(0, colon));
  std::string_view rest = url.substr(colon + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return Error::Usage(prefix + ": give the server's base URL, without a query or fragment");
  if (rest.find('@') != std::string_view::npos)
    return Error::Usage(prefix + ": no credentials in the URL (use a credentials file)");
  const size_t slash = rest.find('/');
  e.host_port = std::string(rest.substr(0, slash));
  if (e.host_port.empty()) return Error::Usage(prefix + " has no host");
  if (slash != std::string_view::npos) e.path_prefix = std::string(rest.substr(slash));
  while (!e.path_prefix.empty() && e.path_prefix.back() == '/') e.path_prefix.pop_back();
  e.url = e.scheme + "://" + e.host_port + e.path_prefix;
  return e;
}

Result<std::string> ReadBearerTokenFile(const std::string& path) {
  auto text = ReadTextFile(path, 1 << 20);
  if (!text) return text.error();
  std::string token = TrimLine(*text);
  if (token.empty()) return Error::Usage(path + ": the bearer token file is empty");
  return token;
}

Result<HttpAuth> ReadBasicAuthFile(const std::string& path) {
  auto text = ReadTextFile(path, 1 << 20);
  if (!text) return text.error();
  const std::string line = TrimLine(*text);
  const size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0)
    return Error::Usage(path + ": expected one line USER:PASSWORD");
  HttpAuth auth;
  auth.basic_user = line.substr(0, colon);
  auth.basic_password = line.substr(colon + 1);
  return auth;
}

std::string PercentEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

Result<HttpReply> HttpGet(const HttpEndpoint& endpoint, const std::string& path,
                          const HttpParams& params, const HttpOptions& options) {
  std::string target = endpoint.path_prefix + path;
  for (size_t i = 0; i < params.size(); ++i)
    target += (i == 0 ? "?" : "&") + PercentEncode(params[i].first) + "=" +
              PercentEncode(params[i].second);
  auto client = MakeClient(endpoint, options);
  return ToReply(client->Get(target), endpoint);
}

Result<HttpReply> HttpPostJson(const HttpEndpoint& endpoint, const std::string& path,
                               const std::string& body, const HttpOptions& options) {
  auto client = MakeClient(endpoint, options);
  return ToReply(client->Post(endpoint.path_prefix + path, body, "application/json"), endpoint);
}

}  // namespace sfsg
