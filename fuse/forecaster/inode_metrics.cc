// The inode forecast as Prometheus gauges (see inode_metrics.h).
#include "fuse/forecaster/inode_metrics.h"

#include <cmath>
#include <cstdio>
#include <optional>

namespace sfsg {
namespace {

// "%.17g", "+Inf" for an infinity; nothing for NaN (the exposition never carries one).
std::string Value(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char text[64];
  std::snprintf(text, sizeof(text), "%.17g", v);
  return text;
}

void Gauge(std::string& out, const char* name, const char* help) {
  out += std::string("# HELP sfsg_forecast_") + name + " " + help + "\n";
  out += std::string("# TYPE sfsg_forecast_") + name + " gauge\n";
}

void Sample(std::string& out, const char* name, double v, const std::string& labels = "") {
  if (std::isnan(v)) return;
  out += std::string("sfsg_forecast_") + name + (labels.empty() ? "" : "{" + labels + "}") + " " +
         Value(v) + "\n";
}

}  // namespace

std::string InodeForecastPrometheus(const CapacityPlan& plan, const std::string& plan_text) {
  if (!plan.storage || !plan.storage->files || !plan.storage->capacity_files) return "";
  // The plan's exposition may grow these itself (predictor/plan_output.cc): then it wins.
  if (plan_text.find("sfsg_forecast_files_threshold_seconds") != std::string::npos) return "";
  const StoragePlan& s = *plan.storage;
  const double origin = s.files->origin_s;
  std::string out;
  Gauge(out, "files_used", "Files (inodes in use) at the last sample.");
  Sample(out, "files_used", s.files->last_value);
  Gauge(out, "files_capacity", "Inodes planned against (capacity_files).");
  Sample(out, "files_capacity", *s.capacity_files);
  Gauge(out, "files_threshold", "Inode capacity times (1 - buffer).");
  Sample(out, "files_threshold", s.files_threshold_count);
  Gauge(out, "files_threshold_seconds",
        "Seconds from the last sample until the files reach the threshold (+Inf: not found).");
  const Crossing& c = s.files_threshold;
  auto seconds = [&](const std::optional<double>& t) { return t ? *t - origin : INFINITY; };
  Sample(out, "files_threshold_seconds", seconds(c.earliest_s), "bound=\"earliest\"");
  Sample(out, "files_threshold_seconds", seconds(c.expected_s), "bound=\"expected\"");
  Sample(out, "files_threshold_seconds", seconds(c.latest_s), "bound=\"latest\"");
  return out;
}

}  // namespace sfsg
