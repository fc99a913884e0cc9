#include "generator/replay/fio.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "generator/replay/file_set.h"
#include "generator/replay/replay.h"
#include "generator/replay/step_stats.h"
#include "generator/util/log_histogram.h"

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
    out.warning = "only " + std::to_string(out.files) + " regular files of the shadow (among its " +
                  std::to_string(std::min<uint64_t>(shadow.entry_count(), 2000000)) +
                  " most popular entries) are at least " + std::to_string(max_bs) +
                  " bytes, the largest request; the job lists those " + std::to_string(out.files) +
                  ", not " + std::to_string(o.files);

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

// One latency distribution from one or more fio entries.
struct LatencyAcc {
  LogHistogram bins;  // from json+ "bins"
  bool all_binned = true;
  double weight = 0;        // for averaging json percentiles: sum of counts
  LatencySummary weighted;  // sums of count x value
  double max_us = 0;
  uint64_t count = 0;

  Status Add(const Json& lat, const std::string& where) {
    auto n_or = OptionalUint(lat, "N", where);
    if (!n_or) return n_or.error();
    const uint64_t n = *n_or;
    if (n == 0) return Status::Ok();
    count += n;
    max_us = std::max(max_us, lat.value("max", 0.0) / 1e3);
    const auto it = lat.find("bins");
    if (it != lat.end() && it->is_object()) {
      for (const auto& [value, c] : it->items()) {
        auto bin_count = JsonUint(*it, value, where + ".bins");
        if (!bin_count) return bin_count.error();
        bins.Add(std::strtoull(value.c_str(), nullptr, 10), *bin_count);
      }
    } else {
      all_binned = false;
    }
    const Json pct = lat.value("percentile", Json::object());
    const auto at = [&](const char* key) { return pct.value(key, 0.0) / 1e3; };
    const double wn = static_cast<double>(n);
    weighted.mean_us += wn * lat.value("mean", 0.0) / 1e3;
    weighted.p50_us += wn * at("50.000000");
    weighted.p90_us += wn * at("90.000000");
    weighted.p99_us += wn * at("99.000000");
    weighted.p999_us += wn * at("99.900000");
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

std::string OptionOf(const Json& job, const Json& global, const char* key) {
  const Json opts = job.value("job options", Json::object());
  if (opts.contains(key) && opts[key].is_string()) return opts[key].get<std::string>();
  if (global.contains(key) && global[key].is_string()) return global[key].get<std::string>();
  return "";
}

double SumOfList(const std::string& text) {
  double sum = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    sum += std::strtod(text.substr(pos, comma - pos).c_str(), nullptr);
    pos = comma + 1;
  }
  return sum;
}

Status AddEntry(const Json& job, const Json& global, const std::string& where, StepAcc& acc) {
  if (!job.is_object()) return Error::BadInput(where + ": a job must be an object");
  const bool grouped = !OptionOf(job, global, "group_reporting").empty() ||
                       job.value("job options", Json::object()).contains("group_reporting") ||
                       global.contains("group_reporting");
  const std::string numjobs_text = OptionOf(job, global, "numjobs");
  const std::string iodepth_text = OptionOf(job, global, "iodepth");
  const uint64_t numjobs =
      numjobs_text.empty() ? 1 : std::max(1ull, std::strtoull(numjobs_text.c_str(), nullptr, 10));
  const uint64_t iodepth =
      iodepth_text.empty() ? 1 : std::max(1ull, std::strtoull(iodepth_text.c_str(), nullptr, 10));
  const uint64_t clones = grouped ? numjobs : 1;
  acc.concurrency += clones * iodepth;
  const std::string rate = OptionOf(job, global, "rate_iops");
  if (!rate.empty()) {
    const std::string rw = OptionOf(job, global, "rw");
    const bool mixed = rw.find("rw") != std::string::npos || rw == "readwrite";
    const double per_clone =
        rate.find(',') == std::string::npos && mixed ? 2 * SumOfList(rate) : SumOfList(rate);
    acc.offered += per_clone * static_cast<double>(clones);
  }
  auto total_err = OptionalUint(job, "total_err", where);
  if (!total_err) return total_err.error();
  acc.errors += (job.value("error", 0.0) != 0 ? 1 : 0) + *total_err;
  acc.cpu_percent += job.value("usr_cpu", 0.0) + job.value("sys_cpu", 0.0);
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
      auto bw = JsonNumber(d, "bw_bytes", dw);
      if (!bw) return bw.error();
      auto runtime = JsonNumber(d, "runtime", dw);
      if (!runtime) return runtime.error();
      auto iops = JsonNumber(d, "iops", dw);
      if (!iops) return iops.error();
      if (*bw < 0 || *runtime < 0 || *iops < 0)
        return Error::BadInput(dw + ": negative bw_bytes, runtime or iops");
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
  if (!fio.is_object()) return Error::BadInput(name + ": fio output must be a JSON object");
  const bool client = fio.contains("client_stats");
  const char* list_key = client ? "client_stats" : "jobs";
  auto jobs = JsonArray(fio, list_key, name);
  if (!jobs) return jobs.error();
  const Json global = fio.value("global options", Json::object());
  std::vector<std::string> order;
  std::map<std::string, StepAcc> steps;
  std::set<std::string> hosts;
  for (size_t i = 0; i < (*jobs)->size(); ++i) {
    const Json& job = (**jobs)[i];
    const std::string where = name + "." + list_key + "[" + std::to_string(i) + "]";
    auto jobname = JsonString(job, "jobname", where);
    if (!jobname) return jobname.error();
    if (*jobname == "All clients") continue;  // fio's own sum of the hosts: we merge exactly
    auto groupid = JsonUint(job, "groupid", where);
    if (!groupid) return groupid.error();
    if (client)
      hosts.insert(job.value("hostname", "") + ":" +
                   (job.contains("port") ? job["port"].dump() : "0"));
    const std::string key = grouping == FioGrouping::kGroup
                                ? "group " + std::to_string(*groupid)
                                : "group " + std::to_string(*groupid) + " job " + *jobname;
    if (!steps.count(key)) order.push_back(key);
    if (auto st = AddEntry(job, global, where, steps[key]); !st) return st.error();
  }
  if (order.empty()) return Error::BadInput(name + "." + list_key + ": no jobs");

  PerfCurve curve;
  curve.source = "fio";
  curve.created_unix = fio.value("timestamp", 0.0);
  curve.target = client ? std::to_string(hosts.size()) + " fio server(s)" : "fio";
  curve.workload = "fio " + fio.value("fio version", std::string("?")) + ", " +
                   std::to_string(order.size()) + " step(s)" +
                   (client ? ", merged over " + std::to_string(hosts.size()) + " host(s)" : "");
  for (const std::string& key : order) {
    const StepAcc& acc = steps.at(key);
    CurveStep step;
    double duration_ms = 0;
    for (const auto& [dir, d] : acc.dirs) duration_ms = std::max(duration_ms, d.runtime_ms);
    if (!(duration_ms > 0))
      return Error::BadInput(name + ": " + key + " did no read, write or trim I/O");
    step.duration_s = duration_ms / 1e3;
    step.mode = acc.offered > 0 ? "open" : "closed";
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
    step.replayer.cpu_percent = acc.cpu_percent;  // fio's own CPU; pid 0: not one process
    curve.steps.push_back(std::move(step));
  }
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
  } catch (const Json::exception& e) {
    return Error::BadInput(std::string(source_name) + ": unexpected fio JSON: " + e.what());
  }
}

Result<PerfCurve> LoadFioJson(const std::string& path, FioGrouping grouping) {
  auto text = ReadTextFile(path);
  if (!text) return text.error();
  // fio --client prints "<host> ..." lines before the JSON document: start at the first
  // line that opens an object, end at the last closing brace.
  size_t start = text->rfind('{', 0) == 0 ? 0 : text->find("\n{");
  if (start == std::string::npos)
    return Error::BadInput(path + ": no JSON object (is it fio --output-format=json+ output?)");
  if ((*text)[start] == '\n') ++start;
  const size_t end = text->rfind('}');
  auto json = ParseJsonText(std::string_view(*text).substr(start, end + 1 - start), path);
  if (!json) return json.error();
  return ImportFioJson(*json, path, grouping);
}

}  // namespace sfsg
