// The loop's Prometheus source (see prometheus_watch.h).
#include "fuse/forecaster/prometheus_watch.h"

#include "generator/util/json_io.h"

namespace sfsg {

Result<PrometheusSource> MakeWatchSource(const std::string& url,
                                         const std::vector<std::string>& selectors,
                                         const std::string& bearer_token_file,
                                         const std::string& basic_auth_file, double horizon_s) {
  PrometheusSource source;
  auto endpoint = ParseHttpEndpoint(url, "--watch");
  if (!endpoint) return endpoint.error();
  source.endpoint = *endpoint;
  for (const std::string& text : selectors) {
    auto selector = ParsePromSelector(text);
    if (!selector) {
      Error e = selector.error();
      e.message = "--watch-" + e.message.substr(2);  // "--watch-select: ..."
      return e;
    }
    source.selectors.push_back(*selector);
  }
  if (!bearer_token_file.empty()) {
    auto token = ReadBearerTokenFile(bearer_token_file);
    if (!token) return token.error();
    source.http.auth.bearer_token = *token;
  }
  if (!basic_auth_file.empty()) {
    auto auth = ReadBasicAuthFile(basic_auth_file);
    if (!auth) return auth.error();
    source.http.auth.basic_user = auth->basic_user;
    source.http.auth.basic_password = auth->basic_password;
  }
  const PromWindow window = ChoosePromWindow(horizon_s, 10000);
  source.range_s = window.range_s;
  source.step_s = window.step_s;
  return source;
}

Status FetchWatchedUsage(PrometheusSource source, double now_unix, const std::string& csv_path) {
  source.end_unix = now_unix;
  auto volumes = FetchPrometheusVolumes(source);
  if (!volumes) return volumes.error();
  if (volumes->size() != 1) {
    std::string names;
    for (const UsageVolume& v : *volumes) names += (names.empty() ? "" : ", ") + v.name;
    return Error::BadInput("--watch " + source.endpoint.url + ": the selectors match " +
                           std::to_string(volumes->size()) + " volumes (" + names +
                           "); one shadow watches one (add --watch-select mountpoint=...)");
  }
  return WriteFileAtomic(csv_path, UsageTableToCsv(volumes->front().table));
}

}  // namespace sfsg
