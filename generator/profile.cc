#include "generator/profile.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "generator/util/json_format.h"
#include "generator/util/log_histogram.h"
#include "generator/util/status_macros.h"

namespace sfsg {

double QuantileTable::At(double u) const {
  if (p.empty()) return 0.0;
  if (u <= p.front()) return value.front();
  if (u >= p.back()) return value.back();
  const size_t hi = static_cast<size_t>(std::upper_bound(p.begin(), p.end(), u) - p.begin());
  const size_t lo = hi - 1;
  const double span = p[hi] - p[lo];
  const double t = span > 0 ? (u - p[lo]) / span : 0.0;
  return value[lo] + t * (value[hi] - value[lo]);
}

uint64_t SparseHistogram::total() const {
  uint64_t n = 0;
  for (const auto& [v, c] : bins) n += c;
  return n;
}

double SparseHistogram::mean() const {
  double sum = 0, n = 0;
  for (const auto& [v, c] : bins) {
    const int b = LogBuckets::Of(v);
    const double mid =
        (static_cast<double>(LogBuckets::Low(b)) + static_cast<double>(LogBuckets::High(b)) - 1) /
        2.0;
    sum += mid * static_cast<double>(c);
    n += static_cast<double>(c);
  }
  return n > 0 ? sum / n : 0.0;
}

void SparseHistogram::Add(uint64_t value, uint64_t count) {
  const uint64_t low = LogBuckets::Low(LogBuckets::Of(value));
  auto it = std::lower_bound(bins.begin(), bins.end(), std::make_pair(low, uint64_t{0}));
  if (it != bins.end() && it->first == low) {
    it->second += count;
  } else {
    bins.insert(it, {low, count});
  }
}

double SparseHistogram::Quantile(double q) const {
  const uint64_t n = total();
  if (n == 0) return 0.0;
  const double target = std::clamp(q, 0.0, 1.0) * static_cast<double>(n);
  double seen = 0;
  for (const auto& [low, count] : bins) {
    const double next = seen + static_cast<double>(count);
    if (next >= target && count > 0) {
      const int b = LogBuckets::Of(low);
      const double width = static_cast<double>(LogBuckets::High(b) - LogBuckets::Low(b));
      const double within = (target - seen) / static_cast<double>(count);
      // Integer-valued data: a bucket of width w holds the values low .. low+w-1.
      return static_cast<double>(low) + std::min(within * width, width - 1.0);
    }
    seen = next;
  }
  return static_cast<double>(bins.back().first);
}

namespace {

Json QuantilesToJson(const QuantileTable& table) {
  return Json{{"p", table.p}, {"value", table.value}};
}

Json SparseToJson(const SparseHistogram& h) {
  Json bins = Json::array();
  for (const auto& [v, c] : h.bins) bins.push_back({v, c});
  return bins;
}

// A small reader that carries "file: path.to.field" for messages.
class Reader {
 public:
  Reader(const Json& json, std::string where) : json_(json), where_(std::move(where)) {}

  Reader Child(std::string_view key) const {
    auto obj = JsonObject(json_, key, where_);
    if (!obj) {
      Fail(obj.error());
      return Reader(kEmpty(), where_ + "." + std::string(key), failed_);
    }
    return Reader(**obj, where_ + "." + std::string(key), failed_);
  }
  double Number(std::string_view key) const {
    auto v = JsonNumber(json_, key, where_);
    if (!v) return Fail(v.error()), 0.0;
    return *v;
  }
  uint64_t Uint(std::string_view key) const {
    auto v = JsonUint(json_, key, where_);
    if (!v) return Fail(v.error()), 0;
    return *v;
  }
  std::string String(std::string_view key) const {
    auto v = JsonString(json_, key, where_);
    if (!v) return Fail(v.error()), std::string();
    return *v;
  }
  template <typename T>
  std::vector<T> Vector(std::string_view key) const {
    auto arr = JsonArray(json_, key, where_);
    if (!arr) return Fail(arr.error()), std::vector<T>();
    std::vector<T> out;
    for (size_t i = 0; i < (*arr)->size(); ++i) {
      const Json& item = (**arr)[i];
      const bool fits = std::is_floating_point_v<T>
                            ? item.is_number()
                            : (item.is_number_unsigned() ||
                               (item.is_number_integer() && item.get<int64_t>() >= 0));
      if (!fits) {
        Fail(Error::BadInput(where_ + "." + std::string(key) + "[" + std::to_string(i) +
                             "]: expected a " +
                             (std::is_floating_point_v<T> ? "number" : "non-negative integer") +
                             ", got " + item.dump()));
        return {};
      }
      out.push_back(item.get<T>());
    }
    return out;
  }
  QuantileTable Quantiles(std::string_view key) const {
    Reader r = Child(key);
    QuantileTable t;
    t.p = r.Vector<double>("p");
    t.value = r.Vector<double>("value");
    return t;
  }
  SparseHistogram Sparse(std::string_view key) const {
    auto arr = JsonArray(json_, key, where_);
    SparseHistogram h;
    if (!arr) return Fail(arr.error()), h;
    for (size_t i = 0; i < (*arr)->size(); ++i) {
      const Json& pair = (**arr)[i];
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_unsigned() ||
          !pair[1].is_number_unsigned()) {
        Fail(Error::BadInput(where_ + "." + std::string(key) + "[" + std::to_string(i) +
                             "]: expected [value, count], got " + pair.dump()));
        return h;
      }
      h.Add(pair[0].get<uint64_t>(), pair[1].get<uint64_t>());
    }
    return h;
  }
  std::vector<SparseHistogram> SparseList(std::string_view key) const {
    auto arr = JsonArray(json_, key, where_);
    std::vector<SparseHistogram> out;
    if (!arr) return Fail(arr.error()), out;
    for (size_t i = 0; i < (*arr)->size(); ++i) {
      Json wrapper{{"h", (**arr)[i]}};
      Reader r(wrapper, where_ + "." + std::string(key) + "[" + std::to_string(i) + "]", failed_);
      out.push_back(r.Sparse("h"));
    }
    return out;
  }
  const Json& json() const { return json_; }
  const std::string& where() const { return where_; }
  bool ok() const { return !failed_->has_value(); }
  const Error& error() const { return **failed_; }

 private:
  Reader(const Json& json, std::string where, std::shared_ptr<std::optional<Error>> failed)
      : json_(json), where_(std::move(where)), failed_(std::move(failed)) {}
  static const Json& kEmpty() {
    static const Json empty = Json::object();
    return empty;
  }
  void Fail(const Error& e) const {
    if (!failed_->has_value()) *failed_ = e;  // keep the first error
  }

  const Json& json_;
  std::string where_;
  std::shared_ptr<std::optional<Error>> failed_ = std::make_shared<std::optional<Error>>();
};

Status CheckQuantiles(const QuantileTable& t, const std::string& where, bool allow_empty) {
  if (t.p.empty() && t.value.empty() && allow_empty) return Status::Ok();
  if (t.p.size() < 2 || t.p.size() != t.value.size())
    return Error::BadInput(where + ": needs matching p and value arrays of at least 2 points");
  if (t.p.front() != 0.0 || t.p.back() != 1.0)
    return Error::BadInput(where + ".p: must start at 0 and end at 1");
  for (size_t i = 1; i < t.p.size(); ++i) {
    if (!(t.p[i] > t.p[i - 1]))
      return Error::BadInput(where + ".p[" + std::to_string(i) + "]: not increasing");
    if (!(t.value[i] >= t.value[i - 1]))
      return Error::BadInput(where + ".value[" + std::to_string(i) + "]: decreasing");
  }
  return Status::Ok();
}

Status CheckFraction(double v, const std::string& where) {
  if (!(v >= 0.0 && v <= 1.0))
    return Error::BadInput(where + ": " + std::to_string(v) + " is outside [0, 1]");
  return Status::Ok();
}

Status CheckRatio(double v, const std::string& where) {
  if (!(v >= 1.0 && v < 1e6))
    return Error::BadInput(where + ": " + std::to_string(v) + " must be a ratio >= 1");
  return Status::Ok();
}

}  // namespace

Json ProfileToJson(const Profile& p) {
  Json extensions = Json::array();
  for (const auto& e : p.extensions) {
    extensions.push_back({{"ext", e.ext},
                          {"files", e.files},
                          {"bytes", e.bytes},
                          {"log2_counts", e.log2_counts},
                          {"compression_ratio", e.compression_ratio},
                          {"sampled_files", e.sampled_files},
                          {"sampled_bytes", e.sampled_bytes}});
  }
  Json files_by_depth = Json::array(), subdirs_by_depth = Json::array();
  for (const auto& h : p.shape.files_per_dir_by_depth) files_by_depth.push_back(SparseToJson(h));
  for (const auto& h : p.shape.subdirs_per_dir_by_depth)
    subdirs_by_depth.push_back(SparseToJson(h));
  return Json{
      {"format", kProfileFormat},
      {"version", kProfileVersion},
      {"origin", p.origin},
      {"totals",
       {{"files", p.totals.files},
        {"dirs", p.totals.dirs},
        {"symlinks", p.totals.symlinks},
        {"others", p.totals.others},
        {"bytes", p.totals.bytes}}},
      {"sizes",
       {{"log2_counts", p.sizes.log2_counts},
        {"log2_bytes", p.sizes.log2_bytes},
        {"log2_quantiles", QuantilesToJson(p.sizes.log2_quantiles)},
        {"fit",
         {{"lognormal_mu", p.sizes.fit.lognormal_mu},
          {"lognormal_sigma", p.sizes.fit.lognormal_sigma},
          {"pareto_xmin_bytes", p.sizes.fit.pareto_xmin_bytes},
          {"pareto_alpha", p.sizes.fit.pareto_alpha},
          {"tail_fraction", p.sizes.fit.tail_fraction},
          {"ks_distance", p.sizes.fit.ks_distance}}},
        {"empty_fraction", p.sizes.empty_fraction},
        {"max_bytes", p.sizes.max_bytes}}},
      {"shape",
       {{"dirs_by_depth", p.shape.dirs_by_depth},
        {"files_by_depth", p.shape.files_by_depth},
        {"files_per_dir", SparseToJson(p.shape.files_per_dir)},
        {"subdirs_per_dir", SparseToJson(p.shape.subdirs_per_dir)},
        {"files_per_dir_by_depth", files_by_depth},
        {"subdirs_per_dir_by_depth", subdirs_by_depth},
        {"file_name_length", SparseToJson(p.shape.file_name_length)},
        {"dir_name_length", SparseToJson(p.shape.dir_name_length)}}},
      {"extensions", extensions},
      {"ages",
       {{"mtime_age_s", QuantilesToJson(p.ages.mtime_age_s)},
        {"atime_age_s", QuantilesToJson(p.ages.atime_age_s)},
        {"ctime_age_s", QuantilesToJson(p.ages.ctime_age_s)}}},
      {"links",
       {{"symlink_fraction", p.links.symlink_fraction},
        {"hardlink_fraction", p.links.hardlink_fraction}}},
      {"content",
       {{"compression_ratio", p.content.compression_ratio},
        {"dedup_ratio", p.content.dedup_ratio},
        {"zero_chunk_fraction", p.content.zero_chunk_fraction},
        {"sampled_files", p.content.sampled_files},
        {"sampled_bytes", p.content.sampled_bytes}}},
      {"source",
       {{"fs_type", p.source.fs_type},
        {"capacity_bytes", p.source.capacity_bytes},
        {"used_bytes", p.source.used_bytes},
        {"inodes_total", p.source.inodes_total},
        {"inodes_used", p.source.inodes_used},
        {"scan_time_unix", p.source.scan_time_unix},
        {"scan_seconds", p.source.scan_seconds},
        {"skipped", p.source.skipped}}},
  };
}

Result<Profile> ProfileFromJson(const Json& json, std::string_view source_name) {
  const std::string name(source_name);
  SFSG_RETURN_IF_ERROR(
      CheckFormatVersion(json, kProfileFormat, kProfileVersion, "a profile", name));
  const Reader r(json, name);
  Profile p;
  p.origin = r.String("origin");
  const Reader t = r.Child("totals");
  p.totals = {t.Uint("files"), t.Uint("dirs"), t.Uint("symlinks"), t.Uint("others"),
              t.Number("bytes")};
  const Reader s = r.Child("sizes");
  p.sizes.log2_counts = s.Vector<uint64_t>("log2_counts");
  p.sizes.log2_bytes = s.Vector<double>("log2_bytes");
  p.sizes.log2_quantiles = s.Quantiles("log2_quantiles");
  const Reader f = s.Child("fit");
  p.sizes.fit = {f.Number("lognormal_mu"),      f.Number("lognormal_sigma"),
                 f.Number("pareto_xmin_bytes"), f.Number("pareto_alpha"),
                 f.Number("tail_fraction"),     f.Number("ks_distance")};
  p.sizes.empty_fraction = s.Number("empty_fraction");
  p.sizes.max_bytes = s.Uint("max_bytes");
  const Reader sh = r.Child("shape");
  p.shape.dirs_by_depth = sh.Vector<uint64_t>("dirs_by_depth");
  p.shape.files_by_depth = sh.Vector<uint64_t>("files_by_depth");
  p.shape.files_per_dir = sh.Sparse("files_per_dir");
  p.shape.subdirs_per_dir = sh.Sparse("subdirs_per_dir");
  p.shape.files_per_dir_by_depth = sh.SparseList("files_per_dir_by_depth");
  p.shape.subdirs_per_dir_by_depth = sh.SparseList("subdirs_per_dir_by_depth");
  p.shape.file_name_length = sh.Sparse("file_name_length");
  p.shape.dir_name_length = sh.Sparse("dir_name_length");
  auto extensions = JsonArray(json, "extensions", name);
  if (!extensions) return extensions.error();
  for (size_t i = 0; i < (*extensions)->size(); ++i) {
    const Reader e((**extensions)[i], name + ".extensions[" + std::to_string(i) + "]");
    ExtensionStats x;
    x.ext = e.String("ext");
    x.files = e.Uint("files");
    x.bytes = e.Number("bytes");
    x.log2_counts = e.Vector<uint64_t>("log2_counts");
    x.compression_ratio = e.Number("compression_ratio");
    x.sampled_files = e.Uint("sampled_files");
    x.sampled_bytes = e.Uint("sampled_bytes");
    if (!e.ok()) return e.error();
    p.extensions.push_back(std::move(x));
  }
  const Reader a = r.Child("ages");
  p.ages = {a.Quantiles("mtime_age_s"), a.Quantiles("atime_age_s"), a.Quantiles("ctime_age_s")};
  const Reader l = r.Child("links");
  p.links = {l.Number("symlink_fraction"), l.Number("hardlink_fraction")};
  const Reader c = r.Child("content");
  p.content = {c.Number("compression_ratio"), c.Number("dedup_ratio"),
               c.Number("zero_chunk_fraction"), c.Uint("sampled_files"), c.Uint("sampled_bytes")};
  const Reader so = r.Child("source");
  p.source = {so.String("fs_type"),      so.Uint("capacity_bytes"), so.Uint("used_bytes"),
              so.Uint("inodes_total"),   so.Uint("inodes_used"),    so.Number("scan_time_unix"),
              so.Number("scan_seconds"), so.Uint("skipped")};
  if (!r.ok()) return r.error();
  if (auto status = ValidateProfile(p, name); !status) return status.error();
  return p;
}

namespace {

// Byte totals: finite, not negative, and within what 64-bit sizes and capacities hold.
Status CheckBytes(double v, const std::string& where) {
  if (!(v >= 0.0 && v < 0x1p63)) {
    char shown[32];
    std::snprintf(shown, sizeof(shown), "%g", v);
    return Error::BadInput(where + ": " + shown + " is not a byte count in [0, 2^63)");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateProfile(const Profile& p, std::string_view source_name) {
  const std::string name(source_name);
  if (p.totals.dirs == 0)
    return Error::BadInput(name + ".totals.dirs: must be at least 1 (the root)");
  // Far beyond any real filesystem, and small enough that scaling them stays exact.
  const std::pair<const char*, uint64_t> counts[] = {{"files", p.totals.files},
                                                     {"dirs", p.totals.dirs},
                                                     {"symlinks", p.totals.symlinks},
                                                     {"others", p.totals.others}};
  for (const auto& [field, count] : counts)
    if (count > kMaxProfileEntries)
      return Error::BadInput(name + ".totals." + field + ": " + std::to_string(count) +
                             " is more than " + std::to_string(kMaxProfileEntries));
  if (auto s = CheckBytes(p.totals.bytes, name + ".totals.bytes"); !s) return s;
  for (size_t i = 0; i < p.sizes.log2_bytes.size(); ++i)
    if (auto s = CheckBytes(p.sizes.log2_bytes[i],
                            name + ".sizes.log2_bytes[" + std::to_string(i) + "]");
        !s)
      return s;
  if (auto s = CheckFraction(p.sizes.fit.ks_distance, name + ".sizes.fit.ks_distance"); !s)
    return s;
  if (p.sizes.log2_counts.size() > 66 || p.sizes.log2_bytes.size() != p.sizes.log2_counts.size())
    return Error::BadInput(name + ".sizes.log2_bytes: must match log2_counts (at most 66 buckets)");
  if (auto s = CheckQuantiles(p.sizes.log2_quantiles, name + ".sizes.log2_quantiles", true); !s)
    return s;
  if (!p.sizes.log2_quantiles.empty() &&
      (p.sizes.log2_quantiles.value.front() < 0 || p.sizes.log2_quantiles.value.back() > 63))
    return Error::BadInput(name + ".sizes.log2_quantiles.value: must lie in [0, 63]");
  const SizeFit& fit = p.sizes.fit;
  if (!(fit.lognormal_sigma > 0 && fit.lognormal_sigma < 20) || !(std::abs(fit.lognormal_mu) < 60))
    return Error::BadInput(name + ".sizes.fit: lognormal_mu/sigma out of range");
  if (fit.tail_fraction > 0 && !(fit.pareto_alpha > 0.05 && fit.pareto_xmin_bytes >= 1))
    return Error::BadInput(name +
                           ".sizes.fit: a Pareto tail needs pareto_alpha > 0.05 and xmin >= 1");
  if (auto s = CheckFraction(fit.tail_fraction, name + ".sizes.fit.tail_fraction"); !s) return s;
  if (auto s = CheckFraction(p.sizes.empty_fraction, name + ".sizes.empty_fraction"); !s) return s;
  if (auto s = CheckFraction(p.links.symlink_fraction, name + ".links.symlink_fraction"); !s)
    return s;
  if (auto s = CheckFraction(p.links.hardlink_fraction, name + ".links.hardlink_fraction"); !s)
    return s;
  if (auto s = CheckFraction(p.content.zero_chunk_fraction, name + ".content.zero_chunk_fraction");
      !s)
    return s;
  if (auto s = CheckRatio(p.content.compression_ratio, name + ".content.compression_ratio"); !s)
    return s;
  if (auto s = CheckRatio(p.content.dedup_ratio, name + ".content.dedup_ratio"); !s) return s;
  if (auto s = CheckQuantiles(p.ages.mtime_age_s, name + ".ages.mtime_age_s", false); !s) return s;
  if (auto s = CheckQuantiles(p.ages.atime_age_s, name + ".ages.atime_age_s", false); !s) return s;
  if (auto s = CheckQuantiles(p.ages.ctime_age_s, name + ".ages.ctime_age_s", false); !s) return s;
  const std::pair<const char*, const QuantileTable*> ages[] = {
      {"mtime_age_s", &p.ages.mtime_age_s},
      {"atime_age_s", &p.ages.atime_age_s},
      {"ctime_age_s", &p.ages.ctime_age_s}};
  for (const auto& [field, table] : ages)
    if (table->value.front() < 0)
      return Error::BadInput(name + ".ages." + field + ".value: ages must be >= 0");
  for (size_t i = 0; i < p.extensions.size(); ++i) {
    const auto& e = p.extensions[i];
    const std::string where = name + ".extensions[" + std::to_string(i) + "]";
    if (e.ext.size() > kMaxExtensionLength || e.ext.find('/') != std::string::npos ||
        e.ext.find('.') != std::string::npos || e.ext.find('\0') != std::string::npos)
      return Error::BadInput(where + ".ext: '" + e.ext + "' is not a short extension");
    if (auto s = CheckBytes(e.bytes, where + ".bytes"); !s) return s;
    if (e.compression_ratio != 0)
      if (auto s = CheckRatio(e.compression_ratio, where + ".compression_ratio"); !s) return s;
    if (!e.log2_counts.empty() && e.log2_counts.size() != p.sizes.log2_counts.size())
      return Error::BadInput(where +
                             ".log2_counts: must have as many buckets as sizes.log2_counts");
  }
  if (p.shape.dirs_by_depth.empty() || p.shape.dirs_by_depth[0] == 0)
    return Error::BadInput(name + ".shape.dirs_by_depth: must start with the root (1)");
  return Status::Ok();
}

Result<Profile> LoadProfile(const std::string& path) {
  auto json = LoadJsonFile(path);
  if (!json) return json.error();
  return ProfileFromJson(*json, path);
}

Status SaveProfile(const Profile& profile, const std::string& path) {
  return WriteFileAtomic(path, ProfileToJson(profile).dump(1) + "\n");
}

}  // namespace sfsg
