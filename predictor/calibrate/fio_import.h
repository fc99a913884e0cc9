// A device calibration from the user's own fio results against the real device.
//
// Reads fio's --output-format=json+ (or json) output: each job (entries sharing group
// and name, so numjobs clones count together) becomes one point of a ladder keyed by
// direction, block size and pattern (its "job options" rw and bs, over the global
// options). Jobs at concurrency 1 (iodepth x numjobs) give the service-time
// distribution of their class: from the json+ clat bins when present (exact within the
// log-bucket error), else fio's percentiles. Ladders with two or more depths give the
// effective parallelism (parallelism_fit.h). Latencies and counts come through
// generator/replay/fio.h's ImportFioJson, the same parser `sfsg-replay --import-fio`
// uses. Jobs run with direct=0 are kept and named in the notes (their times include the
// page cache).
//
// Pure, deterministic, thread-safe.
#pragma once

#include <string>

#include "generator/util/json_io.h"
#include "generator/util/status.h"
#include "predictor/calibrate/calibration.h"

namespace sfsg {

// Errors (kBadInput naming the source and the field): not fio output, a job without
// rw or bs, an rw this does not know (trim, trimwrite), no job at all.
Result<Calibration> CalibrationFromFio(const Json& fio, const std::string& source_name);
// Reads the file first (fio --client text lines before the JSON are skipped).
// Errors: kIo (unreadable), else as above.
Result<Calibration> LoadFioCalibration(const std::string& path);

}  // namespace sfsg
