// Alerts: thresholds on the forecaster's figures, with hysteresis and a cooldown so a
// value hovering at a threshold does not flap.
//
// A rule fires when its value crosses the threshold (below it for "below" rules, above
// for "above" rules) and resolves only once the value is back past the threshold by the
// hysteresis fraction. After it resolves, it cannot fire again until `cooldown_s` has
// passed since it last fired. A value that is missing (not measured this round) leaves
// the rule as it is; /.sfsg/alerts shows each rule's last value and whether the last
// round measured it.
//
// Thread-compatible: one engine, owned by the forecaster thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "generator/util/json_io.h"

namespace sfsg {

struct AlertRule {
  std::string name;    // "storage_days_to_full", ...
  std::string metric;  // key into the values passed to Evaluate
  bool fire_below = true;
  double threshold = 0;
  std::string description;  // a sentence for people: "storage full in under 30 days"
};

struct AlertEvent {
  double time_unix = 0;
  std::string name;
  std::string state;  // "firing" or "resolved"
  double value = 0, threshold = 0;
  std::string message;
};

class AlertEngine {
 public:
  AlertEngine(std::vector<AlertRule> rules, double hysteresis, double cooldown_s);

  // New transitions at time `now_unix` (usually none).
  std::vector<AlertEvent> Evaluate(const std::map<std::string, double>& values, double now_unix);
  // The names of the rules firing now.
  std::vector<std::string> Firing() const;
  // {"format": "sfsg-alerts", "version": 1, "status", "evaluated_unix", "hysteresis",
  //  "cooldown_s", "rules": [...], "firing": [...], "history": [...]}. Until the first
  // Evaluate, status is "not-evaluated" (with a "reason") and evaluated_unix null;
  // after it, "evaluated" and the time of the last evaluation.
  Json ToJson() const;

 private:
  struct State {
    bool firing = false;
    double last_fired_unix = -1e300;
    double last_value = 0;
    bool valued = false;    // a value was ever given
    bool measured = false;  // the last Evaluate gave one
  };
  std::vector<AlertRule> rules_;
  double hysteresis_, cooldown_s_;
  std::map<std::string, State> state_;
  std::vector<AlertEvent> history_;
  double evaluated_unix_ = -1;  // < 0: never
};

Json AlertEventToJson(const AlertEvent& e);

}  // namespace sfsg
