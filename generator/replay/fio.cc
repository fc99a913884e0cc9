#include "generator/replay/fio.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "generator/config.h"
#include "generator/replay/file_set.h"
#include "generator/replay/replay.h"
#include "generator/replay/step_stats.h"
#include "generator/util/log_histogram.h"
#include "generator/util/units.h"

namespace sfsg {
namespace {

// Integer percentages summing to 100 (largest remainder), as fio's bssplit wants.
std::string BsSplit(const std::vector<std::pair<uint64_t, double>>& sizes) {
  double sum = 0;
  for (const auto& e : sizes) sum += e.second;
  std::vector<int> pct(sizes.size());
  std::vector<std::pair<double, size_t>> remainders;
  int given = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const double exact = sum > 0 ? 100.0 * sizes[i].second / sum : 0;
    pct[i] = static_cast<int>(std::floor(exact));
    given += pct[i];
    remainders.emplace_back(exact - pct[i], i);
  }
  std::sort(remainders.rbegin(), remainders.rend());
  for (size_t r = 0; given < 100 && r < remainders.size(); ++r, ++given)
    ++pct[remainders[r].second];
  std::string out;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (pct[i] == 0) continue;
    if (!out.empty()) out += ':';
    out += std::to_string(sizes[i].first) + "/" + std::to_string(pct[i]);
  }
  return out;
}

std::string EscapeFioName(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == ':' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string Number(double v) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.6g", v);
  return text;
}

}  // namespace

Result<FioJob> EmitFioJob(const Workload& w, const Namespace& shadow, const FioJobOptions& o) {
  const double data_share = w.mix.read + w.mix.write;
  if (!(data_share > 0))
    return Error::Usage("--emit-fio: the workload has no reads or writes for fio to run");
  if (o.files == 0) return Error::Usage("--fio-files: must be at least 1");
  if (o.numjobs == 0 || o.iodepth == 0) return Error::Usage("--fio-numjobs/--fio-iodepth: >= 1");
  const uint64_t max_bs = LargestRequestBytes(w);
  auto hot = FileSet::HotFiles(shadow, o.seed, o.files, max_bs, /*fewer_ok=*/true);
  if (!hot) return hot.error();
  FioJob out;
  out.files = hot->count();
  if (out.files < o.files)
    out.warning =
        "only " + std::to_string(out.files) + " regular files of the shadow (among its " +
        std::to_string(std::min<uint64_t>(shadow.entry_count(), config::kHotSearchLimit)) +
        " most popular entries) are at least " + std::to_string(max_bs) +
        " bytes, the largest request; the job lists those " + std::to_string(out.files) + ", not " +
        std::to_string(o.files);

  const double read_fraction = w.mix.read / data_share;
  const int read_pct = static_cast<int>(std::lround(100 * read_fraction));
  const bool sequential_only = w.sequential_fraction >= 1.0;
  const bool reads = read_pct > 0, writes = read_pct < 100;
  // fio 3.33 aborts on rw=randrw with rate_iops (io_u.c rate_ddir assertion): a rated
  // mix runs as a read job and a write job side by side in one group instead.
  const bool split = o.rate_limited && reads && writes;
  const auto per_job_rate = [&](double share) {
    return std::to_string(std::max<long>(1, std::lround(w.mean_ops_per_s * share / o.numjobs)));
  };

  std::string job;
  job += "# fio job written by sfsg-replay --emit-fio: " + DescribeWorkload(w) + "\n";
  job += "# Files: the " + std::to_string(out.files) +
         " most popular regular files of the shadow (seed " + std::to_string(shadow.seed()) + ", " +
         std::to_string(shadow.entry_count()) + " entries) of at least " + std::to_string(max_bs) +
         " bytes, popularity seed " + std::to_string(o.seed) + ".\n";
  job += "# No layout phase: the files exist; fio takes their sizes and never creates one.\n";
  const double meta = 1 - data_share;
  if (meta > 1e-9)
    job += "# Left out: stat/readdir/create/unlink, " + Number(100 * meta) +
           "% of the workload's operations (fio runs the data operations only).\n";
  job += "# Import the results with: sfsg-replay --import-fio OUT.json (one step per group).\n";
  job += "[global]\n";
  if (!o.directory.empty()) job += "directory=" + EscapeFioName(o.directory) + "\n";
  // Several filename= lines when the list is long: fio refuses a value of 4096
  // characters or more, and adds up the files of all the lines.
  std::string names;
  for (uint64_t r = 1; r <= hot->count(); ++r) {
    const std::string name = EscapeFioName(hot->ByRank(r).path);
    if (name.size() > kFioMaxFilenameValue)
      return Error::Unsupported("--emit-fio: the name of " + hot->ByRank(r).path +
                                " is longer than a fio option value may be");
    if (!names.empty() && names.size() + 1 + name.size() > kFioMaxFilenameValue) {
      job += "filename=" + names + "\n";
      names.clear();
    }
    if (!names.empty()) names += ':';
    names += name;
  }
  job += "filename=" + names + "\n";
  job += "allow_file_create=0\ncreate_on_open=0\nunique_filename=0\nfallocate=none\n";
  if (w.zipf_theta > 0)
    job += "file_service_type=zipf:" +
           Number(std::abs(w.zipf_theta - 1) < 1e-3 ? 1.001 : w.zipf_theta) + "\n";
  else
    job += "file_service_type=random\n";
  job += "ioengine=" + o.ioengine + "\niodepth=" + std::to_string(o.iodepth) + "\n";
  if (!sequential_only && w.sequential_fraction > 0)
    job += "percentage_random=" +
           std::to_string(static_cast<int>(std::lround(100 * (1 - w.sequential_fraction)))) + "\n";
  if (o.rate_limited && w.arrival == "poisson") job += "rate_process=poisson\n";
  job +=
      "time_based=1\nruntime=" + std::to_string(std::max<long>(1, std::lround(o.runtime_s))) + "\n";
  const std::string numjobs = "numjobs=" + std::to_string(o.numjobs) + "\n";
  if (split) {
    job += "\n[" + o.name + "-read]\nrw=" + (sequential_only ? "read" : "randread") + "\n";
    job += "bssplit=" + BsSplit(w.read_sizes) + "\nrate_iops=" + per_job_rate(w.mix.read) + "\n";
    job += numjobs;
    job += "\n[" + o.name + "-write]\nrw=" + (sequential_only ? "write" : "randwrite") + "\n";
    job += "bssplit=" + BsSplit(w.write_sizes) + "\nrate_iops=" + per_job_rate(w.mix.write) + "\n";
    job += numjobs;
    out.text = std::move(job);
    return out;
  }
  job += "\n[" + o.name + "]\n";
  if (reads && writes) {
    job += std::string("rw=") + (sequential_only ? "rw" : "randrw") + "\n";
    job += "rwmixread=" + std::to_string(read_pct) + "\n";
    job += "bssplit=" + BsSplit(w.read_sizes) + "," + BsSplit(w.write_sizes) + "\n";
  } else if (reads) {
    job += std::string("rw=") + (sequential_only ? "read" : "randread") + "\n";
    job += "bssplit=" + BsSplit(w.read_sizes) + "\n";
    if (o.rate_limited) job += "rate_iops=" + per_job_rate(w.mix.read) + "\n";
  } else {
    job += std::string("rw=") + (sequential_only ? "write" : "randwrite") + "\n";
    job += "bssplit=" + BsSplit(w.write_sizes) + "\n";
    if (o.rate_limited) job += "rate_iops=" + per_job_rate(w.mix.write) + "\n";
  }
  job += numjobs;
  out.text = std::move(job);
  return out;
}

namespace {

// A count fio may leave out: 0 when absent, else a non-negative integer. A float out of
// uint64_t's range (fuzzing found 1.7e74 in "N") is bad input, never a conversion.
Result<uint64_t> OptionalUint(const Json& object, const char* key, std::string_view where) {
  if (!object.is_object() || !object.contains(key)) return uint64_t{0};
  return JsonUint(object, key, where);
}

// A number for an error message: "1e+308", "2000".
std::string FormatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

// Upper bounds of what fio can report: past them a value is damage, not a measurement
// (1e308 iops would pass into the curve and every plan made from it).
constexpr double kMaxIops = 1e10;
constexpr double kMaxBytesPerS = 1e15;        // 1 PB/s
constexpr double kMaxRuntimeMs = 1e12;        // 30 years
constexpr double kMaxLatencyNs = 1e15;        // 11 days
constexpr double kMaxCpuPercent = 1e7;        // 100000 CPUs
constexpr uint64_t kMaxJobOption = 1u << 20;  // numjobs, iodepth

// A number fio may leave out: `fallback` when absent, else a finite number in [0, max].
Result<double> OptionalNonNegative(const Json& object, const char* key, std::string_view where,
                                   double max, double fallback = 0) {
  if (!object.is_object() || !object.contains(key)) return fallback;
  const Json& v = object[key];
  const std::string field = std::string(where) + "." + key;
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
    return Error::BadInput(field + ": expected a non-negative number, got " +
                           v.dump().substr(0, 40));
  if (v.get<double>() > max)
    return Error::BadInput(field + ": " + v.dump() + " is implausibly large (over " +
                           FormatNumber(max) + ")");
  return v.get<double>();
}

// A number fio always writes: as OptionalNonNegative, but missing is an error.
Result<double> RequiredNonNegative(const Json& object, const char* key, std::string_view where,
                                   double max) {
  if (!object.is_object() || !object.contains(key))
    return Error::BadInput(std::string(where) + "." + key + ": missing");
  return OptionalNonNegative(object, key, where, max);
}

// The percentiles the curve keeps, as fio names them, in ascending order.
constexpr const char* kPercentileKeys[] = {"50.000000", "90.000000", "99.000000", "99.900000"};

// One latency distribution from one or more fio entries.
struct LatencyAcc {
  LogHistogram bins;  // from json+ "bins"
  bool all_binned = true;
  double weight = 0;        // for averaging json percentiles: sum of counts
  LatencySummary weighted;  // sums of count x value
  double max_us = 0;
  uint64_t count = 0;

  // REQUIRES: lat is an object. Bins (json+) when present, else fio's percentiles, which
  // must then be there: all four, non-negative, in ascending order.
  Status Add(const Json& lat, const std::string& where) {
    auto n_or = OptionalUint(lat, "N", where);
    if (!n_or) return n_or.error();
    const uint64_t n = *n_or;
    if (n == 0) return Status::Ok();
    count += n;
    auto max_ns = OptionalNonNegative(lat, "max", where, kMaxLatencyNs);
    if (!max_ns) return max_ns.error();
    auto mean_ns = OptionalNonNegative(lat, "mean", where, kMaxLatencyNs);
    if (!mean_ns) return mean_ns.error();
    max_us = std::max(max_us, *max_ns / 1e3);
    const auto it = lat.find("bins");
    LogHistogram own_bins;
    if (it != lat.end()) {
      if (!it->is_object())
        return Error::BadInput(where + ".bins: expected an object (latency ns -> count), got " +
                               it->dump().substr(0, 40));
      for (const auto& [value, c] : it->items()) {
        char* end = nullptr;
        const unsigned long long ns = std::strtoull(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || value[0] == '-' || ns > kMaxLatencyNs)
          return Error::BadInput(where + ".bins: '" + value.substr(0, 40) +
                                 "' is not a latency in nanoseconds");
        auto bin_count = JsonUint(*it, value, where + ".bins");
        if (!bin_count) return bin_count.error();
        own_bins.Add(ns, *bin_count);
      }
    }
    double values_ns[std::size(kPercentileKeys)] = {};
    const auto pct = lat.find("percentile");
    if (pct != lat.end() || own_bins.count() == 0) {
      if (pct == lat.end() || !pct->is_object())
        return Error::BadInput(where + ".percentile: expected an object of percentiles" +
                               (it == lat.end() ? " (no json+ bins either)" : ""));
      const std::string pct_where = where + ".percentile";
      for (size_t k = 0; k < std::size(kPercentileKeys); ++k) {
        auto v = RequiredNonNegative(*pct, kPercentileKeys[k], pct_where, kMaxLatencyNs);
        if (!v) return v.error();
        values_ns[k] = *v;
        if (k > 0 && values_ns[k] < values_ns[k - 1])
          return Error::BadInput(pct_where + ": " + kPercentileKeys[k - 1] + " (" +
                                 FormatNumber(values_ns[k - 1]) + ") is above " +
                                 kPercentileKeys[k] + " (" + FormatNumber(values_ns[k]) + ")");
      }
    }
    if (own_bins.count() > 0) {
      bins.Merge(own_bins);
      // json+ without percentiles: the bins give them, for merging with plain json.
      if (pct == lat.end()) {
        const LatencySummary s = SummarizeNs(own_bins);
        const double from_bins_us[] = {s.p50_us, s.p90_us, s.p99_us, s.p999_us};
        for (size_t k = 0; k < std::size(kPercentileKeys); ++k)
          values_ns[k] = from_bins_us[k] * 1e3;
      }
    } else {
      all_binned = false;
    }
    const double wn = static_cast<double>(n);
    weighted.mean_us += wn * *mean_ns / 1e3;
    weighted.p50_us += wn * values_ns[0] / 1e3;
    weighted.p90_us += wn * values_ns[1] / 1e3;
    weighted.p99_us += wn * values_ns[2] / 1e3;
    weighted.p999_us += wn * values_ns[3] / 1e3;
    weight += wn;
    return Status::Ok();
  }
  void Merge(const LatencyAcc& o) {
    bins.Merge(o.bins);
    all_binned = all_binned && o.all_binned;
    weight += o.weight;
    weighted.mean_us += o.weighted.mean_us;
    weighted.p50_us += o.weighted.p50_us;
    weighted.p90_us += o.weighted.p90_us;
    weighted.p99_us += o.weighted.p99_us;
    weighted.p999_us += o.weighted.p999_us;
    max_us = std::max(max_us, o.max_us);
    count += o.count;
  }
  LatencySummary Summary() const {
    if (count == 0) return {};
    if (all_binned && bins.count() > 0) {
      LatencySummary s = SummarizeNs(bins);
      s.max_us = std::max(s.max_us, max_us);
      return s;
    }
    LatencySummary s;
    s.mean_us = weighted.mean_us / weight;
    s.p50_us = weighted.p50_us / weight;
    s.p90_us = weighted.p90_us / weight;
    s.p99_us = weighted.p99_us / weight;
    s.p999_us = weighted.p999_us / weight;
    s.max_us = max_us;
    return s;
  }
};

struct DirAcc {
  uint64_t ops = 0, bytes = 0;
  double iops = 0, bytes_per_s = 0, runtime_ms = 0;
  LatencyAcc latency;
};

struct StepAcc {
  std::map<std::string, DirAcc> dirs;
  uint64_t errors = 0;
  uint64_t concurrency = 0;
  double offered = 0;
  double cpu_percent = 0;
};

// A job option as fio writes it (a string), from the job's "job options" or else the
// document's "global options"; empty when neither sets it.
struct JobOption {
  std::string text;
  std::string where;  // the field it came from, for messages
};
Result<JobOption> OptionOf(const Json& job, const Json& global, const std::string& where,
                           const char* key) {
  const auto opts = job.find("job options");
  if (opts != job.end() && !opts->is_object())
    return Error::BadInput(where + ".job options: expected an object");
  for (const auto& [options, field] :
       {std::pair<const Json*, std::string>{opts != job.end() ? &*opts : nullptr,
                                            where + ".job options." + key},
        {&global, where.substr(0, where.rfind('.')) + ".global options." + key}}) {
    if (!options || !options->is_object() || !options->contains(key)) continue;
    const Json& v = (*options)[key];
    if (!v.is_string()) return Error::BadInput(field + ": expected a string, got " + v.dump());
    return JobOption{v.get<std::string>(), field};
  }
  return JobOption{};
}

// numjobs, iodepth: a whole number in [1, kMaxJobOption]; 1 when not set.
Result<uint64_t> JobCount(const Json& job, const Json& global, const std::string& where,
                          const char* key) {
  auto option = OptionOf(job, global, where, key);
  if (!option) return option.error();
  if (option->text.empty()) return uint64_t{1};
  auto value = ParseCount(option->text, option->where);
  if (!value || *value < 1 || *value > kMaxJobOption)
    return Error::BadInput(option->where + ": '" + option->text.substr(0, 40) +
                           "' is not a whole number in [1, " + std::to_string(kMaxJobOption) + "]");
  return *value;
}

// rate_iops: "500" or "500,100" (read,write; an empty part is no limit). Their sum.
Result<double> SumOfRates(const JobOption& rate) {
  double sum = 0;
  size_t pos = 0;
  while (pos <= rate.text.size()) {
    const size_t comma = std::min(rate.text.find(',', pos), rate.text.size());
    const std::string part = rate.text.substr(pos, comma - pos);
    if (!part.empty()) {
      auto value = ParseCount(part, rate.where);
      if (!value || static_cast<double>(*value) > kMaxIops)
        return Error::BadInput(rate.where + ": '" + rate.text.substr(0, 40) +
                               "' is not a list of whole rates in [0, " + FormatNumber(kMaxIops) +
                               "]");
      sum += static_cast<double>(*value);
    }
    pos = comma + 1;
  }
  return sum;
}

// `reports` is how many entries of the output carry this job (same host, group and
// name): fio writes one per clone, or one for all numjobs clones under group_reporting.
// The option itself is no guide: on fio's command line it is not echoed, and "0" is
// written as set.
Status AddEntry(const Json& job, const Json& global, const std::string& where, uint64_t reports,
                StepAcc& acc) {
  if (!job.is_object()) return Error::BadInput(where + ": a job must be an object");
  auto numjobs = JobCount(job, global, where, "numjobs");
  if (!numjobs) return numjobs.error();
  auto iodepth = JobCount(job, global, where, "iodepth");
  if (!iodepth) return iodepth.error();
  const uint64_t clones = reports >= *numjobs ? 1 : (*numjobs + reports - 1) / reports;
  acc.concurrency += clones * *iodepth;
  auto rate = OptionOf(job, global, where, "rate_iops");
  if (!rate) return rate.error();
  if (!rate->text.empty()) {
    auto rw = OptionOf(job, global, where, "rw");
    if (!rw) return rw.error();
    const bool mixed = rw->text.find("rw") != std::string::npos || rw->text == "readwrite";
    auto sum = SumOfRates(*rate);
    if (!sum) return sum.error();
    const double per_clone = rate->text.find(',') == std::string::npos && mixed ? 2 * *sum : *sum;
    acc.offered += per_clone * static_cast<double>(clones);
  }
  auto total_err = OptionalUint(job, "total_err", where);
  if (!total_err) return total_err.error();
  const auto error = job.find("error");
  if (error != job.end() && !error->is_number())
    return Error::BadInput(where + ".error: expected a number, got " + error->dump().substr(0, 40));
  const bool failed = error != job.end() && error->get<double>() != 0;
  acc.errors += (failed ? 1 : 0) + *total_err;
  for (const char* cpu : {"usr_cpu", "sys_cpu"}) {
    auto percent = OptionalNonNegative(job, cpu, where, kMaxCpuPercent);
    if (!percent) return percent.error();
    acc.cpu_percent += *percent;
  }
  for (const char* dir : {"read", "write", "trim", "sync"}) {
    if (!job.contains(dir)) continue;
    const Json& d = job[dir];
    const std::string dw = where + "." + dir;
    if (!d.is_object()) return Error::BadInput(dw + ": must be an object");
    auto ios = JsonUint(d, "total_ios", dw);
    if (!ios) return ios.error();
    if (*ios == 0) continue;
    DirAcc& out = acc.dirs[dir];
    out.ops += *ios;
    const bool data = std::string(dir) != "sync";
    if (data) {
      auto bytes = JsonUint(d, "io_bytes", dw);
      if (!bytes) return bytes.error();
      auto bw = RequiredNonNegative(d, "bw_bytes", dw, kMaxBytesPerS);
      if (!bw) return bw.error();
      auto runtime = RequiredNonNegative(d, "runtime", dw, kMaxRuntimeMs);
      if (!runtime) return runtime.error();
      auto iops = RequiredNonNegative(d, "iops", dw, kMaxIops);
      if (!iops) return iops.error();
      out.bytes += *bytes;
      out.bytes_per_s += *bw;
      out.iops += *iops;
      out.runtime_ms = std::max(out.runtime_ms, *runtime);
    }
    const char* lat_key = data ? "clat_ns" : "lat_ns";
    auto lat = JsonObject(d, lat_key, dw);
    if (!lat) return lat.error();
    if (auto added = out.latency.Add(**lat, dw + "." + lat_key); !added) return added.error();
  }
  return Status::Ok();
}

}  // namespace

namespace {

Result<PerfCurve> ImportFioJsonUnchecked(const Json& fio, std::string_view source_name,
                                         FioGrouping grouping) {
  const std::string name(source_name);
  auto document = ReadFioDocument(fio, name);
  if (!document) return document.error();
  const bool client = document->client;
  const std::string& list_key = document->list_key;
  const Json& global = document->global;
  // Each entry's host, group and name, and how many entries share them.
  struct Entry {
    std::string where, step, job;
  };
  std::vector<Entry> entries;
  std::map<std::string, uint64_t> reports;
  std::set<std::string> hosts;
  for (size_t i = 0; i < document->entries->size(); ++i) {
    const Json& job = (*document->entries)[i];
    auto entry = ReadFioEntry(*document, i, name);
    if (!entry) return entry.error();
    if (entry->all_clients()) {  // fio's own sum of the hosts: we merge exactly
      entries.push_back({});
      continue;
    }
    const std::string host = client ? (job.contains("hostname") ? job["hostname"].dump() : "") +
                                          ":" + (job.contains("port") ? job["port"].dump() : "0")
                                    : "";
    if (client) hosts.insert(host);
    const std::string group = "group " + std::to_string(entry->groupid);
    const std::string step =
        grouping == FioGrouping::kGroup ? group : group + " job " + entry->jobname;
    entries.push_back({entry->where, step, host + " " + group + " " + entry->jobname});
    ++reports[entries.back().job];
  }
  std::vector<std::string> order;
  std::map<std::string, StepAcc> steps;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (e.where.empty()) continue;
    if (!steps.count(e.step)) order.push_back(e.step);
    if (auto st = AddEntry((*document->entries)[i], global, e.where, reports[e.job], steps[e.step]);
        !st)
      return st.error();
  }
  if (order.empty()) return Error::BadInput(name + "." + list_key + ": no jobs");

  PerfCurve curve;
  curve.source = "fio";
  auto timestamp = OptionalNonNegative(fio, "timestamp", name, 1e11);
  if (!timestamp) return timestamp.error();
  curve.created_unix = *timestamp;
  const auto version = fio.find("fio version");
  curve.target = client ? std::to_string(hosts.size()) + " fio server(s)" : "fio";
  curve.workload = "fio " +
                   (version != fio.end() && version->is_string() ? version->get<std::string>()
                                                                 : std::string("?")) +
                   ", " + std::to_string(order.size()) + " step(s)" +
                   (client ? ", merged over " + std::to_string(hosts.size()) + " host(s)" : "");
  bool approximated = false;
  for (const std::string& key : order) {
    const StepAcc& acc = steps.at(key);
    CurveStep step;
    double duration_ms = 0;
    for (const auto& [dir, d] : acc.dirs) duration_ms = std::max(duration_ms, d.runtime_ms);
    if (!(duration_ms > 0))
      return Error::BadInput(name + ": " + key + " did no read, write or trim I/O");
    step.duration_s = duration_ms / 1e3;
    step.mode = acc.offered > 0 ? "open" : "closed";
    if (acc.concurrency > UINT32_MAX)
      return Error::BadInput(name + ": " + key + ": numjobs x iodepth adds up to " +
                             std::to_string(acc.concurrency) + ", more than a curve holds");
    step.concurrency = static_cast<uint32_t>(std::max<uint64_t>(1, acc.concurrency));
    step.offered_ops_per_s = acc.offered;
    LatencyAcc all;
    for (const auto& [dir, d] : acc.dirs) {
      OpStats op;
      op.ops = d.ops;
      op.ops_per_s = d.iops > 0 ? d.iops : static_cast<double>(d.ops) / step.duration_s;
      op.bytes_per_s = d.bytes_per_s;
      op.latency = d.latency.Summary();
      step.total.ops += op.ops;
      step.total.ops_per_s += op.ops_per_s;
      step.total.bytes_per_s += op.bytes_per_s;
      all.Merge(d.latency);
      step.per_op[dir] = op;
    }
    step.total.errors = acc.errors;
    step.total.latency = all.Summary();
    approximated = approximated || !all.all_binned;
    step.replayer.cpu_percent = acc.cpu_percent;  // fio's own CPU; pid 0: not one process
    curve.steps.push_back(std::move(step));
  }
  // Said in the curve: percentiles averaged over entries are not exact.
  if (approximated) curve.workload += ", latency percentiles averaged from fio's (no json+ bins)";
  return curve;
}

}  // namespace

// fio's documents are read with defaults for what is missing; a field of the wrong
// type (a string where fio writes a number) is bad input naming the file, never an
// exception.
Result<PerfCurve> ImportFioJson(const Json& fio, std::string_view source_name,
                                FioGrouping grouping) {
  try {
    return ImportFioJsonUnchecked(fio, source_name, grouping);
  } catch (const Json::exception&) {
    // Every field is type-checked on the way; this is a last guard, and the library's
    // text (which names no field) is not shown.
    return Error::BadInput(std::string(source_name) +
                           ": unexpected fio JSON: a field of an unexpected type");
  }
}

Result<FioDocument> ReadFioDocument(const Json& fio, const std::string& name) {
  if (!fio.is_object()) return Error::BadInput(name + ": fio output must be a JSON object");
  FioDocument document;
  document.client = fio.contains("client_stats");
  document.list_key = document.client ? "client_stats" : "jobs";
  auto entries = JsonArray(fio, document.list_key, name);
  if (!entries) return entries.error();
  document.entries = *entries;
  const auto global = fio.find("global options");
  if (global != fio.end() && !global->is_object())
    return Error::BadInput(name + ".global options: expected an object");
  document.global = global != fio.end() ? *global : Json::object();
  return document;
}

Result<FioEntry> ReadFioEntry(const FioDocument& document, size_t i, const std::string& name) {
  const Json& job = (*document.entries)[i];
  FioEntry entry;
  entry.where = name + "." + document.list_key + "[" + std::to_string(i) + "]";
  if (!job.is_object()) return Error::BadInput(entry.where + ": a job must be an object");
  auto jobname = JsonString(job, "jobname", entry.where);
  if (!jobname) return jobname.error();
  entry.jobname = *jobname;
  if (entry.all_clients()) return entry;
  auto groupid = JsonUint(job, "groupid", entry.where);
  if (!groupid) return groupid.error();
  entry.groupid = *groupid;
  return entry;
}

Result<Json> ReadFioJsonDocument(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return text.error();
  // fio --client prints "<host> ..." lines before the JSON document: start at the first
  // line that opens an object, end at the last closing brace.
  size_t start = text->rfind('{', 0) == 0 ? 0 : text->find("\n{");
  if (start == std::string::npos)
    return Error::BadInput(path + ": no JSON object (is it fio --output-format=json+ output?)");
  if ((*text)[start] == '\n') ++start;
  const size_t end = text->rfind('}');
  return ParseJsonText(std::string_view(*text).substr(start, end + 1 - start), path);
}

Result<PerfCurve> LoadFioJson(const std::string& path, FioGrouping grouping) {
  return ReadFioOutput<PerfCurve>(
      path, [&](const Json& fio) { return ImportFioJsonUnchecked(fio, path, grouping); });
}

}  // namespace sfsg
