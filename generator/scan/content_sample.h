// The content sample of a scan: which files to read, reading them, measuring them.
//
// Internal to sfsg_scan. Stratified by extension class: the sample count is shared
// equally among the classes (a class with fewer candidates gives its leftover to the
// others), and the byte budget is spent round-robin across the classes, so a class of
// huge files cannot starve the rest. Each sampled file contributes its first
// `file_bytes` bytes, then the budget left lengthens the cut ones (whole files up to
// `max_file_bytes`). The plan is a pure function of the candidates (deterministic);
// the reading runs on `threads` threads, each with its own ContentMeter.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "generator/content_meter.h"
#include "generator/scan/scan_stats.h"
#include "generator/scan/scanner.h"

namespace sfsg::scan {

struct PlannedRead {
  const SampleCandidate* file;
  size_t class_index;
  uint64_t bytes;  // to read from the start of the file
  // The class bytes this file stands for in the byte-weighted ratio: max(size, tau),
  // tau the priority of the class's first candidate not read (0 when all were read).
  double weight_bytes = 0;
};

// Plans at most max_files reads of at most max_bytes in all: first each planned file's
// first `file_bytes` bytes, round-robin across the classes; then what is left of
// max_bytes lengthens the cut prefixes, up to max_file_bytes each (whole files when they
// fit), the shortest needs first and the rest equally.
// sketch_capacity: the most candidates the walk kept per class (0: no bound); a class
// with that many may have more files, so its last candidate is never read, its
// priority being the weighing threshold.
// REQUIRES: candidates[c] sorted by rank (as FillProfileFromStats returns them).
std::vector<PlannedRead> PlanSample(const std::vector<std::vector<SampleCandidate>>& candidates,
                                    size_t sketch_capacity, uint64_t max_files, uint64_t max_bytes,
                                    uint64_t file_bytes, uint64_t max_file_bytes);

struct SampleOutcome {
  ContentMeter meter;  // keyed by class_keys[class_index]
  uint64_t unreadable = 0;
};

// Reads and measures the planned files. Never follows a symlink (a file replaced since
// the walk is skipped and counted as unreadable).
SampleOutcome MeasureSample(const std::vector<PlannedRead>& plan,
                            const std::vector<std::string>& class_keys, int threads,
                            const std::function<void(const ScanProgress&)>& progress,
                            double progress_interval_s);

// Fills profile->content and each profile->extensions[i] content field from the
// outcome (class i = extension i). The overall compression ratio is the stratified
// estimate sum(B_c) / sum(B_c / r_c) over the classes' total bytes B_c in the tree, so
// equal per-class shares do not bias it.
void FillContent(const SampleOutcome& outcome, Profile* profile);

}  // namespace sfsg::scan
