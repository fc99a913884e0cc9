// AlertmanagerSink: the loop's alerts pushed to Alertmanager's API (POST
// /api/v2/alerts), firing and resolved, so they reach people through the routing tree
// the site already has.
//
// Every alert carries the labels a route matches on: alertname (the rule, as in
// /.sfsg/alerts: storage_days_to_full, files_days_to_full, throughput_headroom,
// latency_objective, probe_window), severity (warning; critical for storage or inodes
// already past their threshold), service="sfsg",
// instance (this host's name), mountpoint (the shadow), watch (what is metered); and
// annotations summary (the alert's sentence), value and threshold.
//
// Alertmanager forgets an alert that is not re-sent before its endsAt, so each Push
// re-sends every firing alert with endsAt = now + 3 x the loop interval; a resolved one
// is sent once with endsAt = the time it resolved. A push that fails (server down, a
// non-2xx reply) is logged and its resolved alerts are kept and sent again with the
// next push: the loop never stops for it.
//
// Thread-compatible: owned by the loop thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "fuse/forecaster/alerts.h"
#include "generator/util/json_io.h"
#include "generator/util/status.h"
#include "predictor/http_client.h"

namespace sfsg {

class AlertmanagerSink {
 public:
  // `labels`: the fixed labels (service, instance, mountpoint, watch).
  AlertmanagerSink(HttpEndpoint endpoint, std::map<std::string, std::string> labels,
                   double resend_s);

  // Records this round's transitions and posts every firing alert and the newly resolved
  // ones. Nothing to send: no request. Errors: kRemote naming the URL (also logged by
  // the caller); the state is kept for the next push.
  Status Push(const std::vector<AlertEvent>& events, double now_unix);

  // The body Push would send now (for tests and logs).
  Json Payload(double now_unix) const;

 private:
  HttpEndpoint endpoint_;
  std::map<std::string, std::string> labels_;
  double resend_s_;
  std::map<std::string, AlertEvent> firing_;  // by rule name: the event that fired it
  std::vector<std::pair<AlertEvent, AlertEvent>> resolved_;  // (fired, resolved) unsent
};

// RFC 3339 UTC with milliseconds: 2026-12-04T17:01:02.345Z.
std::string Rfc3339(double unix_s);

}  // namespace sfsg
