// Helpers shared by the predictor's tests: seeded noise and synthetic series.
// Deterministic on every machine: SplitMix64 streams (generator/util/hash.h), never
// std::*_distribution.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "generator/util/hash.h"
#include "predictor/series.h"

namespace sfsg::testing {

// Standard normal draws by Box–Muller from a SplitMix stream.
class Gaussian {
 public:
  explicit Gaussian(uint64_t seed) : stream_(seed) {}
  double Next() {
    const double u1 = 1.0 - stream_.NextUnit();  // (0, 1]
    const double u2 = stream_.NextUnit();
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }

 private:
  SplitMixStream stream_;
};

inline Series MakeSeries(std::string name, double start_s, double step_s,
                         const std::vector<double>& values) {
  Series s;
  s.name = std::move(name);
  s.unit = UnitOfColumn(s.name);
  for (size_t i = 0; i < values.size(); ++i) {
    s.time_s.push_back(start_s + step_s * static_cast<double>(i));
    s.values.push_back(values[i]);
  }
  s.quality.samples = values.size();
  s.quality.median_step_s = step_s;
  s.quality.longest_gap_s = step_s;
  return s;
}

#ifdef SFSG_SOURCE_DIR  // predictor/CMakeLists.txt defines it for the tests that need it
inline std::string SourcePath(const std::string& relative) {
  // (appends, not a chain of + on temporaries: GCC 12 with the precompiled headers
  // reports a false -Warray-bounds inside std::string for that chain.)
  std::string path = SFSG_SOURCE_DIR;
  path += '/';
  path += relative;
  return path;
}
#endif

}  // namespace sfsg::testing
