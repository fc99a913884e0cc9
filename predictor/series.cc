// Extracting one series from a usage table, and putting it on a regular grid.
#include "predictor/series.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace sfsg {
namespace {

constexpr const char* kCounterColumns[] = {"read_ops", "write_ops", "read_bytes", "write_bytes"};

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void FillStepStatistics(const std::vector<double>& time_s, SeriesQuality& q) {
  std::vector<double> steps;
  for (size_t i = 1; i < time_s.size(); ++i) steps.push_back(time_s[i] - time_s[i - 1]);
  q.median_step_s = Median(steps);
  q.longest_gap_s = steps.empty() ? 0 : *std::max_element(steps.begin(), steps.end());
  q.gaps = 0;
  std::vector<double> deviation;
  for (double s : steps) {
    if (s > 2 * q.median_step_s) ++q.gaps;
    deviation.push_back(std::fabs(s - q.median_step_s));
  }
  q.step_jitter = q.median_step_s > 0 ? Median(deviation) / q.median_step_s : 0;
  q.irregular = q.step_jitter > 0.1;
}

// Finite samples of one column with duplicate timestamps collapsed (the last one wins,
// as a later measurement supersedes an earlier one) and counters turned into rates.
Result<Series> ExtractColumn(const UsageTable& table, const std::string& column) {
  auto it = table.columns.find(column);
  if (it == table.columns.end()) {
    std::string names;
    for (const auto& [name, values] : table.columns) names += (names.empty() ? "" : ", ") + name;
    return Error::BadInput(table.source + ": no column '" + column + "' (has: " + names + ")");
  }
  Series series;
  series.name = column;
  series.source = table.source;
  series.kind = KindOfColumn(column);
  series.unit = UnitOfColumn(column);
  SeriesQuality& q = series.quality;
  const std::vector<double>& raw = it->second;
  std::vector<double> times, values;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (std::isnan(raw[i])) {
      ++q.empty_cells;
      continue;
    }
    ++q.samples;
    if (!times.empty() && times.back() == table.time_s[i]) {
      ++q.duplicates;
      values.back() = raw[i];
      continue;
    }
    times.push_back(table.time_s[i]);
    values.push_back(raw[i]);
  }
  if (series.kind == SeriesKind::kGauge) {
    series.time_s = std::move(times);
    series.values = std::move(values);
  } else {
    // Rate over each interval, stamped at its end. A decrease is a counter restart
    // (reboot, device reset): the new value counts from zero, as Prometheus' rate() does,
    // unless it is more than the interval could hold (SeriesQuality::implausible_resets).
    double fastest = 0;
    size_t steady = 0;
    for (size_t i = 1; i < times.size(); ++i)
      if (values[i] >= values[i - 1]) {
        fastest = std::max(fastest, (values[i] - values[i - 1]) / (times[i] - times[i - 1]));
        ++steady;
      }
    for (size_t i = 1; i < times.size(); ++i) {
      double delta = values[i] - values[i - 1];
      const double dt = times[i] - times[i - 1];
      if (delta < 0) {
        ++q.counter_resets;
        delta = values[i];
        if (steady >= 3 && delta / dt > 10 * fastest) {
          ++q.implausible_resets;
          continue;
        }
      }
      series.time_s.push_back(times[i]);
      series.values.push_back(delta / dt);
    }
  }
  if (series.time_s.size() < kMinSeriesPoints)
    return Error::BadInput(
        table.source + ": column '" + column + "' has " + std::to_string(series.time_s.size()) +
        (series.time_s.size() == 1 ? " usable point" : " usable points") + "; at least " +
        std::to_string(kMinForecastPoints) + " are needed for a forecast");
  FillStepStatistics(series.time_s, q);
  return series;
}

}  // namespace

SeriesKind KindOfColumn(std::string_view column) {
  for (const char* name : kCounterColumns)
    if (column == name) return SeriesKind::kCounter;
  return SeriesKind::kGauge;
}

bool IsNonNegativeColumn(std::string_view column) {
  static constexpr const char* kLevels[] = {"used_bytes",     "capacity_bytes", "files",
                                            "capacity_files", "read_time_ms",   "write_time_ms",
                                            "io_time_ms",     "io_weighted_ms"};
  for (const char* name : kLevels)
    if (column == name) return true;
  return KindOfColumn(column) == SeriesKind::kCounter;
}

std::string LikelyMeantColumn(std::string_view column) {
  static constexpr const char* kKnown[] = {
      "used_bytes", "capacity_bytes", "files",       "capacity_files", "read_ops",
      "write_ops",  "read_bytes",     "write_bytes", "read_time_ms",   "write_time_ms",
      "io_time_ms", "io_weighted_ms", "timestamp"};
  static constexpr std::pair<const char*, const char*> kOtherNames[] = {
      {"inodes", "files"},
      {"inodes_used", "files"},
      {"used_inodes", "files"},
      {"files_used", "files"},
      {"inodes_total", "capacity_files"},
      {"total_inodes", "capacity_files"},
      {"files_total", "capacity_files"},
      {"size_bytes", "capacity_bytes"},
      {"total_bytes", "capacity_bytes"},
      {"used", "used_bytes"},
      {"capacity", "capacity_bytes"},
      {"size", "capacity_bytes"}};
  const auto words = [](std::string_view name) {
    std::vector<std::string> out;
    for (size_t start = 0; start <= name.size();) {
      const size_t end = std::min(name.find('_', start), name.size());
      out.emplace_back(name.substr(start, end - start));
      start = end + 1;
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  for (const char* known : kKnown)
    if (column == known) return "";
  for (const auto& [other, known] : kOtherNames)
    if (column == other) return known;
  const std::vector<std::string> mine = words(column);
  for (const char* known : kKnown)
    if (words(known) == mine) return known;
  return "";
}

std::string UnitOfColumn(std::string_view column) {
  if (column == "used_bytes" || column == "capacity_bytes") return "bytes";
  if (column == "files") return "files";
  if (column == "read_ops" || column == "write_ops" || column == "ops") return "ops/s";
  if (column == "read_bytes" || column == "write_bytes") return "bytes/s";
  if (EndsWith(column, "_bytes_per_s")) return "bytes/s";
  if (EndsWith(column, "_per_s")) return "1/s";
  return "";
}

Result<Series> ExtractSeries(const UsageTable& table, std::string_view column) {
  if (column != "ops") return ExtractColumn(table, std::string(column));
  // Demand: read plus write operation rates, where both were measured.
  const bool has_reads = table.columns.count("read_ops") > 0;
  const bool has_writes = table.columns.count("write_ops") > 0;
  if (!has_reads && !has_writes)
    return Error::BadInput(table.source + ": 'ops' needs a read_ops or write_ops column");
  if (!has_reads || !has_writes) {
    auto one = ExtractColumn(table, has_reads ? "read_ops" : "write_ops");
    if (one) one->name = "ops";
    return one;
  }
  auto reads = ExtractColumn(table, "read_ops");
  if (!reads) return reads.error();
  auto writes = ExtractColumn(table, "write_ops");
  if (!writes) return writes.error();
  Series sum = *reads;
  sum.name = "ops";
  sum.time_s.clear();
  sum.values.clear();
  size_t j = 0;
  for (size_t i = 0; i < reads->time_s.size(); ++i) {
    while (j < writes->time_s.size() && writes->time_s[j] < reads->time_s[i]) ++j;
    if (j < writes->time_s.size() && writes->time_s[j] == reads->time_s[i]) {
      sum.time_s.push_back(reads->time_s[i]);
      sum.values.push_back(reads->values[i] + writes->values[j]);
    }
  }
  if (sum.time_s.size() < 2)
    return Error::BadInput(table.source + ": read_ops and write_ops share fewer than 2 samples");
  sum.quality.empty_cells += writes->quality.empty_cells;
  sum.quality.counter_resets += writes->quality.counter_resets;
  sum.quality.implausible_resets += writes->quality.implausible_resets;
  FillStepStatistics(sum.time_s, sum.quality);
  return sum;
}

RegularGrid ToRegularGrid(const Series& series, size_t max_points, double min_step_s) {
  static const double kRoundSteps[] = {1,     2,     5,     10,    15,     30,    60,
                                       120,   300,   600,   900,   1800,   3600,  7200,
                                       10800, 21600, 43200, 86400, 172800, 604800};
  const size_t limit = max_points > 0 ? max_points : 50'000'000;
  const double start = series.time_s.front();
  const double span = series.time_s.back() - start;
  double step = series.quality.median_step_s;
  if (!(step > 0)) step = span / static_cast<double>(series.time_s.size() - 1);
  if (!(step > 0)) step = 1;
  const bool aggregate = span / step + 1 > static_cast<double>(limit) || step < min_step_s;
  if (aggregate) {
    const double wanted = std::max(span / static_cast<double>(limit - 1), min_step_s);
    step = 0;
    for (double s : kRoundSteps)
      if (s >= wanted) {
        step = s;
        break;
      }
    if (step == 0) step = std::ceil(wanted / 604800) * 604800;
  }
  RegularGrid grid;
  grid.step_s = step;
  size_t size = static_cast<size_t>(std::llround(span / step)) + 1;
  // Aggregated, the grid ends at the last sample and its last point is that sample: the
  // mean of the last bucket sat up to half a bucket earlier and below a growing series's
  // last value (a 5-minute burst lost from a 15-minute bucket's mean).
  grid.start_s = aggregate ? series.time_s.back() - step * static_cast<double>(size - 1) : start;
  std::vector<double> sum(size, 0);
  std::vector<uint32_t> count(size, 0);
  for (size_t i = 0; i < series.time_s.size(); ++i) {
    const double at = std::round((series.time_s[i] - grid.start_s) / step);
    const size_t k = std::min(static_cast<size_t>(std::max(at, 0.0)), size - 1);
    sum[k] += series.values[i];
    ++count[k];
  }
  if (aggregate) sum[size - 1] = series.values.back(), count[size - 1] = 1;
  // Counted back from the last sample, the grid can start half a step before the first
  // one, which rounds into the next bucket: an empty first bucket read as 0 was a step the
  // size of the whole volume at the start ("an import of +5.0 TiB" at 2x aggregation).
  size_t lead = 0;
  while (lead + 1 < size && count[lead] == 0) ++lead;
  if (lead > 0) {
    sum.erase(sum.begin(), sum.begin() + static_cast<std::ptrdiff_t>(lead));
    count.erase(count.begin(), count.begin() + static_cast<std::ptrdiff_t>(lead));
    size -= lead;
    grid.start_s += step * static_cast<double>(lead);
  }
  grid.values.assign(size, 0);
  size_t occupied = 0;
  size_t previous = size;  // last occupied index
  for (size_t k = 0; k < size; ++k) {
    if (count[k] == 0) continue;
    grid.values[k] = sum[k] / count[k];
    ++occupied;
    // Linear interpolation across an empty run, counted in `filled`.
    if (previous != size && k > previous + 1) {
      for (size_t m = previous + 1; m < k; ++m) {
        const double w = static_cast<double>(m - previous) / static_cast<double>(k - previous);
        grid.values[m] = grid.values[previous] * (1 - w) + grid.values[k] * w;
        ++grid.filled;
      }
    }
    previous = k;
  }
  grid.aggregated = std::max<size_t>(1, (series.time_s.size() + occupied / 2) / occupied);
  return grid;
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) m = (m + *std::max_element(v.begin(), v.begin() + mid)) / 2;
  return m;
}

}  // namespace sfsg
