// Pushing the loop's alerts to Alertmanager (see alertmanager.h).
#include "fuse/forecaster/alertmanager.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace sfsg {

std::string Rfc3339(double unix_s) {
  const double whole = std::floor(unix_s);
  const std::time_t t = static_cast<std::time_t>(whole);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[32], out[48];
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(out, sizeof(out), "%s.%03dZ", date,
                std::min(999, static_cast<int>((unix_s - whole) * 1000)));
  return out;
}

AlertmanagerSink::AlertmanagerSink(HttpEndpoint endpoint, std::map<std::string, std::string> labels,
                                   double resend_s)
    : endpoint_(std::move(endpoint)), labels_(std::move(labels)), resend_s_(resend_s) {}

namespace {

Json AlertJson(const std::map<std::string, std::string>& fixed, const AlertEvent& fired,
               const AlertEvent& latest, double ends_unix) {
  Json labels = fixed;
  labels["alertname"] = fired.name;
  // Storage or inodes past their threshold (no days left) page; everything else warns.
  const bool days_to_full =
      fired.name == "storage_days_to_full" || fired.name == "files_days_to_full";
  labels["severity"] = days_to_full && fired.value <= 0 ? "critical" : "warning";
  char value[64], threshold[64];
  std::snprintf(value, sizeof(value), "%g", latest.value);
  std::snprintf(threshold, sizeof(threshold), "%g", latest.threshold);
  return {
      {"labels", std::move(labels)},
      {"annotations", {{"summary", latest.message}, {"value", value}, {"threshold", threshold}}},
      {"startsAt", Rfc3339(fired.time_unix)},
      {"endsAt", Rfc3339(ends_unix)}};
}

}  // namespace

Json AlertmanagerSink::Payload(double now_unix) const {
  Json alerts = Json::array();
  for (const auto& [name, fired] : firing_)
    alerts.push_back(AlertJson(labels_, fired, fired, now_unix + resend_s_));
  for (const auto& [fired, resolved] : resolved_)
    alerts.push_back(AlertJson(labels_, fired, resolved, resolved.time_unix));
  return alerts;
}

Status AlertmanagerSink::Push(const std::vector<AlertEvent>& events, double now_unix) {
  for (const AlertEvent& e : events) {
    if (e.state == "firing") {
      firing_[e.name] = e;
    } else if (e.state == "resolved") {
      auto it = firing_.find(e.name);
      resolved_.emplace_back(it == firing_.end() ? e : it->second, e);
      if (it != firing_.end()) firing_.erase(it);
    }
  }
  const Json payload = Payload(now_unix);
  if (payload.empty()) return Status::Ok();
  auto reply = HttpPostJson(endpoint_, "/api/v2/alerts", payload.dump(), HttpOptions{});
  if (!reply) return reply.error();
  if (reply->status / 100 != 2) {
    std::string body = reply->body.substr(0, 160);
    for (char& c : body)
      if (c == '\n') c = ' ';
    while (!body.empty() && body.back() == ' ') body.pop_back();
    return Error::Remote(endpoint_.url + "/api/v2/alerts: HTTP " + std::to_string(reply->status) +
                         (body.empty() ? "" : ": " + body));
  }
  resolved_.clear();
  return Status::Ok();
}

}  // namespace sfsg
