#include "predictor/calibrate/fio_import.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <tuple>

#include "generator/replay/fio.h"
#include "generator/util/units.h"
#include "predictor/calibrate/parallelism_fit.h"

namespace sfsg {

namespace {

struct JobKey {
  uint64_t group;
  std::string name;
  bool operator<(const JobKey& o) const {
    return std::tie(group, name) < std::tie(o.group, o.name);
  }
};

// An option of a job ("job options"), else of the global section; "" when neither sets it.
Result<std::string> OptionText(const Json& job, const Json& global, const char* key,
                               const std::string& where) {
  const auto opts = job.find("job options");
  if (opts != job.end()) {
    if (!opts->is_object()) return Error::BadInput(where + ".job options: expected an object");
    const auto it = opts->find(key);
    if (it != opts->end()) {
      if (!it->is_string())
        return Error::BadInput(where + ".job options." + key + ": expected a string");
      return it->get<std::string>();
    }
  }
  const auto it = global.find(key);
  if (it == global.end()) return std::string();
  if (!it->is_string())
    return Error::BadInput(where + ": global options." + key + ": expected a string");
  return it->get<std::string>();
}

MeasuredTime FromSummary(const OpStats& op) {
  MeasuredTime s;
  s.samples = op.ops;
  s.mean_us = op.latency.mean_us;
  s.quantiles_us = {{0.5, op.latency.p50_us},
                    {0.9, op.latency.p90_us},
                    {0.99, op.latency.p99_us},
                    {0.999, op.latency.p999_us},
                    {1.0, op.latency.max_us}};
  return s;
}

struct LadderKey {
  std::string op;
  uint64_t bytes;
  bool sequential;
  bool operator<(const LadderKey& o) const {
    return std::tie(op, bytes, sequential) < std::tie(o.op, o.bytes, o.sequential);
  }
};

}  // namespace

Result<Calibration> CalibrationFromFio(const Json& fio, const std::string& name) {
  auto document = ReadFioDocument(fio, name);
  if (!document) return document.error();
  const Json* jobs = document->entries;
  const Json& global = document->global;

  // Entries by job, in order of first appearance.
  std::vector<JobKey> order;
  std::map<JobKey, std::vector<size_t>> entries;
  for (size_t i = 0; i < jobs->size(); ++i) {
    auto entry = ReadFioEntry(*document, i, name);
    if (!entry) return entry.error();
    if (entry->all_clients()) continue;
    const JobKey key{entry->groupid, entry->jobname};
    if (!entries.count(key)) order.push_back(key);
    entries[key].push_back(i);
  }
  if (order.empty()) return Error::BadInput(name + "." + document->list_key + ": no jobs");

  Calibration out;
  out.mode = "fio";
  out.target = name;
  out.direct_io = true;
  auto timestamp = JsonNumber(fio, "timestamp", name);
  out.created_unix = timestamp ? *timestamp : static_cast<double>(std::time(nullptr));
  if (!timestamp)
    out.notes.push_back(
        "fio: the results carry no \"timestamp\": the model's date is the import's");
  std::map<LadderKey, ConcurrencyLadder> ladders;
  std::map<LadderKey, std::pair<uint32_t, OpClass>> lowest;  // class at its lowest depth
  std::vector<std::string> buffered;
  for (const JobKey& key : order) {
    const std::vector<size_t>& idx = entries[key];
    const Json& first = (*jobs)[idx.front()];
    const std::string where =
        name + "." + document->list_key + "[" + std::to_string(idx.front()) + "]";
    auto rw = OptionText(first, global, "rw", where);
    if (!rw) return rw.error();
    if (rw->empty()) rw = std::string("read");                 // fio's default
    const std::string pattern = rw->substr(0, rw->find(':'));  // "randread:8" -> randread
    static const std::map<std::string, std::tuple<bool, bool, bool>> kRw = {
        // rw -> reads, writes, sequential
        {"read", {true, false, true}},      {"write", {false, true, true}},
        {"randread", {true, false, false}}, {"randwrite", {false, true, false}},
        {"rw", {true, true, true}},         {"readwrite", {true, true, true}},
        {"randrw", {true, true, false}}};
    const auto rw_it = kRw.find(pattern);
    if (rw_it == kRw.end())
      return Error::BadInput(where + ".job options.rw: '" + rw->substr(0, 40) +
                             "' is not a read/write pattern sfsg-calibrate models (read, write, "
                             "randread, randwrite, rw, randrw)");
    const bool sequential = std::get<2>(rw_it->second);
    auto bs_text = OptionText(first, global, "bs", where);
    if (!bs_text) return bs_text.error();
    if (bs_text->empty()) bs_text = std::string("4k");  // fio's default
    // "4k" or "4k,64k" (read,write): one size per direction.
    const size_t comma = bs_text->find(',');
    auto read_bs = ParseBytes(bs_text->substr(0, comma), where + ".job options.bs");
    if (!read_bs) return read_bs.error();
    Result<uint64_t> write_bs = *read_bs;
    if (comma != std::string::npos && comma + 1 < bs_text->size())
      write_bs = ParseBytes(bs_text->substr(comma + 1), where + ".job options.bs");
    if (!write_bs) return write_bs.error();
    if (*read_bs == 0 || *write_bs == 0)
      return Error::BadInput(where + ".job options.bs: a block size of 0");
    auto direct = OptionText(first, global, "direct", where);
    if (!direct) return direct.error();
    if (*direct != "1" && *direct != "true") {
      buffered.push_back(key.name);
      out.direct_io = false;
    }
    auto filename = OptionText(first, global, "filename", where);
    if (filename && !filename->empty()) out.target = *filename;

    Json mini = Json::object();
    mini["global options"] = global;
    mini["jobs"] = Json::array();
    for (size_t i : idx) mini["jobs"].push_back((*jobs)[i]);
    auto curve = ImportFioJson(mini, name + " (job " + key.name + ")", FioGrouping::kJob);
    if (!curve) return curve.error();
    const CurveStep& step = curve->steps.front();
    out.duration_s += step.duration_s;
    for (const auto& [dir, stats] : step.per_op) {
      if (dir == "sync") {
        out.metadata.push_back({"fsync", FromSummary(stats)});
        continue;
      }
      if (dir != "read" && dir != "write") continue;
      const uint64_t bytes = dir == "read" ? *read_bs : *write_bs;
      const LadderKey lk{dir, bytes, sequential};
      ConcurrencyLadder& ladder = ladders[lk];
      ladder.op = dir;
      ladder.request_bytes = bytes;
      ladder.sequential = sequential;
      ladder.points.push_back({static_cast<double>(step.concurrency), stats.ops_per_s,
                               stats.latency.mean_us, stats.latency.p99_us});
      OpClass c{dir, bytes, sequential, FromSummary(stats), stats.ops_per_s, stats.bytes_per_s};
      const auto low = lowest.find(lk);
      if (low == lowest.end() || step.concurrency < low->second.first)
        lowest[lk] = {step.concurrency, c};
      double& ops_max = dir == "read" ? out.read_ops_per_s_max : out.write_ops_per_s_max;
      double& bw_max = dir == "read" ? out.read_bytes_per_s_max : out.write_bytes_per_s_max;
      ops_max = std::max(ops_max, stats.ops_per_s);
      bw_max = std::max(bw_max, stats.bytes_per_s);
    }
  }
  for (const auto& [lk, low] : lowest) {
    out.classes.push_back(low.second);
    if (low.first > 1)
      out.notes.push_back("fio: " + lk.op + " " + FormatBytes(static_cast<double>(lk.bytes)) +
                          (lk.sequential ? " sequential" : " random") +
                          " was run only at concurrency " + std::to_string(low.first) +
                          ": its service time includes queueing");
  }
  // The parallelism of each direction: from its ladder with the most depths (ties: the
  // smallest requests, whose IOPS the device's parallelism limits rather than bandwidth).
  for (const char* dir : {"read", "write"}) {
    size_t best = SIZE_MAX;
    for (const auto& [lk, ladder] : ladders) {
      if (lk.op != dir) continue;
      std::vector<ConcurrencyPoint> points = ladder.points;
      std::sort(points.begin(), points.end(),
                [](const auto& a, const auto& b) { return a.concurrency < b.concurrency; });
      ConcurrencyLadder sorted = ladder;
      sorted.points = points;
      out.ladders.push_back(sorted);
      size_t distinct = 0;
      for (size_t i = 0; i < points.size(); ++i)
        distinct += i == 0 || points[i].concurrency != points[i - 1].concurrency;
      if (distinct >= 2 &&
          (best == SIZE_MAX || ladder.points.size() > out.ladders[best].points.size()))
        best = out.ladders.size() - 1;
    }
    if (best == SIZE_MAX) continue;
    auto fit = FitParallelism(out.ladders[best].points, name + ": " + dir + " ladder");
    if (!fit) return fit.error();
    (std::string(dir) == "read" ? out.read_parallelism : out.write_parallelism) = *fit;
  }
  if (!out.read_parallelism && !out.write_parallelism)
    out.notes.push_back(
        "fio: no class was run at two or more depths: the parallelism is not "
        "known (run the same job at iodepth 1, 4, 16, 32)");
  if (!buffered.empty()) {
    std::string list;
    for (const std::string& b : buffered) list += (list.empty() ? "" : ", ") + b;
    out.notes.push_back("fio: job(s) " + list +
                        " ran with direct=0: their times include the page cache");
  }
  out.notes.push_back(
      "fio: no metadata operations and no page-cache figures (fio measures data I/O)");
  return out;
}

Result<Calibration> LoadFioCalibration(const std::string& path) {
  return ReadFioOutput<Calibration>(path,
                                    [&](const Json& fio) { return CalibrationFromFio(fio, path); });
}

}  // namespace sfsg
