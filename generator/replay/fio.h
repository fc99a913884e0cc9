// fio as a peer of the replayer, both ways.
//
// EmitFioJob writes a workload as a fio job file that runs unchanged against a shadow:
// it lists existing synthetic files (the K most popular regular files, the same hot set
// `sfsg-replay --hot-files K` loads; fewer, with a warning, when the shadow has fewer
// that are large enough) with fio's zipf file popularity, and forbids any
// layout phase (allow_file_create=0, create_on_open=0, no size: fio takes the files'
// own sizes). The read/write mix, the request-size split (bssplit), sequential vs
// random (percentage_random), the rate (rate_iops, Poisson if the workload's arrivals
// are) carry over; metadata operations (stat, readdir, create, unlink) are left out,
// and the job file says which share of the operations they were.
//
// ImportFioJson reads fio's --output-format=json or json+ results (standalone or
// client/server, whose per-host "client_stats" are merged) into a PerfCurve: one step per
// job (by group and name) or per group. Latency percentiles come from clat_ns: exact
// from json+ bins, or from the reported percentiles with json (several hosts' percentiles
// are then averaged, weighted by their counts: an approximation).
//
// Pure functions of their inputs; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "generator/namespace.h"
#include "generator/perf_curve.h"
#include "generator/util/json_io.h"
#include "generator/util/status.h"
#include "generator/workload.h"

namespace sfsg {

struct FioJobOptions {
  std::string directory;  // directory= line; "" leaves it out (fio's working directory)
  uint64_t files = 64;    // hot files listed in filename=
  uint64_t seed = 1;      // popularity permutation (as ReplayOptions::seed)
  double runtime_s = 60;
  uint32_t numjobs = 1;
  uint32_t iodepth = 1;
  std::string ioengine = "psync";
  bool rate_limited = true;  // rate_iops from the workload's mean rate; false: as fast as possible
  std::string name = "sfsg";
};

struct FioJob {
  std::string text;     // the job file
  uint64_t files = 0;   // files it lists: options.files, or fewer (see warning)
  std::string warning;  // "" or one sentence: fewer files than asked for
};

// The file list is split over several filename= lines, each value under fio's limit of
// 4096 characters (fio adds the files of every filename= line of a section; those of
// [global] go to every job). When the shadow has fewer than options.files regular files
// at least as long as the largest request, the job lists those there are and says so in
// `warning`. Errors (kUsage): a workload without reads or writes; no file large enough
// for the largest request.
Result<FioJob> EmitFioJob(const Workload& workload, const Namespace& shadow,
                          const FioJobOptions& options);

// The longest value EmitFioJob puts on one filename= line (fio refuses 4096 or more).
inline constexpr size_t kFioMaxFilenameValue = 4000;

enum class FioGrouping { kJob, kGroup };

// The parts of fio's output document both importers read: its entries ("client_stats"
// with fio --client, else "jobs"; `entries` points into the document) and its "global
// options" ({} when absent).
struct FioDocument {
  const Json* entries = nullptr;
  std::string list_key;  // "client_stats" or "jobs"
  bool client = false;   // from fio --client: entries name their host
  Json global;
};
// Errors (kBadInput naming `name` and the field): not an object, no entry array, global
// options not an object.
Result<FioDocument> ReadFioDocument(const Json& fio, const std::string& name);

// Entry i of a document: where it is for messages ("NAME.jobs[3]"), its job name and
// its group (not read, 0, for fio's "All clients" sum). Errors (kBadInput): not an
// object, no jobname or groupid.
struct FioEntry {
  std::string where;
  std::string jobname;
  uint64_t groupid = 0;
  bool all_clients() const { return jobname == "All clients"; }
};
Result<FioEntry> ReadFioEntry(const FioDocument& document, size_t i, const std::string& name);

// fio's output file parsed, the text lines fio --client prints before the JSON skipped.
// Errors: kIo (unreadable), kBadInput (no JSON object, malformed JSON).
Result<Json> ReadFioJsonDocument(const std::string& path);

// `fio` is the parsed output. Errors (kBadInput, naming the source and job): no jobs, a
// job without its fields, negative numbers, no I/O at all.
Result<PerfCurve> ImportFioJson(const Json& fio, std::string_view source_name,
                                FioGrouping grouping);
// Reads fio's output file, skipping the text lines fio --client prints before the JSON.
Result<PerfCurve> LoadFioJson(const std::string& path, FioGrouping grouping);

// The one reader of fio's output files (LoadFioJson and the device calibration use it):
// the file at `path` parsed, the text lines fio --client prints before the JSON skipped,
// then `import` applied to the document (with `path` as its name). A field of a type
// `import` did not expect (Json::exception) is kBadInput "PATH: unexpected fio JSON: a
// field of an unexpected type". Errors: kIo (unreadable), kBadInput (no JSON object,
// malformed JSON), or what `import` returns.
template <typename T, typename Import>
Result<T> ReadFioOutput(const std::string& path, Import import) {
  auto json = ReadFioJsonDocument(path);
  if (!json) return json.error();
  try {
    return import(*json);
  } catch (const Json::exception&) {
    // Every field is type-checked on the way; this is a last guard, and the library's
    // text (which names no field) is not shown.
    return Error::BadInput(path + ": unexpected fio JSON: a field of an unexpected type");
  }
}

}  // namespace sfsg
