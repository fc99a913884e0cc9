#include "generator/device/device_model.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <set>

#include "generator/device/normal_quantile.h"
#include "generator/util/status_macros.h"
#include "generator/util/units.h"

namespace sfsg {

// ---- distributions -------------------------------------------------------------------

ServiceTime ServiceTime::Constant(double us) {
  ServiceTime s;
  s.kind = Kind::kConstant;
  s.constant_us = us;
  return s;
}

ServiceTime ServiceTime::Lognormal(double median_us, double sigma) {
  ServiceTime s;
  s.kind = Kind::kLognormal;
  s.median_us = median_us;
  s.sigma = sigma;
  return s;
}

ServiceTime ServiceTime::Quantiles(std::vector<double> q, std::vector<double> us) {
  ServiceTime s;
  s.kind = Kind::kQuantiles;
  s.quantile_q = std::move(q);
  s.quantile_us = std::move(us);
  return s;
}

double ServiceTime::TimeAtUs(double u) const {
  switch (kind) {
    case Kind::kConstant:
      return constant_us;
    case Kind::kLognormal:
      if (sigma == 0 || median_us == 0) return median_us;
      return median_us * std::exp(sigma * NormalQuantile(u));
    case Kind::kQuantiles: {
      if (u <= quantile_q.front()) return quantile_us.front();
      if (u >= quantile_q.back()) return quantile_us.back();
      const auto it = std::upper_bound(quantile_q.begin(), quantile_q.end(), u);
      const size_t hi = static_cast<size_t>(it - quantile_q.begin());
      const size_t lo = hi - 1;
      const double t = (u - quantile_q[lo]) / (quantile_q[hi] - quantile_q[lo]);
      return quantile_us[lo] + t * (quantile_us[hi] - quantile_us[lo]);
    }
  }
  return 0;
}

double ServiceTime::MeanUs() const {
  switch (kind) {
    case Kind::kConstant:
      return constant_us;
    case Kind::kLognormal:
      return median_us * std::exp(sigma * sigma / 2);
    case Kind::kQuantiles: {
      // The clamped tails carry the end values; between points the CDF is linear.
      double mean =
          quantile_q.front() * quantile_us.front() + (1 - quantile_q.back()) * quantile_us.back();
      for (size_t i = 1; i < quantile_q.size(); ++i)
        mean += (quantile_q[i] - quantile_q[i - 1]) * (quantile_us[i] + quantile_us[i - 1]) / 2;
      return mean;
    }
  }
  return 0;
}

double SizeCurve::TimeAtUs(uint64_t size_bytes, double u) const {
  const SizeBucket& first = buckets.front();
  if (size_bytes <= first.size_bytes) return first.service.TimeAtUs(u);
  const SizeBucket& last = buckets.back();
  if (size_bytes >= last.size_bytes)
    return last.service.TimeAtUs(u) +
           last.service.TimeAtUs(0.5) *
               (static_cast<double>(size_bytes) / static_cast<double>(last.size_bytes) - 1);
  const auto it =
      std::upper_bound(buckets.begin(), buckets.end(), size_bytes,
                       [](uint64_t s, const SizeBucket& b) { return s < b.size_bytes; });
  const SizeBucket& hi = *it;
  const SizeBucket& lo = *(it - 1);
  const double t = static_cast<double>(size_bytes - lo.size_bytes) /
                   static_cast<double>(hi.size_bytes - lo.size_bytes);
  const double lo_us = lo.service.TimeAtUs(u);
  return lo_us + t * (hi.service.TimeAtUs(u) - lo_us);
}

const SizeCurve& DataModel::Curve(bool write, AccessPattern pattern) const {
  if (write) return pattern == AccessPattern::kSequential ? write_sequential : write_random;
  return pattern == AccessPattern::kSequential ? read_sequential : read_random;
}

std::string_view MetadataOpName(MetadataOp op) {
  static constexpr std::string_view kNames[kMetadataOpCount] = {
      "create", "unlink", "stat", "readdir", "fsync", "rename", "open"};
  return kNames[static_cast<int>(op)];
}

double ConcurrencyModel::Slowdown(uint32_t in_service) const {
  const double k = in_service < 1 ? 1.0 : static_cast<double>(in_service);
  return 1 + contention * (k - 1) + coherency * k * (k - 1);
}

// ---- validation -----------------------------------------------------------------------

namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

Status CheckNonNegative(double v, const std::string& field, const char* what) {
  if (!std::isfinite(v)) return Error::BadInput(field + ": " + what + " is not finite");
  if (v < 0) return Error::BadInput(field + ": negative " + what + " " + Num(v));
  return Status::Ok();
}

Status ValidateServiceTime(const ServiceTime& s, const std::string& f) {
  switch (s.kind) {
    case ServiceTime::Kind::kConstant:
      return CheckNonNegative(s.constant_us, f + ".us", "time");
    case ServiceTime::Kind::kLognormal:
      SFSG_RETURN_IF_ERROR(CheckNonNegative(s.median_us, f + ".median_us", "time"));
      SFSG_RETURN_IF_ERROR(CheckNonNegative(s.sigma, f + ".sigma", "sigma"));
      // exp(sigma * 8.3) at the extreme draw must stay finite and sane (a day at most).
      if (s.sigma > 10) return Error::BadInput(f + ".sigma: " + Num(s.sigma) + " is above 10");
      return Status::Ok();
    case ServiceTime::Kind::kQuantiles: {
      if (s.quantile_q.size() != s.quantile_us.size())
        return Error::BadInput(f + ": q and us differ in length");
      if (s.quantile_q.size() < 2) return Error::BadInput(f + ".q: fewer than two points");
      for (size_t i = 0; i < s.quantile_q.size(); ++i) {
        const std::string at = "[" + std::to_string(i) + "]";
        const double q = s.quantile_q[i];
        if (!(q >= 0 && q <= 1))
          return Error::BadInput(f + ".q" + at + ": " + Num(q) + " is outside [0, 1]");
        if (i > 0 && !(q > s.quantile_q[i - 1]))
          return Error::BadInput(f + ".q" + at + ": not strictly increasing");
        SFSG_RETURN_IF_ERROR(CheckNonNegative(s.quantile_us[i], f + ".us" + at, "time"));
        if (i > 0 && s.quantile_us[i] < s.quantile_us[i - 1])
          return Error::BadInput(f + ".us" + at + ": decreasing time");
      }
      return Status::Ok();
    }
  }
  return Error::BadInput(f + ".kind: unknown");
}

Status ValidateCurve(const SizeCurve& c, const std::string& f) {
  if (c.buckets.empty()) return Error::BadInput(f + ": no size buckets");
  for (size_t i = 0; i < c.buckets.size(); ++i) {
    const std::string at = f + "[" + std::to_string(i) + "]";
    if (c.buckets[i].size_bytes == 0) return Error::BadInput(at + ".size_bytes: zero");
    if (i > 0 && c.buckets[i].size_bytes <= c.buckets[i - 1].size_bytes)
      return Error::BadInput(at + ".size_bytes: not strictly ascending");
    SFSG_RETURN_IF_ERROR(ValidateServiceTime(c.buckets[i].service, at + ".service"));
  }
  return Status::Ok();
}

Status ValidateOptionalRatio(const std::optional<double>& v, const std::string& f) {
  if (!v) return Status::Ok();
  return CheckNonNegative(*v, f, "error");
}

}  // namespace

Status ValidateDeviceModel(const DeviceModel& m, std::string_view where) {
  const std::string w(where);
  if (m.servers == 0) return Error::BadInput(w + ".servers: zero parallelism");
  if (auto st =
          CheckNonNegative(m.concurrency.contention, w + ".concurrency.contention", "coefficient");
      !st)
    return st;
  if (auto st =
          CheckNonNegative(m.concurrency.coherency, w + ".concurrency.coherency", "coefficient");
      !st)
    return st;
  const std::pair<const SizeCurve*, const char*> curves[] = {
      {&m.data.read_sequential, ".data.read.sequential"},
      {&m.data.read_random, ".data.read.random"},
      {&m.data.write_sequential, ".data.write.sequential"},
      {&m.data.write_random, ".data.write.random"}};
  for (const auto& [curve, name] : curves) SFSG_RETURN_IF_ERROR(ValidateCurve(*curve, w + name));
  for (int i = 0; i < kMetadataOpCount; ++i) {
    const auto& s = m.metadata.ops[i];
    const std::string f = w + ".metadata." + std::string(MetadataOpName(MetadataOp(i)));
    if (s) SFSG_RETURN_IF_ERROR(ValidateServiceTime(*s, f));
  }
  const std::pair<double, const char*> caps[] = {
      {m.caps.read_bytes_per_s, ".caps.read_bytes_per_s"},
      {m.caps.write_bytes_per_s, ".caps.write_bytes_per_s"},
      {m.caps.read_ops_per_s, ".caps.read_ops_per_s"},
      {m.caps.write_ops_per_s, ".caps.write_ops_per_s"}};
  for (const auto& [v, name] : caps) SFSG_RETURN_IF_ERROR(CheckNonNegative(v, w + name, "ceiling"));
  if (!(m.caps.burst_s > 0) || !std::isfinite(m.caps.burst_s))
    return Error::BadInput(w + ".caps.burst_s: " + Num(m.caps.burst_s) + " is not > 0");
  if (!(m.caps.slice_s >= 0 && m.caps.slice_s <= 10))
    return Error::BadInput(w + ".caps.slice_s: " + Num(m.caps.slice_s) +
                           " is not a time from 0 to 10 s");
  if (m.cache.block_bytes == 0) return Error::BadInput(w + ".cache.block_bytes: zero");
  if (m.cache.size_bytes > 0)
    SFSG_RETURN_IF_ERROR(ValidateCurve(m.cache.read_hit, w + ".cache.read_hit"));
  if (m.cache.dirty_limit_bytes > 0)
    SFSG_RETURN_IF_ERROR(ValidateCurve(m.cache.write_hit, w + ".cache.write_hit"));
  if (!m.cache.read_miss.buckets.empty())
    SFSG_RETURN_IF_ERROR(ValidateCurve(m.cache.read_miss, w + ".cache.read_miss"));
  if (m.cache.inodes_per_miss > 0) {
    const double reads = m.cache.inode_reads_per_miss, ios = m.cache.inode_ios_per_miss;
    if (!(reads >= 1 && reads <= kMaxInodeReadsPerMiss))
      return Error::BadInput(w + ".cache.inodes.reads_per_miss: " + Num(reads) +
                             " is not from 1 to " + Num(kMaxInodeReadsPerMiss));
    if (!(ios >= reads && ios <= 64 * kMaxInodeReadsPerMiss))
      return Error::BadInput(w + ".cache.inodes.ios_per_miss: " + Num(ios) +
                             " is not from reads_per_miss (" + Num(reads) + ") to " +
                             Num(64 * kMaxInodeReadsPerMiss));
    if (m.cache.inodes_per_miss > (uint64_t{1} << 24))
      return Error::BadInput(w + ".cache.inodes.per_miss: " +
                             std::to_string(m.cache.inodes_per_miss) + " is above 2^24");
  }
  static const std::set<std::string> kModes = {"active", "passive", "fio", "manual"};
  if (!kModes.count(m.provenance.mode))
    return Error::BadInput(w + ".provenance.mode: '" + m.provenance.mode +
                           "' is not active, passive, fio or manual");
  SFSG_RETURN_IF_ERROR(
      CheckNonNegative(m.provenance.ops_per_s_max, w + ".provenance.load.ops_per_s_max", "rate"));
  if (m.provenance.concurrency_max > 0 &&
      m.provenance.concurrency_min > m.provenance.concurrency_max)
    return Error::BadInput(w + ".provenance.load.concurrency_min: above concurrency_max");
  if (auto st =
          ValidateOptionalRatio(m.validation.throughput_error, w + ".validation.throughput_error");
      !st)
    return st;
  SFSG_RETURN_IF_ERROR(ValidateOptionalRatio(m.validation.p99_error, w + ".validation.p99_error"));
  if (auto st =
          ValidateOptionalRatio(m.validation.usl_peak_error, w + ".validation.usl_peak_error");
      !st)
    return st;
  return Status::Ok();
}

// ---- what-ifs -------------------------------------------------------------------------

Result<DeviceModel> ScaleDeviceModel(const DeviceModel& model, const DeviceScale& scale) {
  for (auto [value, name] :
       {std::pair{scale.parallelism, "parallelism"}, std::pair{scale.bandwidth, "bandwidth"},
        std::pair{scale.iops, "iops"}}) {
    if (!(value > 0) || !std::isfinite(value))
      return Error::Usage(std::string("--device-scale ") + name + ": " + Num(value) +
                          " is not a positive number");
  }
  DeviceModel out = model;
  const double servers = std::round(static_cast<double>(model.servers) * scale.parallelism);
  out.servers = static_cast<uint32_t>(std::clamp(servers, 1.0, 1000000.0));
  out.caps.read_bytes_per_s *= scale.bandwidth;
  out.caps.write_bytes_per_s *= scale.bandwidth;
  out.caps.read_ops_per_s *= scale.iops;
  out.caps.write_ops_per_s *= scale.iops;
  if (scale.cache_bytes) {
    out.cache.size_bytes = *scale.cache_bytes;
    // A cache grown from none needs hit times, which only calibration can measure.
    if (out.cache.size_bytes > 0 && out.cache.read_hit.buckets.empty())
      return Error::Usage("--device-cache: the model has no cache.read_hit times to use");
  }
  return out;
}

Status ParseDeviceScale(std::string_view text, DeviceScale& scale) {
  if (text.empty()) return Error::Usage("--device-scale: empty");
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = text.substr(pos, comma - pos);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return Error::Usage("--device-scale: '" + std::string(item) + "' is not KEY=FACTOR");
    const std::string_view key = item.substr(0, eq);
    double* field = key == "parallelism" ? &scale.parallelism
                    : key == "bandwidth" ? &scale.bandwidth
                    : key == "iops"      ? &scale.iops
                                         : nullptr;
    if (!field)
      return Error::Usage("--device-scale: unknown key '" + std::string(key) +
                          "' (parallelism, bandwidth, iops)");
    auto v = ParsePositiveNumber(item.substr(eq + 1), "--device-scale " + std::string(key));
    if (!v) return v.error();
    *field = *v;
    pos = comma + 1;
  }
  return Status::Ok();
}

}  // namespace sfsg
