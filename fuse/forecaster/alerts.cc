#include "fuse/forecaster/alerts.h"

#include <cmath>
#include <cstdio>

namespace sfsg {

AlertEngine::AlertEngine(std::vector<AlertRule> rules, double hysteresis, double cooldown_s)
    : rules_(std::move(rules)), hysteresis_(hysteresis), cooldown_s_(cooldown_s) {}

std::vector<AlertEvent> AlertEngine::Evaluate(const std::map<std::string, double>& values,
                                              double now_unix) {
  std::vector<AlertEvent> events;
  evaluated_unix_ = now_unix;
  for (const AlertRule& rule : rules_) {
    State& s = state_[rule.name];
    const auto it = values.find(rule.metric);
    s.measured = it != values.end() && std::isfinite(it->second);
    if (!s.measured) continue;
    const double v = it->second;
    s.last_value = v;
    s.valued = true;
    const double margin = std::fabs(rule.threshold) * hysteresis_;
    const bool breached = rule.fire_below ? v < rule.threshold : v > rule.threshold;
    const bool recovered =
        rule.fire_below ? v > rule.threshold + margin : v < rule.threshold - margin;
    AlertEvent e{now_unix, rule.name, "", v, rule.threshold, ""};
    char text[256];
    if (!s.firing && breached && now_unix - s.last_fired_unix >= cooldown_s_) {
      s.firing = true;
      s.last_fired_unix = now_unix;
      e.state = "firing";
      std::snprintf(text, sizeof text, "%s: %s (value %.6g, threshold %.6g)", rule.name.c_str(),
                    rule.description.c_str(), v, rule.threshold);
    } else if (s.firing && recovered) {
      s.firing = false;
      e.state = "resolved";
      std::snprintf(text, sizeof text, "%s: resolved (value %.6g, threshold %.6g)",
                    rule.name.c_str(), v, rule.threshold);
    } else {
      continue;
    }
    e.message = text;
    history_.push_back(e);
    events.push_back(e);
  }
  return events;
}

std::vector<std::string> AlertEngine::Firing() const {
  std::vector<std::string> names;
  for (const auto& [name, s] : state_)
    if (s.firing) names.push_back(name);
  return names;
}

Json AlertEventToJson(const AlertEvent& e) {
  return {{"time_unix", e.time_unix}, {"name", e.name},           {"state", e.state},
          {"value", e.value},         {"threshold", e.threshold}, {"message", e.message}};
}

Json AlertEngine::ToJson() const {
  Json rules = Json::array(), history = Json::array();
  for (const AlertRule& r : rules_) {
    const auto it = state_.find(r.name);
    const bool valued = it != state_.end() && it->second.valued;
    rules.push_back({{"name", r.name},
                     {"metric", r.metric},
                     {"fires", r.fire_below ? "below" : "above"},
                     {"threshold", r.threshold},
                     {"description", r.description},
                     {"value", valued ? Json(it->second.last_value) : Json()},
                     {"measured", it != state_.end() && it->second.measured}});
  }
  for (const AlertEvent& e : history_) history.push_back(AlertEventToJson(e));
  Json out = {{"format", "sfsg-alerts"},
              {"version", 1},
              {"status", evaluated_unix_ < 0 ? "not-evaluated" : "evaluated"},
              {"evaluated_unix", evaluated_unix_ < 0 ? Json() : Json(evaluated_unix_)},
              {"hysteresis", hysteresis_},
              {"cooldown_s", cooldown_s_},
              {"rules", rules},
              {"firing", Firing()},
              {"history", history}};
  if (evaluated_unix_ < 0) out["reason"] = "no alert rule has been evaluated by this mount yet";
  return out;
}

}  // namespace sfsg
