// The sfsg-device JSON format: writer and reader side by side (device_model.h).
#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "generator/device/device_model.h"
#include "generator/util/json_format.h"
#include "generator/util/status_macros.h"

namespace sfsg {

// ---- JSON: writer ---------------------------------------------------------------------

namespace {

Json ServiceTimeToJson(const ServiceTime& s) {
  switch (s.kind) {
    case ServiceTime::Kind::kConstant:
      return {{"kind", "constant"}, {"us", s.constant_us}};
    case ServiceTime::Kind::kLognormal:
      return {{"kind", "lognormal"}, {"median_us", s.median_us}, {"sigma", s.sigma}};
    case ServiceTime::Kind::kQuantiles:
      return {{"kind", "quantiles"}, {"q", s.quantile_q}, {"us", s.quantile_us}};
  }
  return Json::object();
}

Json CurveToJson(const SizeCurve& c) {
  Json out = Json::array();
  for (const SizeBucket& b : c.buckets)
    out.push_back({{"size_bytes", b.size_bytes}, {"service", ServiceTimeToJson(b.service)}});
  return out;
}

Json OptionalToJson(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

}  // namespace

Json DeviceModelToJson(const DeviceModel& m) {
  Json metadata = Json::object();
  for (int i = 0; i < kMetadataOpCount; ++i)
    if (m.metadata.ops[i])
      metadata[std::string(MetadataOpName(MetadataOp(i)))] = ServiceTimeToJson(*m.metadata.ops[i]);
  const DeviceProvenance& p = m.provenance;
  const DeviceValidation& v = m.validation;
  Json out = {
      {"format", kDeviceFormat},
      {"version", kDeviceVersion},
      {"name", m.name},
      {"servers", m.servers},
      {"concurrency",
       {{"contention", m.concurrency.contention}, {"coherency", m.concurrency.coherency}}},
      {"data",
       {{"read",
         {{"sequential", CurveToJson(m.data.read_sequential)},
          {"random", CurveToJson(m.data.read_random)}}},
        {"write",
         {{"sequential", CurveToJson(m.data.write_sequential)},
          {"random", CurveToJson(m.data.write_random)}}}}},
      {"metadata", metadata},
      {"caps",
       {{"read_bytes_per_s", m.caps.read_bytes_per_s},
        {"write_bytes_per_s", m.caps.write_bytes_per_s},
        {"read_ops_per_s", m.caps.read_ops_per_s},
        {"write_ops_per_s", m.caps.write_ops_per_s},
        {"burst_s", m.caps.burst_s}}},
      {"cache",
       {{"size_bytes", m.cache.size_bytes},
        {"block_bytes", m.cache.block_bytes},
        {"dirty_limit_bytes", m.cache.dirty_limit_bytes},
        {"read_hit", CurveToJson(m.cache.read_hit)},
        {"write_hit", CurveToJson(m.cache.write_hit)}}},
      {"provenance",
       {{"mode", p.mode},
        {"created_utc", p.created_utc},
        {"tool", p.tool},
        {"target",
         {{"path", p.target_path}, {"filesystem_type", p.filesystem_type}, {"device", p.device}}},
        {"load",
         {{"concurrency_min", p.concurrency_min},
          {"concurrency_max", p.concurrency_max},
          {"ops_per_s_max", p.ops_per_s_max},
          {"request_bytes_min", p.request_bytes_min},
          {"request_bytes_max", p.request_bytes_max}}},
        {"notes", p.notes}}},
      {"validation",
       {{"throughput_error", OptionalToJson(v.throughput_error)},
        {"p99_error", OptionalToJson(v.p99_error)},
        {"usl_peak_error", OptionalToJson(v.usl_peak_error)},
        {"workloads", v.workloads},
        {"validated_utc", v.validated_utc}}}};
  if (m.caps.slice_s > 0) out["caps"]["slice_s"] = m.caps.slice_s;  // smooth ceilings: absent
  if (!m.cache.read_miss.buckets.empty())
    out["cache"]["read_miss"] = CurveToJson(m.cache.read_miss);
  if (m.cache.inodes_per_miss > 0)
    out["cache"]["inodes"] = {{"per_miss", m.cache.inodes_per_miss},
                              {"reads_per_miss", m.cache.inode_reads_per_miss},
                              {"ios_per_miss", m.cache.inode_ios_per_miss}};
  return out;
}

// ---- JSON: reader ---------------------------------------------------------------------
//
// Strict: an unknown key is an error (a misspelt "cpas" must not silently mean "no caps").
// Optional sections and fields keep the struct's defaults.

namespace {

Status OnlyKeys(const Json& object, const std::string& where,
                std::initializer_list<std::string_view> allowed) {
  if (!object.is_object()) return Error::BadInput(where + ": expected a JSON object");
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return Error::BadInput(where + "." + key + ": unknown field");
  }
  return Status::Ok();
}

bool Has(const Json& object, std::string_view key) {
  return object.contains(std::string(key)) && !object.at(std::string(key)).is_null();
}

// Reads an optional field into `out` (kept when absent).
Status Opt(const Json& o, std::string_view key, const std::string& w, double& out) {
  if (!Has(o, key)) return Status::Ok();
  auto v = JsonNumber(o, key, w);
  if (!v) return v.error();
  out = *v;
  return Status::Ok();
}
Status Opt(const Json& o, std::string_view key, const std::string& w, uint64_t& out) {
  if (!Has(o, key)) return Status::Ok();
  auto v = JsonUint(o, key, w);
  if (!v) return v.error();
  out = *v;
  return Status::Ok();
}
Status Opt(const Json& o, std::string_view key, const std::string& w, uint32_t& out) {
  uint64_t wide = out;
  SFSG_RETURN_IF_ERROR(Opt(o, key, w, wide));
  if (wide > UINT32_MAX)
    return Error::BadInput(w + "." + std::string(key) + ": " + std::to_string(wide) +
                           " is too large");
  out = static_cast<uint32_t>(wide);
  return Status::Ok();
}
Status Opt(const Json& o, std::string_view key, const std::string& w, std::string& out) {
  if (!Has(o, key)) return Status::Ok();
  auto v = JsonString(o, key, w);
  if (!v) return v.error();
  out = *v;
  return Status::Ok();
}
Status Opt(const Json& o, std::string_view key, const std::string& w, std::optional<double>& out) {
  if (!Has(o, key)) {
    out.reset();
    return Status::Ok();
  }
  double v = 0;
  SFSG_RETURN_IF_ERROR(Opt(o, key, w, v));
  out = v;
  return Status::Ok();
}

// Negative numbers in a uint field read as "expected a non-negative integer"; for time
// fields the message says "negative" through the validator instead.
Result<std::vector<double>> NumberArray(const Json& o, std::string_view key, const std::string& w) {
  auto a = JsonArray(o, key, w);
  if (!a) return a.error();
  std::vector<double> out;
  for (size_t i = 0; i < (*a)->size(); ++i) {
    const Json& v = (**a)[i];
    const std::string f = w + "." + std::string(key) + "[" + std::to_string(i) + "]";
    if (!v.is_number()) return Error::BadInput(f + ": expected a number, got " + v.dump());
    const double d = v.get<double>();
    if (!std::isfinite(d)) return Error::BadInput(f + ": not a finite number");
    out.push_back(d);
  }
  return out;
}

Result<ServiceTime> ServiceTimeFromJson(const Json& o, const std::string& w) {
  auto kind = JsonString(o, "kind", w);
  if (!kind) return kind.error();
  if (*kind == "constant") {
    SFSG_RETURN_IF_ERROR(OnlyKeys(o, w, {"kind", "us"}));
    auto us = JsonNumber(o, "us", w);
    if (!us) return us.error();
    return ServiceTime::Constant(*us);
  }
  if (*kind == "lognormal") {
    SFSG_RETURN_IF_ERROR(OnlyKeys(o, w, {"kind", "median_us", "sigma"}));
    auto median = JsonNumber(o, "median_us", w);
    if (!median) return median.error();
    auto sigma = JsonNumber(o, "sigma", w);
    if (!sigma) return sigma.error();
    return ServiceTime::Lognormal(*median, *sigma);
  }
  if (*kind == "quantiles") {
    SFSG_RETURN_IF_ERROR(OnlyKeys(o, w, {"kind", "q", "us"}));
    auto q = NumberArray(o, "q", w);
    if (!q) return q.error();
    auto us = NumberArray(o, "us", w);
    if (!us) return us.error();
    return ServiceTime::Quantiles(std::move(*q), std::move(*us));
  }
  return Error::BadInput(w + ".kind: '" + *kind + "' is not constant, lognormal or quantiles");
}

Result<SizeCurve> CurveFromJson(const Json& o, std::string_view key, const std::string& w) {
  auto a = JsonArray(o, key, w);
  if (!a) return a.error();
  SizeCurve curve;
  for (size_t i = 0; i < (*a)->size(); ++i) {
    const Json& b = (**a)[i];
    const std::string f = w + "." + std::string(key) + "[" + std::to_string(i) + "]";
    SFSG_RETURN_IF_ERROR(OnlyKeys(b, f, {"size_bytes", "service"}));
    auto size = JsonUint(b, "size_bytes", f);
    if (!size) return size.error();
    auto service = JsonObject(b, "service", f);
    if (!service) return service.error();
    auto s = ServiceTimeFromJson(**service, f + ".service");
    if (!s) return s.error();
    curve.buckets.push_back({*size, std::move(*s)});
  }
  return curve;
}

Status DirectionFromJson(const Json& data, std::string_view key, const std::string& w,
                         SizeCurve& sequential, SizeCurve& random) {
  auto dir = JsonObject(data, key, w);
  if (!dir) return dir.error();
  const std::string f = w + "." + std::string(key);
  SFSG_RETURN_IF_ERROR(OnlyKeys(**dir, f, {"sequential", "random"}));
  auto seq = CurveFromJson(**dir, "sequential", f);
  if (!seq) return seq.error();
  auto rnd = CurveFromJson(**dir, "random", f);
  if (!rnd) return rnd.error();
  sequential = std::move(*seq);
  random = std::move(*rnd);
  return Status::Ok();
}

Status MetadataFromJson(const Json& o, const std::string& w, MetadataModel& out) {
  if (!o.is_object()) return Error::BadInput(w + ": expected a JSON object");
  for (const auto& [key, value] : o.items()) {
    int found = -1;
    for (int i = 0; i < kMetadataOpCount; ++i)
      if (MetadataOpName(MetadataOp(i)) == key) found = i;
    if (found < 0)
      return Error::BadInput(w + "." + key +
                             ": unknown field (create, unlink, stat, readdir, fsync, rename, "
                             "open)");
    auto s = ServiceTimeFromJson(value, w + "." + key);
    if (!s) return s.error();
    out.ops[found] = std::move(*s);
  }
  return Status::Ok();
}

Status CapsFromJson(const Json& o, const std::string& w, DeviceCaps& c) {
  SFSG_RETURN_IF_ERROR(OnlyKeys(o, w,
                                {"read_bytes_per_s", "write_bytes_per_s", "read_ops_per_s",
                                 "write_ops_per_s", "burst_s", "slice_s"}));
  for (auto [key, field] : {std::pair{"read_bytes_per_s", &c.read_bytes_per_s},
                            std::pair{"write_bytes_per_s", &c.write_bytes_per_s},
                            std::pair{"read_ops_per_s", &c.read_ops_per_s},
                            std::pair{"write_ops_per_s", &c.write_ops_per_s},
                            std::pair{"burst_s", &c.burst_s}, std::pair{"slice_s", &c.slice_s}})
    SFSG_RETURN_IF_ERROR(Opt(o, key, w, *field));
  return Status::Ok();
}

Status CacheFromJson(const Json& o, const std::string& w, PageCacheModel& c) {
  SFSG_RETURN_IF_ERROR(OnlyKeys(o, w,
                                {"size_bytes", "block_bytes", "dirty_limit_bytes", "read_hit",
                                 "write_hit", "read_miss", "inodes"}));
  SFSG_RETURN_IF_ERROR(Opt(o, "size_bytes", w, c.size_bytes));
  if (Has(o, "inodes")) {
    const Json& i = o.at("inodes");
    const std::string f = w + ".inodes";
    SFSG_RETURN_IF_ERROR(OnlyKeys(i, f, {"per_miss", "reads_per_miss", "ios_per_miss"}));
    SFSG_RETURN_IF_ERROR(Opt(i, "per_miss", f, c.inodes_per_miss));
    SFSG_RETURN_IF_ERROR(Opt(i, "reads_per_miss", f, c.inode_reads_per_miss));
    SFSG_RETURN_IF_ERROR(Opt(i, "ios_per_miss", f, c.inode_ios_per_miss));
  }
  SFSG_RETURN_IF_ERROR(Opt(o, "block_bytes", w, c.block_bytes));
  SFSG_RETURN_IF_ERROR(Opt(o, "dirty_limit_bytes", w, c.dirty_limit_bytes));
  for (auto [key, curve] :
       {std::pair{"read_hit", &c.read_hit}, std::pair{"write_hit", &c.write_hit},
        std::pair{"read_miss", &c.read_miss}}) {
    if (!Has(o, key)) continue;
    auto r = CurveFromJson(o, key, w);
    if (!r) return r.error();
    *curve = std::move(*r);
  }
  return Status::Ok();
}

Status ProvenanceFromJson(const Json& o, const std::string& w, DeviceProvenance& p) {
  SFSG_RETURN_IF_ERROR(OnlyKeys(o, w, {"mode", "created_utc", "tool", "target", "load", "notes"}));
  for (auto [key, field] : {std::pair{"mode", &p.mode}, std::pair{"created_utc", &p.created_utc},
                            std::pair{"tool", &p.tool}, std::pair{"notes", &p.notes}})
    SFSG_RETURN_IF_ERROR(Opt(o, key, w, *field));
  if (Has(o, "target")) {
    const Json& t = o.at("target");
    const std::string f = w + ".target";
    SFSG_RETURN_IF_ERROR(OnlyKeys(t, f, {"path", "filesystem_type", "device"}));
    for (auto [key, field] :
         {std::pair{"path", &p.target_path}, std::pair{"filesystem_type", &p.filesystem_type},
          std::pair{"device", &p.device}})
      SFSG_RETURN_IF_ERROR(Opt(t, key, f, *field));
  }
  if (Has(o, "load")) {
    const Json& l = o.at("load");
    const std::string f = w + ".load";
    SFSG_RETURN_IF_ERROR(OnlyKeys(l, f,
                                  {"concurrency_min", "concurrency_max", "ops_per_s_max",
                                   "request_bytes_min", "request_bytes_max"}));
    SFSG_RETURN_IF_ERROR(Opt(l, "concurrency_min", f, p.concurrency_min));
    SFSG_RETURN_IF_ERROR(Opt(l, "concurrency_max", f, p.concurrency_max));
    SFSG_RETURN_IF_ERROR(Opt(l, "ops_per_s_max", f, p.ops_per_s_max));
    SFSG_RETURN_IF_ERROR(Opt(l, "request_bytes_min", f, p.request_bytes_min));
    SFSG_RETURN_IF_ERROR(Opt(l, "request_bytes_max", f, p.request_bytes_max));
  }
  return Status::Ok();
}

Status ValidationFromJson(const Json& o, const std::string& w, DeviceValidation& v) {
  SFSG_RETURN_IF_ERROR(OnlyKeys(
      o, w, {"throughput_error", "p99_error", "usl_peak_error", "workloads", "validated_utc"}));
  SFSG_RETURN_IF_ERROR(Opt(o, "throughput_error", w, v.throughput_error));
  SFSG_RETURN_IF_ERROR(Opt(o, "p99_error", w, v.p99_error));
  SFSG_RETURN_IF_ERROR(Opt(o, "usl_peak_error", w, v.usl_peak_error));
  SFSG_RETURN_IF_ERROR(Opt(o, "workloads", w, v.workloads));
  return Opt(o, "validated_utc", w, v.validated_utc);
}

}  // namespace

Result<DeviceModel> DeviceModelFromJson(const Json& json, std::string_view source_name) {
  const std::string w(source_name);
  SFSG_RETURN_IF_ERROR(
      CheckFormatVersion(json, kDeviceFormat, kDeviceVersion, "a device model", w));
  SFSG_RETURN_IF_ERROR(OnlyKeys(json, w,
                                {"format", "version", "name", "servers", "concurrency", "data",
                                 "metadata", "caps", "cache", "provenance", "validation"}));
  DeviceModel m;
  SFSG_RETURN_IF_ERROR(Opt(json, "name", w, m.name));
  auto servers = JsonUint(json, "servers", w);
  if (!servers) return servers.error();
  if (*servers > 1000000)
    return Error::BadInput(w + ".servers: " + std::to_string(*servers) + " is above 1000000");
  m.servers = static_cast<uint32_t>(*servers);
  if (Has(json, "concurrency")) {
    const Json& c = json.at("concurrency");
    const std::string f = w + ".concurrency";
    SFSG_RETURN_IF_ERROR(OnlyKeys(c, f, {"contention", "coherency"}));
    SFSG_RETURN_IF_ERROR(Opt(c, "contention", f, m.concurrency.contention));
    SFSG_RETURN_IF_ERROR(Opt(c, "coherency", f, m.concurrency.coherency));
  }
  auto data = JsonObject(json, "data", w);
  if (!data) return data.error();
  SFSG_RETURN_IF_ERROR(OnlyKeys(**data, w + ".data", {"read", "write"}));
  SFSG_RETURN_IF_ERROR(
      DirectionFromJson(**data, "read", w + ".data", m.data.read_sequential, m.data.read_random));
  SFSG_RETURN_IF_ERROR(DirectionFromJson(**data, "write", w + ".data", m.data.write_sequential,
                                         m.data.write_random));
  if (Has(json, "metadata"))
    SFSG_RETURN_IF_ERROR(MetadataFromJson(json.at("metadata"), w + ".metadata", m.metadata));
  if (Has(json, "caps")) SFSG_RETURN_IF_ERROR(CapsFromJson(json.at("caps"), w + ".caps", m.caps));
  if (Has(json, "cache"))
    SFSG_RETURN_IF_ERROR(CacheFromJson(json.at("cache"), w + ".cache", m.cache));
  if (Has(json, "provenance"))
    SFSG_RETURN_IF_ERROR(
        ProvenanceFromJson(json.at("provenance"), w + ".provenance", m.provenance));
  if (Has(json, "validation"))
    SFSG_RETURN_IF_ERROR(
        ValidationFromJson(json.at("validation"), w + ".validation", m.validation));
  SFSG_RETURN_IF_ERROR(ValidateDeviceModel(m, w));
  return m;
}

Result<DeviceModel> ReadDeviceModel(const std::string& path) {
  auto json = LoadJsonFile(path);
  if (!json) return json.error();
  return DeviceModelFromJson(*json, path);
}

Status WriteDeviceModel(const DeviceModel& model, const std::string& path) {
  SFSG_RETURN_IF_ERROR(ValidateDeviceModel(model, path));
  return WriteFileAtomic(path, DeviceModelToJson(model).dump(1) + "\n");
}

}  // namespace sfsg
