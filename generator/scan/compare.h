// CompareProfiles: how far apart two profiles are, distance by distance, against
// tolerances. The fidelity check of a shadow: scan a real tree (A), mount its shadow,
// scan the shadow (B), compare.
//
// Distances (each in [0, 1] except the relative ones):
//  - size_ks: Kolmogorov-Smirnov distance between the regular-file size distributions,
//    from the log2 histograms (empty files included, as bucket 0);
//  - dirs_by_depth, files_by_depth: total-variation distance between the depth
//    distributions of directories and of non-directory entries;
//  - files_per_dir, subdirs_per_dir: total-variation distance between the fan-out
//    histograms;
//  - extension_share: total-variation distance between the extensions' shares of the
//    files, over the extensions both profiles list (everything else pooled as "*", so
//    two different top-K cuts of the same tree do not count as a difference);
//  - compression, dedup: |B - A| / A of the overall ratios; not measured (and not
//    checked) when either profile sampled no content.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "generator/profile.h"
#include "generator/util/json_io.h"

namespace sfsg {

struct CompareTolerances {
  double max_ks = 0.05;
  double max_depth = 0.1;        // both depth distances
  double max_fanout = 0.1;       // both fan-out distances
  double max_ext = 0.1;          // extension shares
  double max_compression = 0.1;  // relative
  double max_dedup = 0.1;        // relative
};

struct ProfileDistance {
  std::string name;
  double value = 0;
  double limit = 0;
  bool measured = true;  // false: not comparable (value is meaningless, never fails)
  bool within() const { return !measured || value <= limit; }
};

struct Comparison {
  std::vector<ProfileDistance> distances;

  bool within() const;
  // {"within": bool, "distances": {name: {"value", "limit", "within"}}} (value null
  // when not measured).
  Json ToJson() const;
  // One line per distance and a verdict line, for people.
  std::string ToText() const;
};

Comparison CompareProfiles(const Profile& a, const Profile& b, const CompareTolerances& limits);

}  // namespace sfsg
