#include "generator/perf_curve.h"

#include <cmath>

#include "generator/util/json_format.h"
#include "generator/util/status_macros.h"

namespace sfsg {
namespace {

Json LatencyToJson(const LatencySummary& l) {
  return {{"mean", l.mean_us}, {"p50", l.p50_us},   {"p90", l.p90_us},
          {"p99", l.p99_us},   {"p999", l.p999_us}, {"max", l.max_us}};
}

Json OpToJson(const OpStats& o) {
  return {{"ops", o.ops},
          {"errors", o.errors},
          {"ops_per_s", o.ops_per_s},
          {"bytes_per_s", o.bytes_per_s},
          {"latency_us", LatencyToJson(o.latency)}};
}

Json ProcessToJson(const ProcessUsage& p) {
  return {{"pid", p.pid}, {"cpu_percent", p.cpu_percent}, {"rss_bytes", p.rss_bytes}};
}

Status ReadLatency(const Json& j, const std::string& where, LatencySummary& l) {
  double* fields[] = {&l.mean_us, &l.p50_us, &l.p90_us, &l.p99_us, &l.p999_us, &l.max_us};
  const char* names[] = {"mean", "p50", "p90", "p99", "p999", "max"};
  for (int i = 0; i < 6; ++i) {
    auto v = JsonNumber(j, names[i], where);
    if (!v) return v.error();
    if (*v < 0) return Error::BadInput(where + "." + names[i] + ": negative latency");
    *fields[i] = *v;
  }
  return Status::Ok();
}

Status ReadOp(const Json& j, const std::string& where, OpStats& o) {
  auto ops = JsonUint(j, "ops", where);
  if (!ops) return ops.error();
  auto errors = JsonUint(j, "errors", where);
  if (!errors) return errors.error();
  auto rate = JsonNumber(j, "ops_per_s", where);
  if (!rate) return rate.error();
  auto bytes = JsonNumber(j, "bytes_per_s", where);
  if (!bytes) return bytes.error();
  if (*rate < 0 || *bytes < 0) return Error::BadInput(where + ": negative rate");
  auto lat = JsonObject(j, "latency_us", where);
  if (!lat) return lat.error();
  o.ops = *ops;
  o.errors = *errors;
  o.ops_per_s = *rate;
  o.bytes_per_s = *bytes;
  return ReadLatency(**lat, where + ".latency_us", o.latency);
}

Status ReadProcess(const Json& j, const std::string& where, ProcessUsage& p) {
  auto pid = JsonNumber(j, "pid", where);
  if (!pid) return pid.error();
  auto cpu = JsonNumber(j, "cpu_percent", where);
  if (!cpu) return cpu.error();
  auto rss = JsonUint(j, "rss_bytes", where);
  if (!rss) return rss.error();
  p.pid = static_cast<int64_t>(*pid);
  p.cpu_percent = *cpu;
  p.rss_bytes = *rss;
  return Status::Ok();
}

}  // namespace

std::optional<double> DeviceModelShare(const CurveStep& step) {
  const double calls_s = static_cast<double>(step.total.ops) * step.total.latency.mean_us / 1e6;
  if (!step.device_model_s || !(calls_s > 0)) return std::nullopt;
  return *step.device_model_s / calls_s;
}

Json PerfCurveToJson(const PerfCurve& curve) {
  Json steps = Json::array();
  for (const CurveStep& s : curve.steps) {
    Json per_op = Json::object();
    for (const auto& [name, op] : s.per_op) per_op[name] = OpToJson(op);
    steps.push_back({{"mode", s.mode},
                     {"concurrency", s.concurrency},
                     {"offered_ops_per_s", s.offered_ops_per_s},
                     {"duration_s", s.duration_s},
                     {"total", OpToJson(s.total)},
                     {"per_op", per_op},
                     {"filesystem", ProcessToJson(s.filesystem)},
                     {"replayer", ProcessToJson(s.replayer)}});
    if (s.device_model_s && s.device_model_share)
      steps.back()["device"] = {{"model_seconds", *s.device_model_s},
                                {"model_share", *s.device_model_share}};
  }
  Json json = {
      {"format", kCurveFormat}, {"version", kCurveVersion},           {"source", curve.source},
      {"target", curve.target}, {"created_unix", curve.created_unix}, {"workload", curve.workload},
      {"steps", steps}};
  if (curve.device_requests_per_op > 0)
    json["device"] = {{"model", curve.device_model},
                      {"requests_per_file_op", curve.device_requests_per_op}};
  return json;
}

Result<PerfCurve> PerfCurveFromJson(const Json& json, std::string_view source_name) {
  const std::string name(source_name);
  SFSG_RETURN_IF_ERROR(CheckFormatVersion(json, kCurveFormat, kCurveVersion, "a curve", name));
  PerfCurve curve;
  auto source = JsonString(json, "source", name);
  if (!source) return source.error();
  curve.source = *source;
  if (auto t = JsonString(json, "target", name))
    curve.target = *t;
  else
    return t.error();
  if (auto c = JsonNumber(json, "created_unix", name))
    curve.created_unix = *c;
  else
    return c.error();
  if (auto w = JsonString(json, "workload", name))
    curve.workload = *w;
  else
    return w.error();
  if (json.contains("device")) {
    auto device = JsonObject(json, "device", name);
    if (!device) return device.error();
    auto model = JsonString(**device, "model", name + ".device");
    if (!model) return model.error();
    auto per_op = JsonNumber(**device, "requests_per_file_op", name + ".device");
    if (!per_op) return per_op.error();
    if (!(*per_op > 0) || !std::isfinite(*per_op))
      return Error::BadInput(name + ".device.requests_per_file_op: must be a positive number");
    curve.device_model = *model;
    curve.device_requests_per_op = *per_op;
  }
  auto steps = JsonArray(json, "steps", name);
  if (!steps) return steps.error();
  for (size_t i = 0; i < (*steps)->size(); ++i) {
    const Json& j = (**steps)[i];
    const std::string where = name + ".steps[" + std::to_string(i) + "]";
    CurveStep s;
    auto mode = JsonString(j, "mode", where);
    if (!mode) return mode.error();
    if (*mode != "closed" && *mode != "open")
      return Error::BadInput(where + ".mode: '" + *mode + "' is not 'closed' or 'open'");
    s.mode = *mode;
    auto conc = JsonUint(j, "concurrency", where);
    if (!conc) return conc.error();
    if (*conc == 0 || *conc > 1000000) return Error::BadInput(where + ".concurrency: out of range");
    s.concurrency = static_cast<uint32_t>(*conc);
    auto offered = JsonNumber(j, "offered_ops_per_s", where);
    if (!offered) return offered.error();
    s.offered_ops_per_s = *offered;
    auto duration = JsonNumber(j, "duration_s", where);
    if (!duration) return duration.error();
    if (!(*duration > 0)) return Error::BadInput(where + ".duration_s: must be > 0");
    s.duration_s = *duration;
    auto total = JsonObject(j, "total", where);
    if (!total) return total.error();
    if (auto st = ReadOp(**total, where + ".total", s.total); !st) return st.error();
    auto per_op = JsonObject(j, "per_op", where);
    if (!per_op) return per_op.error();
    for (const auto& [op_name, op_json] : (*per_op)->items()) {
      OpStats op;
      if (auto st = ReadOp(op_json, where + ".per_op." + op_name, op); !st) return st.error();
      s.per_op[op_name] = op;
    }
    for (auto [key, target] :
         {std::pair{"filesystem", &s.filesystem}, std::pair{"replayer", &s.replayer}}) {
      auto p = JsonObject(j, key, where);
      if (!p) return p.error();
      if (auto st = ReadProcess(**p, where + "." + key, *target); !st) return st.error();
    }
    if (j.contains("device")) {
      auto device = JsonObject(j, "device", where);
      if (!device) return device.error();
      for (auto [key, target] : {std::pair{"model_seconds", &s.device_model_s},
                                 std::pair{"model_share", &s.device_model_share}}) {
        auto v = JsonNumber(**device, key, where + ".device");
        if (!v) return v.error();
        if (!(*v >= 0) || !std::isfinite(*v))
          return Error::BadInput(where + ".device." + key + ": must be a number >= 0");
        *target = *v;
      }
    }
    curve.steps.push_back(std::move(s));
  }
  return curve;
}

Result<PerfCurve> LoadPerfCurve(const std::string& path) {
  auto json = LoadJsonFile(path);
  if (!json) return json.error();
  return PerfCurveFromJson(*json, path);
}

Status SavePerfCurve(const PerfCurve& curve, const std::string& path) {
  return WriteFileAtomic(path, PerfCurveToJson(curve).dump(1) + "\n");
}

}  // namespace sfsg
