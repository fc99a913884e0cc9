// The size model: turns a profile's size statistics into a sampler of file sizes, and
// fits the parametric model sfsg-scan records.
//
// The parametric model is spliced: a lognormal body below pareto_xmin_bytes and a
// Pareto tail above it holding tail_fraction of the non-empty files, with the body's
// quantiles rescaled to cover [0, 1 - tail_fraction). Its CDF is
//   F(x) = (1 - t) * LN(x) / LN(xmin)              for x <  xmin
//   F(x) = (1 - t) + t * (1 - (xmin / x)^alpha)    for x >= xmin
// (LN the lognormal CDF; t = 0 means no tail). See Clauset, Shalizi & Newman, "Power-law
// distributions in empirical data", SIAM Review 2009, for the tail fit by KS distance.
//
// SizeSampler is immutable after construction and thread-safe; Bytes() is O(log n),
// allocation-free and a pure function of its argument.
#pragma once

#include <cstdint>

#include "generator/profile.h"
#include "generator/util/log_histogram.h"

namespace sfsg {

// Standard normal quantile (Acklam's rational approximation refined by one Halley
// step; |error| < 1e-12 on (0, 1)).
double NormalQuantile(double p);
double NormalCdf(double x);

// CDF of the spliced parametric model at x bytes (x > 0).
double SizeFitCdf(const SizeFit& fit, double x);
// Quantile of the spliced parametric model, u in [0, 1).
double SizeFitQuantile(const SizeFit& fit, double u);

// Fits the spliced model to non-empty file sizes (bytes; a count of size 0 is
// ignored), choosing the tail threshold that minimises the KS distance, and reports
// that distance. A tail is kept only when it beats the plain lognormal by more than
// 1/sqrt(n) (the KS statistic's noise). An empty histogram returns the default fit with
// ks_distance 0. Cost: O(buckets^2), milliseconds (see size_model_fit.cc).
SizeFit FitSizes(const LogHistogram& nonempty_sizes);

// KS distance between the model and the sizes in the histogram (bucket resolution).
double SizeFitKsDistance(const SizeFit& fit, const LogHistogram& nonempty_sizes);

class SizeSampler {
 public:
  // Uses the profile's log2 quantile table when present, else tabulates the fit
  // (capped at sizes.max_bytes when that is set).
  explicit SizeSampler(const SizeStats& sizes);

  // The size at probability u in [0, 1) of the non-empty size distribution, >= 1.
  uint64_t Bytes(double u) const;
  // The mean of Bytes(u) over u uniform in [0, 1), integrated on the table.
  double MeanBytes() const { return mean_bytes_; }
  const QuantileTable& log2_table() const { return table_; }

 private:
  QuantileTable table_;
  double mean_bytes_ = 0;
};

}  // namespace sfsg
