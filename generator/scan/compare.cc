#include "generator/scan/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace sfsg {
namespace {

template <typename T>
double Sum(const std::vector<T>& v) {
  double s = 0;
  for (const T& x : v) s += static_cast<double>(x);
  return s;
}

// KS distance between two histograms over the same ordered buckets.
template <typename T>
double KsDistance(const std::vector<T>& a, const std::vector<T>& b) {
  const double na = Sum(a), nb = Sum(b);
  if (na == 0 || nb == 0) return na == nb ? 0.0 : 1.0;
  double ca = 0, cb = 0, d = 0;
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    ca += i < a.size() ? static_cast<double>(a[i]) : 0.0;
    cb += i < b.size() ? static_cast<double>(b[i]) : 0.0;
    d = std::max(d, std::abs(ca / na - cb / nb));
  }
  return d;
}

// Total-variation distance between two distributions given as (key -> weight).
template <typename K>
double TotalVariation(const std::map<K, double>& a, const std::map<K, double>& b) {
  double na = 0, nb = 0;
  for (const auto& [k, w] : a) na += w;
  for (const auto& [k, w] : b) nb += w;
  if (na == 0 || nb == 0) return na == nb ? 0.0 : 1.0;
  std::set<K> keys;
  for (const auto& [k, w] : a) keys.insert(k);
  for (const auto& [k, w] : b) keys.insert(k);
  double d = 0;
  for (const K& k : keys) {
    const auto ia = a.find(k), ib = b.find(k);
    d +=
        std::abs((ia == a.end() ? 0.0 : ia->second / na) - (ib == b.end() ? 0.0 : ib->second / nb));
  }
  return d / 2;
}

std::map<size_t, double> AsMap(const std::vector<uint64_t>& v) {
  std::map<size_t, double> m;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i]) m[i] = static_cast<double>(v[i]);
  return m;
}

std::map<uint64_t, double> AsMap(const SparseHistogram& h) {
  std::map<uint64_t, double> m;
  for (const auto& [value, count] : h.bins) m[value] += static_cast<double>(count);
  return m;
}

// Shares over the extensions both profiles list; the rest of each side pooled as "*".
double ExtensionShareDistance(const Profile& a, const Profile& b) {
  std::set<std::string> listed_a, common;
  for (const ExtensionStats& e : a.extensions)
    if (e.ext != "*") listed_a.insert(e.ext);
  for (const ExtensionStats& e : b.extensions)
    if (e.ext != "*" && listed_a.count(e.ext)) common.insert(e.ext);
  auto shares = [&](const Profile& p) {
    std::map<std::string, double> m;
    for (const ExtensionStats& e : p.extensions)
      m[common.count(e.ext) ? e.ext : "*"] += static_cast<double>(e.files);
    return m;
  };
  return TotalVariation(shares(a), shares(b));
}

ProfileDistance Relative(std::string name, double a, double b, bool measured, double limit) {
  ProfileDistance d{std::move(name), 0, limit, measured};
  if (measured) d.value = a > 0 ? std::abs(b - a) / a : (b == a ? 0.0 : 1.0);
  return d;
}

std::string Format(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", v);
  return buf;
}

}  // namespace

bool Comparison::within() const {
  return std::all_of(distances.begin(), distances.end(),
                     [](const ProfileDistance& d) { return d.within(); });
}

Json Comparison::ToJson() const {
  Json out{{"within", within()}, {"distances", Json::object()}};
  for (const ProfileDistance& d : distances) {
    out["distances"][d.name] = {{"value", d.measured ? Json(d.value) : Json(nullptr)},
                                {"limit", d.limit},
                                {"within", d.within()}};
  }
  return out;
}

std::string Comparison::ToText() const {
  std::string text;
  char line[128];
  std::snprintf(line, sizeof(line), "%-18s %10s %10s  %s\n", "distance", "value", "limit",
                "verdict");
  text += line;
  std::string beyond;
  for (const ProfileDistance& d : distances) {
    std::snprintf(line, sizeof(line), "%-18s %10s %10s  %s\n", d.name.c_str(),
                  d.measured ? Format(d.value).c_str() : "n/a", Format(d.limit).c_str(),
                  !d.measured  ? "not sampled"
                  : d.within() ? "ok"
                               : "BEYOND");
    text += line;
    if (!d.within()) beyond += (beyond.empty() ? "" : ", ") + d.name;
  }
  text += within() ? "within tolerance\n" : "beyond tolerance: " + beyond + "\n";
  return text;
}

Comparison CompareProfiles(const Profile& a, const Profile& b, const CompareTolerances& t) {
  Comparison c;
  c.distances.push_back(
      {"size_ks", KsDistance(a.sizes.log2_counts, b.sizes.log2_counts), t.max_ks});
  // A shape histogram (a member of ShapeStats): its total variation between the two.
  const auto shape = [&](const char* name, auto ShapeStats::*field, double limit) {
    c.distances.push_back(
        {name, TotalVariation(AsMap(a.shape.*field), AsMap(b.shape.*field)), limit});
  };
  shape("dirs_by_depth", &ShapeStats::dirs_by_depth, t.max_depth);
  shape("files_by_depth", &ShapeStats::files_by_depth, t.max_depth);
  shape("files_per_dir", &ShapeStats::files_per_dir, t.max_fanout);
  shape("subdirs_per_dir", &ShapeStats::subdirs_per_dir, t.max_fanout);
  c.distances.push_back({"extension_share", ExtensionShareDistance(a, b), t.max_ext});
  const bool sampled = a.content.sampled_files > 0 && b.content.sampled_files > 0;
  c.distances.push_back(Relative("compression", a.content.compression_ratio,
                                 b.content.compression_ratio, sampled, t.max_compression));
  c.distances.push_back(
      Relative("dedup", a.content.dedup_ratio, b.content.dedup_ratio, sampled, t.max_dedup));
  return c;
}

}  // namespace sfsg
