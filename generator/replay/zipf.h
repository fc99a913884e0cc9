// ZipfSampler: ranks 1..n drawn with probability proportional to 1 / rank^theta, in O(1)
// expected time and O(1) memory for any n up to 2^60, so popularity over a billion-file
// namespace costs nothing to set up. theta = 0 is uniform; any theta > 0 works (1 too).
//
// Method: rejection-inversion (W. Hormann, G. Derflinger, "Rejection-inversion to
// generate variates from monotone discrete distributions", ACM TOMACS 6(3), 1996), as in
// Apache Commons RNG's RejectionInversionZipfSampler. Randomness comes from the caller's
// SplitMixStream, so draws are the same on every machine.
//
// A ZipfSampler is immutable after construction: Sample() is const and thread-safe.
#pragma once

#include <cstdint>

#include "generator/util/hash.h"

namespace sfsg {

class ZipfSampler {
 public:
  // REQUIRES: n >= 1, theta >= 0 and finite.
  ZipfSampler(uint64_t n, double theta);

  // A rank in [1, n]; rank 1 is the most popular.
  uint64_t Sample(SplitMixStream& rng) const;

  uint64_t n() const { return n_; }
  double theta() const { return theta_; }

 private:
  double H(double x) const;
  double HIntegral(double x) const;
  double HIntegralInverse(double x) const;

  uint64_t n_;
  double theta_;
  double h_integral_x1_ = 0;
  double h_integral_n_ = 0;
  double s_ = 0;
};

}  // namespace sfsg
