#include "predictor/device_basis.h"

#include <cstdio>

namespace sfsg {

namespace {

std::string Percent(const std::optional<double>& e) {
  if (!e) return "?";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f%%", *e * 100);
  return buf;
}

Json NumOrNull(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

bool Validated(const DeviceBasis& b) {
  return b.throughput_error || b.p99_error || b.usl_peak_error;
}

}  // namespace

DeviceBasis DeviceBasisFromModel(const DeviceModel& model) {
  DeviceBasis b;
  b.name = model.name;
  b.mode = model.provenance.mode;
  b.created_utc = model.provenance.created_utc;
  b.target = model.provenance.target_path;
  b.filesystem = model.provenance.filesystem_type;
  b.device = model.provenance.device;
  b.throughput_error = model.validation.throughput_error;
  b.p99_error = model.validation.p99_error;
  b.usl_peak_error = model.validation.usl_peak_error;
  b.validated_utc = model.validation.validated_utc;
  b.covered_ops_per_s_max = model.provenance.ops_per_s_max;
  b.covered_concurrency_max = model.provenance.concurrency_max;
  return b;
}

std::string DeviceBasisStatement(const std::optional<DeviceBasis>& basis) {
  if (!basis)
    return "no device model: the performance figures are the shadow's own (a FUSE daemon "
           "serving from memory) and describe no real device";
  return "performance figures from a shadow timed by " + DeviceModelStatement(*basis);
}

std::string DeviceModelStatement(const DeviceBasis& b) {
  std::string where = b.target;
  if (!b.filesystem.empty())
    where += " (" + b.filesystem + (b.device.empty() ? "" : " on " + b.device) + ")";
  std::string out = "device model '" + b.name + "' (" + b.mode + " calibration" +
                    (where.empty() ? "" : " of " + where) +
                    (b.created_utc.empty() ? "" : ", " + b.created_utc) + "); ";
  if (Validated(b))
    out += "validated" + (b.validated_utc.empty() ? "" : " " + b.validated_utc) +
           ": throughput within " + Percent(b.throughput_error) + ", p99 within " +
           Percent(b.p99_error) + ", USL peak within " + Percent(b.usl_peak_error) +
           " of the real device";
  else
    out += "not validated: its error against the real device is unknown (scripts/bench-device)";
  if (b.mode == "passive") {
    char range[160];
    std::snprintf(range, sizeof(range),
                  "; fitted passively from the device's counters, it covers only the load "
                  "observed (up to %.0f requests/s, a mean queue up to %u)",
                  b.covered_ops_per_s_max, b.covered_concurrency_max);
    out += range;
  }
  return out;
}

Json DeviceBasisJson(const std::optional<DeviceBasis>& basis) {
  Json model = nullptr;
  if (basis) {
    const DeviceBasis& b = *basis;
    Json validation = nullptr;
    if (Validated(b))
      validation = {{"throughput_error", NumOrNull(b.throughput_error)},
                    {"p99_error", NumOrNull(b.p99_error)},
                    {"usl_peak_error", NumOrNull(b.usl_peak_error)},
                    {"validated_utc", b.validated_utc}};
    model = {{"name", b.name},
             {"mode", b.mode},
             {"created_utc", b.created_utc},
             {"target", b.target},
             {"filesystem", b.filesystem},
             {"device", b.device},
             {"validation", std::move(validation)},
             {"covers",
              {{"ops_per_s_max", b.covered_ops_per_s_max > 0 ? Json(b.covered_ops_per_s_max)
                                                              : Json(nullptr)},
               {"concurrency_max", b.covered_concurrency_max > 0
                                       ? Json(b.covered_concurrency_max)
                                       : Json(nullptr)}}}};
  }
  return {{"model", std::move(model)}, {"statement", DeviceBasisStatement(basis)}};
}

}  // namespace sfsg
