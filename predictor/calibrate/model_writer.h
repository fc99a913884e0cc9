// From a Calibration (what was measured) to a DeviceModel (what the shadow emulates,
// generator/device/device_model.h), and a human summary of both.
//
// The mapping, for each part of the model:
//   servers, concurrency  the Universal Scalability Law fitted (predictor/usl.h) to the
//                         ladder of 4 KiB random reads (passive: the queue ladder; fio:
//                         the read ladder with most depths): contention = sigma,
//                         coherency = kappa; servers = the USL peak N* when the ladder
//                         reached it, else the deepest level measured (a lower bound, in
//                         the notes). Fewer than 3 levels: the c-server knee
//                         (parallelism_fit.h), with no USL slowdown.
//   data                  each measured class, one size bucket per request size, its
//                         quantiles as the inverse CDF; a direction or pattern not
//                         measured is copied from the nearest one measured (the notes say so).
//   metadata              each operation measured.
//   caps                  bandwidth ceilings from an active calibration (the 1 MiB
//                         ladders), IOPS ceilings where a 4 KiB ladder flattened (the
//                         c-server knee is not a lower bound); none from passive or fio
//                         data (not a ceiling seen).
//   cache                 active: MemAvailable, the cached 4 KiB read and buffered write
//                         times, the dirty limit; passive and fio: none (said in the notes).
//   provenance            mode, date, target, filesystem, device, the load range covered.
// Pure, thread-safe.
#pragma once

#include <string>

#include "generator/device/device_model.h"
#include "generator/util/status.h"
#include "predictor/calibrate/calibration.h"

namespace sfsg {

// Errors (kBadInput): a calibration with no data class at all.
Result<DeviceModel> ToDeviceModel(const Calibration& calibration);

// A few lines for a terminal: what was measured, then ModelSummary(model).
std::string CalibrationSummary(const Calibration& calibration, const DeviceModel& model);
// A few lines for a terminal: provenance, servers, ceilings, cache, validation.
std::string ModelSummary(const DeviceModel& model);

}  // namespace sfsg
