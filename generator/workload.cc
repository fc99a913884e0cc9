#include "generator/workload.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "generator/util/json_format.h"
#include "generator/util/status_macros.h"

namespace sfsg {
namespace {

// A working day (UTC): quiet nights, a morning ramp, a plateau through office hours
// with a lunch dip, an evening tail. Normalised to mean 1 below.
constexpr std::array<double, 24> kWorkingDay = {0.30, 0.25, 0.22, 0.20, 0.20, 0.25, 0.45, 0.80,
                                                1.30, 1.70, 1.85, 1.80, 1.50, 1.70, 1.85, 1.80,
                                                1.60, 1.30, 1.00, 0.80, 0.65, 0.55, 0.45, 0.35};

std::array<double, 24> NormalisedShape(const std::array<double, 24>& shape) {
  double sum = 0;
  for (double v : shape) sum += v;
  std::array<double, 24> out{};
  for (size_t h = 0; h < 24; ++h) out[h] = sum > 0 ? shape[h] * 24.0 / sum : 1.0;
  return out;
}

double MaxOf(const std::array<double, 24>& shape) {
  return *std::max_element(shape.begin(), shape.end());
}

double MeanSize(const std::vector<std::pair<uint64_t, double>>& sizes) {
  double mean = 0;
  for (const auto& [bytes, weight] : sizes) mean += static_cast<double>(bytes) * weight;
  return mean;
}

// Reweights a request-size distribution so its mean is `target_mean` while keeping its
// support: exponential tilting in log-size, w_i ~ base_i * s_i^lambda, lambda found by
// bisection (the tilted mean is increasing in lambda). Means outside the support clamp
// to the smallest or largest size.
std::vector<std::pair<uint64_t, double>> TiltSizes(std::vector<std::pair<uint64_t, double>> base,
                                                   double target_mean) {
  if (base.empty() || !(target_mean > 0)) return base;
  std::sort(base.begin(), base.end());
  auto tilted = [&](double lambda) {
    std::vector<std::pair<uint64_t, double>> out = base;
    const double log_ref = std::log(static_cast<double>(base.front().first));
    double sum = 0;
    for (auto& [bytes, weight] : out) {
      // Keep every size reachable: a zero base weight would pin it at zero forever.
      const double prior = std::max(weight, 1e-6);
      weight = prior * std::exp(lambda * (std::log(static_cast<double>(bytes)) - log_ref));
      sum += weight;
    }
    for (auto& entry : out) entry.second /= sum;
    return out;
  };
  if (target_mean <= static_cast<double>(base.front().first)) return {{base.front().first, 1.0}};
  if (target_mean >= static_cast<double>(base.back().first)) return {{base.back().first, 1.0}};
  double low = -60, high = 60;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (low + high);
    (MeanSize(tilted(mid)) < target_mean ? low : high) = mid;
  }
  return tilted(0.5 * (low + high));
}

Json SizesToJson(const std::vector<std::pair<uint64_t, double>>& sizes) {
  Json out = Json::array();
  for (const auto& [bytes, weight] : sizes) out.push_back({{"bytes", bytes}, {"weight", weight}});
  return out;
}

Status ReadSizes(const Json& json, const std::string& where,
                 std::vector<std::pair<uint64_t, double>>& out) {
  if (!json.is_array() || json.empty())
    return Error::BadInput(where + ": must be a non-empty array of {bytes, weight}");
  std::vector<std::pair<uint64_t, double>> sizes;
  double sum = 0;
  for (size_t i = 0; i < json.size(); ++i) {
    const std::string item = where + "[" + std::to_string(i) + "]";
    auto bytes = JsonUint(json[i], "bytes", item);
    if (!bytes) return bytes.error();
    auto weight = JsonNumber(json[i], "weight", item);
    if (!weight) return weight.error();
    if (*bytes == 0 || *bytes > (uint64_t{1} << 30))
      return Error::BadInput(item + ".bytes: " + std::to_string(*bytes) + " is not in [1, 1 GiB]");
    if (!(*weight >= 0) || !std::isfinite(*weight))
      return Error::BadInput(item + ".weight: must be a finite number >= 0");
    sizes.emplace_back(*bytes, *weight);
    sum += *weight;
  }
  if (!(sum > 0)) return Error::BadInput(where + ": weights sum to 0");
  if (std::abs(sum - 1.0) > 0.01)
    return Error::BadInput(where + ": weights sum to " + std::to_string(sum) + ", not 1");
  for (auto& entry : sizes) entry.second /= sum;
  out = std::move(sizes);
  return Status::Ok();
}

// Reads an optional number field into `out`, checking it lies in [low, high].
Status ReadNumber(const Json& json, const char* key, const std::string& where, double low,
                  double high, double& out) {
  if (!json.contains(key)) return Status::Ok();
  auto v = JsonNumber(json, key, where);
  if (!v) return v.error();
  if (!std::isfinite(*v) || *v < low || *v > high)
    return Error::BadInput(where + "." + key + ": " + std::to_string(*v) + " is not in [" +
                           std::to_string(low) + ", " + std::to_string(high) + "]");
  out = *v;
  return Status::Ok();
}

Status ReadMix(const Json& json, const std::string& where, OperationMix& mix) {
  static const std::set<std::string> kKeys = {"read",   "write", "create",
                                              "unlink", "stat",  "readdir"};
  if (!json.is_object()) return Error::BadInput(where + ": must be an object");
  for (const auto& [key, value] : json.items()) {
    if (!kKeys.count(key))
      return Error::BadInput(where + "." + key +
                             ": unknown operation (read, write, create, unlink, stat, readdir)");
  }
  OperationMix m{0, 0, 0, 0, 0, 0};
  double* fields[] = {&m.read, &m.write, &m.create, &m.unlink, &m.stat, &m.readdir};
  const char* names[] = {"read", "write", "create", "unlink", "stat", "readdir"};
  double sum = 0;
  for (int i = 0; i < 6; ++i) {
    SFSG_RETURN_IF_ERROR(ReadNumber(json, names[i], where, 0, 1, *fields[i]));
    sum += *fields[i];
  }
  if (std::abs(sum - 1.0) > 0.01)
    return Error::BadInput(where + ": fractions sum to " + std::to_string(sum) + ", not 1");
  for (double* f : fields) *f /= sum;
  mix = m;
  return Status::Ok();
}

}  // namespace

Workload DefaultWorkload() {
  Workload w;
  w.hourly_shape = NormalisedShape(kWorkingDay);
  w.peak_ops_per_s = w.mean_ops_per_s * MaxOf(w.hourly_shape);
  return w;
}

Result<Workload> FitWorkloadToUsage(const Workload& base, const UsageRates& usage) {
  const size_t n = usage.time_unix.size();
  if (n < 2) return Error::BadInput("usage: needs at least 2 samples, got " + std::to_string(n));
  const std::vector<double>* series[] = {&usage.read_ops_per_s, &usage.write_ops_per_s,
                                         &usage.read_bytes_per_s, &usage.write_bytes_per_s};
  const char* names[] = {"read_ops_per_s", "write_ops_per_s", "read_bytes_per_s",
                         "write_bytes_per_s"};
  for (int s = 0; s < 4; ++s) {
    if (series[s]->size() != n)
      return Error::BadInput(std::string("usage.") + names[s] + ": " +
                             std::to_string(series[s]->size()) + " samples, time has " +
                             std::to_string(n));
    for (size_t i = 0; i < n; ++i) {
      const double v = (*series[s])[i];
      if (!std::isfinite(v) || v < 0)
        return Error::BadInput(std::string("usage.") + names[s] + "[" + std::to_string(i) +
                               "]: " + std::to_string(v) + " is negative or not finite");
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(usage.time_unix[i]))
      return Error::BadInput("usage.time_unix[" + std::to_string(i) + "]: not finite");
  }
  double read_ops = 0, write_ops = 0, read_bytes = 0, write_bytes = 0;
  std::array<double, 24> hour_sum{}, hour_count{};
  for (size_t i = 0; i < n; ++i) {
    read_ops += usage.read_ops_per_s[i];
    write_ops += usage.write_ops_per_s[i];
    read_bytes += usage.read_bytes_per_s[i];
    write_bytes += usage.write_bytes_per_s[i];
    const double day_s = std::fmod(std::fmod(usage.time_unix[i], 86400.0) + 86400.0, 86400.0);
    const size_t hour = std::min<size_t>(23, static_cast<size_t>(day_s / 3600.0));
    hour_sum[hour] += usage.read_ops_per_s[i] + usage.write_ops_per_s[i];
    hour_count[hour] += 1;
  }
  const double data_ops = read_ops + write_ops;
  if (!(data_ops > 0)) return Error::BadInput("usage: no read or write operations at all");

  Workload w = base;
  // The data share of the mix stays; the metering series splits it into reads and writes.
  const double data_share = base.mix.read + base.mix.write;
  const double read_fraction = read_ops / data_ops;
  if (data_share > 0) {
    w.mix.read = data_share * read_fraction;
    w.mix.write = data_share * (1 - read_fraction);
  }
  if (read_ops > 0) w.read_sizes = TiltSizes(base.read_sizes, read_bytes / read_ops);
  if (write_ops > 0) w.write_sizes = TiltSizes(base.write_sizes, write_bytes / write_ops);

  // Daily shape: mean data rate per hour of day; hours never observed stay at the mean.
  const double mean_data = data_ops / static_cast<double>(n);
  std::array<double, 24> shape{};
  for (size_t h = 0; h < 24; ++h)
    shape[h] = hour_count[h] > 0 ? hour_sum[h] / hour_count[h] / mean_data : 1.0;
  w.hourly_shape = NormalisedShape(shape);
  // Metering counts data operations; metadata operations ride along in the mix's ratio.
  const double total_factor = data_share > 0 ? 1.0 / data_share : 1.0;
  w.mean_ops_per_s = mean_data * total_factor * base.rate_scale;
  w.peak_ops_per_s = w.mean_ops_per_s * MaxOf(w.hourly_shape);
  w.origin = "usage";
  return w;
}

Workload ScaleWorkload(const Workload& w, double rate_factor, double files_factor) {
  Workload out = w;
  out.mean_ops_per_s *= rate_factor;
  out.peak_ops_per_s *= rate_factor;
  out.rate_scale *= rate_factor;
  out.files_scale *= files_factor;
  return out;
}

Json WorkloadToJson(const Workload& w) {
  return {{"format", kWorkloadFormat},
          {"version", kWorkloadVersion},
          {"origin", w.origin},
          {"mix",
           {{"read", w.mix.read},
            {"write", w.mix.write},
            {"create", w.mix.create},
            {"unlink", w.mix.unlink},
            {"stat", w.mix.stat},
            {"readdir", w.mix.readdir}}},
          {"read_sizes", SizesToJson(w.read_sizes)},
          {"write_sizes", SizesToJson(w.write_sizes)},
          {"sequential_fraction", w.sequential_fraction},
          {"zipf_theta", w.zipf_theta},
          {"hourly_shape", w.hourly_shape},
          {"arrival", w.arrival},
          {"mean_ops_per_s", w.mean_ops_per_s},
          {"peak_ops_per_s", w.peak_ops_per_s},
          {"rate_scale", w.rate_scale},
          {"files_scale", w.files_scale}};
}

Result<Workload> WorkloadFromJson(const Json& json, std::string_view source_name) {
  const std::string name(source_name);
  SFSG_RETURN_IF_ERROR(
      CheckFormatVersion(json, kWorkloadFormat, kWorkloadVersion, "a workload", name));
  static const std::set<std::string> kKeys = {"format",
                                              "version",
                                              "origin",
                                              "mix",
                                              "read_sizes",
                                              "write_sizes",
                                              "sequential_fraction",
                                              "zipf_theta",
                                              "hourly_shape",
                                              "arrival",
                                              "mean_ops_per_s",
                                              "peak_ops_per_s",
                                              "rate_scale",
                                              "files_scale"};
  for (const auto& [key, value] : json.items()) {
    if (!kKeys.count(key)) return Error::BadInput(name + "." + key + ": unknown field");
  }
  // Every field but format and version is optional: what is absent comes from the default.
  Workload w = DefaultWorkload();
  if (json.contains("origin")) {
    auto origin = JsonString(json, "origin", name);
    if (!origin) return origin.error();
    w.origin = *origin;
  }
  if (json.contains("mix")) {
    if (auto st = ReadMix(json["mix"], name + ".mix", w.mix); !st) return st.error();
  }
  if (json.contains("read_sizes")) {
    if (auto st = ReadSizes(json["read_sizes"], name + ".read_sizes", w.read_sizes); !st)
      return st.error();
  }
  if (json.contains("write_sizes")) {
    if (auto st = ReadSizes(json["write_sizes"], name + ".write_sizes", w.write_sizes); !st)
      return st.error();
  }
  struct NumberField {
    const char* key;
    double low, high;
    double* out;
  };
  const NumberField numbers[] = {{"sequential_fraction", 0, 1, &w.sequential_fraction},
                                 {"zipf_theta", 0, 10, &w.zipf_theta},
                                 {"mean_ops_per_s", 1e-6, 1e9, &w.mean_ops_per_s},
                                 {"peak_ops_per_s", 1e-6, 1e9, &w.peak_ops_per_s},
                                 {"rate_scale", 1e-9, 1e9, &w.rate_scale},
                                 {"files_scale", 1e-9, 1e9, &w.files_scale}};
  for (const auto& f : numbers) {
    if (auto st = ReadNumber(json, f.key, name, f.low, f.high, *f.out); !st) return st.error();
  }
  if (w.peak_ops_per_s < w.mean_ops_per_s)
    return Error::BadInput(name + ".peak_ops_per_s: " + std::to_string(w.peak_ops_per_s) +
                           " is below mean_ops_per_s " + std::to_string(w.mean_ops_per_s));
  if (json.contains("arrival")) {
    auto arrival = JsonString(json, "arrival", name);
    if (!arrival) return arrival.error();
    if (*arrival != "poisson" && *arrival != "uniform")
      return Error::BadInput(name + ".arrival: '" + *arrival + "' is not poisson or uniform");
    w.arrival = *arrival;
  }
  if (json.contains("hourly_shape")) {
    const Json& shape = json["hourly_shape"];
    if (!shape.is_array() || shape.size() != 24)
      return Error::BadInput(name + ".hourly_shape: must be an array of 24 numbers");
    std::array<double, 24> values{};
    double sum = 0;
    for (size_t h = 0; h < 24; ++h) {
      if (!shape[h].is_number() || !std::isfinite(shape[h].get<double>()) ||
          shape[h].get<double>() < 0)
        return Error::BadInput(name + ".hourly_shape[" + std::to_string(h) +
                               "]: must be a finite number >= 0");
      values[h] = shape[h].get<double>();
      sum += values[h];
    }
    if (!(sum > 0)) return Error::BadInput(name + ".hourly_shape: all zero");
    w.hourly_shape = NormalisedShape(values);
  }
  return w;
}

Result<Workload> LoadWorkload(const std::string& path) {
  auto json = LoadJsonFile(path);
  if (!json) return json.error();
  return WorkloadFromJson(*json, path);
}

Status SaveWorkload(const Workload& w, const std::string& path) {
  return WriteFileAtomic(path, WorkloadToJson(w).dump(1) + "\n");
}

}  // namespace sfsg
