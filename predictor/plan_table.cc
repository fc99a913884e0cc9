// The human-readable rendering of a CapacityPlan.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <vector>

#include "generator/util/strings.h"
#include "generator/util/units.h"
#include "predictor/capacity_plan.h"
#include "predictor/config.h"
#include "predictor/decompose.h"

namespace sfsg {
namespace {

constexpr double kDay = config::kDaySeconds;

std::string Date(double unix_s) { return FormatUtc(unix_s); }

std::string Step(double seconds) {
  if (seconds >= kDay && std::fmod(seconds, kDay) == 0)
    return StringPrintf("%.0fd", seconds / kDay);
  if (seconds >= 3600 && std::fmod(seconds, 3600) == 0)
    return StringPrintf("%.0fh", seconds / 3600);
  if (seconds >= 60 && std::fmod(seconds, 60) == 0) return StringPrintf("%.0fm", seconds / 60);
  return StringPrintf("%.0fs", seconds);
}

// "not within the search limit (365 d)": the limit said, so a reader knows how far was looked.
std::string NotWithin(const ForecastResult& f) {
  return StringPrintf("not within the search limit (%.0f d)", f.search_s() / kDay);
}

std::string When(const std::optional<double>& t, const ForecastResult& f) {
  if (!t) return NotWithin(f);
  return Date(*t) + StringPrintf(" (%.1f d)", (*t - f.origin_s) / kDay);
}

constexpr const char* kNoBands = "n/a (no error measured)";
// A crossing more than this many scored lead times ahead is said to be extrapolated.
constexpr double kExtrapolatedLeads = 2;

std::string CrossingText(const Crossing& c, const ForecastResult& f) {
  const double origin_s = f.origin_s;
  const bool bands_identified = f.bands_identified;
  if (c.already) return "already reached";
  if (!c.earliest_s && !c.expected_s && !c.latest_s) return NotWithin(f);
  if (!bands_identified)
    return "expected " + When(c.expected_s, f) + "\n" + std::string(27, ' ') + "bands " + kNoBands;
  // "7.3 .. 9.2 d"; a band end not reached within the search limit says so ("0.0 d .. not
  // reached": the "latest" line below says how far was looked).
  auto range = [&](const std::optional<double>& from, const std::optional<double>& to) {
    auto days = [&](const std::optional<double>& t) {
      return t ? StringPrintf("%.1f", (*t - origin_s) / kDay) : std::string("not reached");
    };
    if (from && to) return days(from) + " .. " + days(to) + " d";
    return days(from) + (from ? " d" : "") + " .. " + days(to) + (to ? " d" : "");
  };
  std::string out = "expected " + When(c.expected_s, f) + "\n" + std::string(27, ' ') +
                    "80% band " + range(c.earliest80_s, c.latest80_s) + ", 95% band " +
                    range(c.earliest_s, c.latest_s) + "\n" + std::string(27, ' ') + "earliest " +
                    When(c.earliest_s, f) + "\n" + std::string(27, ' ') + "latest   " +
                    When(c.latest_s, f);
  // Far beyond the lead the backtest scored, the band is the errors' power law carried
  // out, not errors seen: a +-3% band 670 days out from 90 days of history.
  const double lead = f.backtest.lead_s;
  if (c.expected_s && lead > 0 && *c.expected_s - origin_s > kExtrapolatedLeads * lead)
    out += "\n" + std::string(27, ' ') +
           StringPrintf(
               "bands beyond %.1f d (the lead scored) are extrapolated: no error "
               "that far ahead was seen",
               lead / kDay);
  return out;
}

// "1 level step", "2 level steps".
std::string Counted(size_t n, const char* one, const char* many) {
  return StringPrintf("%zu %s", n, n == 1 ? one : many);
}

std::string EventsText(const ForecastResult& f) {
  size_t modelled = 0, retention = 0, declared = 0;
  for (const ShiftEvent& e : f.level_shifts) {
    if (e.kind == ShiftKind::kRetention)
      ++retention;
    else
      ++modelled;
    declared += e.declared;
  }
  std::string out;
  if (modelled > 0) out += ", " + Counted(modelled, "level step", "level steps") + " modelled";
  if (retention > 0)
    out += ", " + Counted(retention, "retention drop", "retention drops") + " kept";
  if (declared > 0) out += StringPrintf(" (%zu declared)", declared);
  return out;
}

// A step's size, signed, in the series' unit: "+200.0 GiB", "-1.2M files".
std::string SignedSize(const ForecastResult& f, double size) {
  const std::string magnitude = f.unit == "bytes" ? FormatBytes(std::fabs(size))
                                                  : FormatCount(std::fabs(size)) + " " + f.unit;
  return (size < 0 ? "-" : "+") + magnitude;
}

// One row per step in level: its kind, date, size and who said so. Retention drops stay
// in the series (they belong to the process); the others are modelled as lasting steps.
std::string LevelStepRows(const ForecastResult& f) {
  std::string out;
  for (const ShiftEvent& e : f.level_shifts)
    out += StringPrintf("  %-24s %s %s, %s, %s%s\n", "level step", ShiftKindName(e.kind),
                        Date(e.time_s).c_str(), SignedSize(f, e.size).c_str(),
                        e.declared ? "declared (--event)" : "detected",
                        e.kind == ShiftKind::kRetention ? "; kept in the series" : "; modelled");
  return out;
}

// A model's backtest MASE (0 when it was not scored).
double ScoreOf(const BacktestSummary& b, ModelKind model) {
  for (const ModelScore& s : b.scores)
    if (s.model == model) return s.mase;
  return 0;
}

std::string ChoiceNote(const ForecastResult& f) {
  const BacktestSummary& b = f.backtest;
  if (b.folds < 3) return "lowest backtest MASE; too few folds to score the choice";
  if (b.curve_chosen) {
    const double curve = ScoreOf(b, ModelKind::kCompound), over = ScoreOf(b, b.curve_over);
    return StringPrintf(
               "growth accelerates beyond the noise (curvature %.1f standard errors, a curve "
               "rather "
               "than two lines) and compound scored %.3f against %s's %.3f at %.1f d ahead, within "
               "%.0f%%: short of the horizon, where a line would be late",
               b.curvature_stderrs, curve, std::string(ModelName(b.curve_over)).c_str(), over,
               b.lead_s / kDay, 100 * (config::kNearTieMase - 1)) +
           (b.fallback != BacktestSummary::Fallback::kNone
                ? StringPrintf(" (by MASE alone the choice, %s, scored %.3f out of sample and "
                               "fell back to %s)",
                               std::string(ModelName(b.lowest_mase_model)).c_str(),
                               b.selection_mase, std::string(ModelName(b.curve_over)).c_str())
                : std::string());
  }
  if (b.curve_declined) {
    const double curve = ScoreOf(b, ModelKind::kCompound), used = ScoreOf(b, f.model);
    return StringPrintf(
        "compound had the lowest MASE at %.1f d ahead (%.3f), but the growth does not curve "
        "beyond the noise (curvature %.1f standard errors, at most %.1f): beyond the lead a "
        "curve the history does not show puts the date early; the next best, MASE %.3f",
        b.lead_s / kDay, curve, b.curvature_stderrs, config::kCurvatureStderrs, used);
  }
  using Fallback = BacktestSummary::Fallback;
  if (b.fallback != Fallback::kNone) {
    const double used = ScoreOf(b, f.model);  // the baseline used: its own backtest score
    const bool choice = b.fallback == Fallback::kLosesToBaselineChoice;
    return StringPrintf(
        "%s had the lowest MASE at %.1f d ahead, but the choice scores %.3f out of sample, "
        "worse than %s (%.3f): the best baseline is used, backtest MASE %.3f",
        std::string(ModelName(b.lowest_mase_model)).c_str(), b.lead_s / kDay, b.selection_mase,
        choice ? "the baseline chosen the same way" : "the baseline's own backtest score",
        choice ? b.baseline_selection_mase : used, used);
  }
  std::string out =
      StringPrintf("lowest MASE at %.1f d ahead; the choice scored out of sample: %.3f",
                   b.lead_s / kDay, b.selection_mase);
  out += StringPrintf(", best baseline %s %.3f", std::string(ModelName(b.best_baseline)).c_str(),
                      b.best_baseline_mase);
  out += StringPrintf(" (chosen out of sample: %.3f)", b.baseline_selection_mase);
  return out;
}

std::string Row(const char* label, const std::string& value) {
  return StringPrintf("  %-24s %s\n", label, value.c_str());
}

std::string Rate(double ops) { return StringPrintf("%.0f ops/s", ops); }

// "theta", or "theta 3/4 + drift 1/4" when the forecast is shrunk toward a baseline.
std::string ModelText(const ForecastResult& f) {
  const std::string name(ModelName(f.model));
  const double w = f.backtest.shrink_weight;
  if (!(w > 0)) return name;
  auto quarters = [](double v) {
    const int q = static_cast<int>(std::lround(4 * v));
    return q == 2 ? std::string("1/2") : StringPrintf("%d/4", q);
  };
  return name + " " + quarters(1 - w) + " + " + std::string(ModelName(f.backtest.shrink_toward)) +
         " " + quarters(w);
}

// "chosen: MODEL (why)": the model used, how the choice scored out of sample and, after a
// fallback, which check the model ranked first failed. Under the backtest table of the plan
// and of `sfsg-predict backtest` alike.
std::string ChosenLine(const ForecastResult& f) {
  return StringPrintf("chosen: %s (%s)\n", ModelText(f).c_str(), ChoiceNote(f).c_str());
}

std::string ForecastHeading(const char* title, const ForecastResult& f) {
  return StringPrintf("%s (%s; model %s, seasonality %s, %zu points at %s%s)\n", title,
                      f.column.c_str(), ModelText(f).c_str(), f.seasonality.name.c_str(),
                      f.grid.values.size(), Step(f.grid.step_s).c_str(), EventsText(f).c_str());
}

std::string BacktestTable(const ForecastResult& f) {
  std::string out = StringPrintf(
      "  backtest: %zu folds, %zu steps (%.1f d) ahead; the scores and coverage are for "
      "those lead times%s\n",
      f.backtest.folds, f.backtest.horizon_steps, f.backtest.lead_s / kDay,
      f.backtest.lead_s + 1 < f.horizon_s
          ? StringPrintf(", not the %.0f d horizon", f.horizon_s / kDay).c_str()
          : "");
  // Names up to 16 characters with the star ("seasonal_naive *") and MASE up to 9999.999:
  // one column for all.
  out += "    model                MASE    sMAPE  cover80  cover95\n";
  for (const ModelScore& s : f.backtest.scores) {
    const std::string name = std::string(ModelName(s.model)) + (s.model == f.model ? " *" : "");
    if (!s.applies) {
      out += StringPrintf("    %-16s  n/a\n", name.c_str());
      continue;
    }
    out += StringPrintf("    %-16s %8.3f %7.1f%% %7.1f%% %7.1f%%\n", name.c_str(), s.mase, s.smape,
                        100 * s.coverage80, 100 * s.coverage95);
  }
  return out;
}

// The backtest table with the "chosen:" line under it: the storage and demand sections alike.
std::string PlanBacktest(const ForecastResult& f) {
  return BacktestTable(f) + "  " + ChosenLine(f);
}

std::string StorageSection(const StoragePlan& s, double buffer) {
  const ForecastResult& f = s.forecast;
  const Band& h = s.at_horizon;
  std::string out = ForecastHeading("Storage", f) + LevelStepRows(f);
  // One precision for every size the decision compares (the bands and the recommendation
  // too: "1.6 PiB .. 1.6 PiB" beside a threshold of 1.600 PiB says nothing).
  const std::vector<std::string> b = DistinctBytes(
      {s.current_bytes, s.threshold_bytes, h.expected, s.capacity_bytes, h.lower80, h.upper80,
       h.lower95, h.upper95, s.recommended_capacity_bytes, std::fabs(s.additional_bytes)});
  // Dates first: they are the decision; sizes after.
  out += Row("threshold reached", CrossingText(s.threshold, f));
  out += Row("used now", b[0] + " of " + b[3] + " capacity (" + s.capacity_source + ")");
  out += Row(StringPrintf("threshold (%.0f%% full)", 100 * (1 - buffer)).c_str(), b[1]);
  // (StringPrintf, not a chain of + on temporaries: GCC 12 with the precompiled headers
  // reports a false -Warray-bounds inside std::string for that chain.)
  const std::string bands = f.bands_identified
                                ? StringPrintf("  (80%%: %s .. %s, 95%%: %s .. %s)", b[4].c_str(),
                                               b[5].c_str(), b[6].c_str(), b[7].c_str())
                                : StringPrintf("  (bands %s)", kNoBands);
  out += Row("at horizon", b[2] + bands);
  out += Row("recommended capacity", b[8] + "  (" + CapacityChangeText(s, b[9]) + ")");
  if (s.files) {
    out +=
        Row("files", FormatCount(s.files->last_value) + " now, " +
                         FormatCount(s.files->At(s.files->origin_s + s.files->horizon_s).expected) +
                         " at horizon");
    if (s.capacity_files)
      out += Row("inode threshold", CrossingText(s.files_threshold, *s.files) +
                                        StringPrintf("\n%27s(%s of %s inodes in use, threshold %s)",
                                                     "", FormatCount(s.files->last_value).c_str(),
                                                     FormatCount(*s.capacity_files).c_str(),
                                                     FormatCount(s.files_threshold_count).c_str()));
    if (s.capacity_files)
      out += Row("recommended inodes",
                 FormatCount(s.recommended_capacity_files) + "  (" +
                     (s.additional_files >= 0
                          ? "add " + FormatCount(s.additional_files) + ": a filesystem with more"
                          : FormatCount(-s.additional_files) + " more than needed to the horizon") +
                     (s.additional_files >= 0 ? " inodes)" : ")"));
  }
  return out + PlanBacktest(f);
}

std::string PerformanceSection(const PerformancePlan& p, double buffer) {
  std::string out = "Performance\n";
  out += Row("basis", DeviceBasisStatement(p.device));
  if (p.demand)
    out += Row("units", p.unit.comparable
                            ? "demand in " + p.unit.demand + " (" + p.unit.mapping_statement + ")"
                            : "demand in " + p.unit.demand + ", the curve in " + p.unit.curve +
                                  ": not comparable");
  if (p.usl) {
    const UslFit& u = *p.usl;
    // No residual degrees of freedom: the errors and R^2 are not identified.
    // A parameter held at its bound (0) was not estimated: it has no error.
    auto pm = [](const std::optional<double>& se, bool at_bound) {
      if (at_bound) return std::string(" (held at 0)");
      return se ? StringPrintf(" +- %.2g", *se) : std::string(" (se n/a)");
    };
    out += Row("USL",
               StringPrintf("sigma %.4g", u.sigma) + pm(u.sigma_stderr, u.sigma_at_bound) +
                   StringPrintf(", kappa %.3g", u.kappa) + pm(u.kappa_stderr, u.kappa_at_bound) +
                   StringPrintf(", lambda %.4g", u.lambda) + pm(u.lambda_stderr, false) + " ops/s");
    std::string peak = u.x_max ? Rate(*u.x_max) : std::string("unbounded");
    if (u.n_star) peak += StringPrintf(" at N* = %.1f", *u.n_star);
    const std::string r2 =
        u.r_squared ? StringPrintf("R^2 %.3f", *u.r_squared)
                    : StringPrintf("R^2 n/a: %d residual degrees of freedom", u.residual_dof);
    out += Row("USL peak", peak + "  (" + r2 + StringPrintf(", %zu points)", u.points));
  }
  for (const ObjectivePlan& o : p.objectives) {
    const std::string label =
        o.objective.quantile + " <= " + StringPrintf("%.3g ms", o.objective.latency_us / 1000);
    // Capped: by what (the largest load measured, or the USL peak when it is lower).
    const std::string capped_by = o.capped_by.empty() ? kLargestMeasured : o.capped_by;
    out += Row(label.c_str(),
               "up to " + Rate(o.objective_ops_per_s) +
                   (o.beyond_measured_range
                        ? " (capped at " + capped_by + "; the fit says " +
                              FittedRateText(o, p.max_measured_ops_per_s) + "; measured "
                        : std::string(" (fitted; measured ")) +
                   Rate(o.measured_ops_per_s) + ")");
  }
  out += Row("sustainable",
             (p.sustainable_lower_bound ? "at least " : "") + Rate(p.sustainable_ops_per_s) + " (" +
                 p.sustainable_basis +
                 (p.sustainable_lower_bound ? std::string("; ") + kLowerBoundReason : "") + ")");
  if (p.demand) {
    const Band& peak = p.peak_at_horizon;
    // Demand in its own unit: file operations when the model maps it, else device requests.
    const auto Rate = [&p](double v) {
      return StringPrintf(p.unit.comparable ? "%.0f ops/s" : "%.0f device requests/s", v);
    };
    constexpr const char* kOtherUnits = "n/a (demand and the curve are in different units)";
    out += Row("demand now", Rate(p.demand->last_value) +
                                 StringPrintf(" (model %s)", ModelText(*p.demand).c_str()));
    if (p.headroom_now) out += Row("headroom now", StringPrintf("%.0f%%", 100 * *p.headroom_now));
    if (!p.unit.comparable) out += Row("headroom now", kOtherUnits);
    out += Row("demand peak to horizon",
               Rate(peak.expected) + (p.demand->bands_identified
                                          ? "  (95%: up to " + Rate(peak.upper95) + ")"
                                          : std::string("  (bands ") + kNoBands + ")"));
    out += Row(StringPrintf("demand reaches %.0f%%", 100 * (1 - buffer)).c_str(),
               p.unit.comparable ? CrossingText(p.threshold, *p.demand) : std::string(kOtherUnits));
    out += Row("recommended throughput",
               Rate(*p.recommended_ops_per_s) +
                   (p.headroom ? StringPrintf("  (headroom at the horizon's peak %.0f%%)",
                                              100 * *p.headroom)
                               : ""));
    out += PlanBacktest(*p.demand);
  } else {
    out += Row("demand", "no read_ops/write_ops series given");
  }
  return out;
}

// One row per candidate: the objective's quantile it gives at the horizon's peak.
std::string CandidatesSection(const DeviceCandidates& c) {
  std::string out = "Device candidates at the horizon's peak\n";
  if (!c.evaluated) return out + Row("none", c.reason);
  const CandidatePlan& plan = *c.evaluated;
  out += Row("basis", CandidatesBasisStatement(c));
  const DeviceLoad& l = plan.load;
  out += Row("load", StringPrintf("%.0f device requests/s, %.0f%% reads, ", l.requests_per_s,
                                  100 * l.read_fraction) +
                         FormatBytes(static_cast<double>(l.read_bytes)) + " reads, " +
                         FormatBytes(static_cast<double>(l.write_bytes)) + " writes");
  for (size_t i = 0; i < plan.results.size(); ++i) {
    const CandidateResult& r = plan.results[i];
    const std::string verdict = r.saturated ? "saturated" : r.meets ? "meets" : "misses";
    // Names run longer than the other sections' labels ("parallelism x2 + bandwidth x2").
    out += StringPrintf("  %-30s ", r.candidate.name.c_str()) +
           (StringPrintf(
                "%s %s%.3g ms, mean %.3g ms, served %.0f/s: ", plan.objective.quantile.c_str(),
                r.saturated ? ">= " : "", r.latency_us / 1e3, r.mean_us / 1e3, r.served_per_s) +
            verdict + (plan.recommended == i ? " (recommended)" : "") + "\n");
  }
  return out + Row("verdict", plan.statement);
}

}  // namespace

std::vector<std::string> DistinctBytes(const std::vector<double>& values) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double largest = 0;
  for (double v : values) largest = std::max(largest, std::fabs(v));
  int unit = 0;
  double scale = 1;
  while (largest / scale >= 1024 && unit < 6) scale *= 1024, ++unit;
  std::vector<std::string> out;
  for (int decimals = unit == 0 ? 0 : 1; decimals <= 4; ++decimals) {
    out.clear();
    bool distinct = true;
    for (size_t i = 0; i < values.size(); ++i) {
      out.push_back(StringPrintf("%.*f %s", decimals, values[i] / scale, kUnits[unit]));
      for (size_t j = 0; j < i; ++j)
        if (out[j] == out[i] && values[j] != values[i]) distinct = false;
    }
    if (distinct) break;
  }
  return out;
}

std::string PlanToTable(const CapacityPlan& plan) {
  std::string out = StringPrintf("sfsg capacity plan: horizon %.1f days, buffer %.0f%%, %s %s\n",
                                 plan.horizon_s / kDay, 100 * plan.buffer, OriginLabel(plan),
                                 Date(plan.origin_unix).c_str());
  if (plan.low_confidence) out += "LOW CONFIDENCE: the data is thin; see the warnings\n";
  if (plan.storage) out += "\n" + StorageSection(*plan.storage, plan.buffer);
  if (plan.performance) out += "\n" + PerformanceSection(*plan.performance, plan.buffer);
  if (plan.device_candidates.evaluated || plan.device_candidates.basis)
    out += "\n" + CandidatesSection(plan.device_candidates);
  if (!plan.warnings.empty()) {
    out += "\nWarnings\n";
    for (const std::string& w : plan.warnings) out += "  - " + w + "\n";
  }
  return out;
}

}  // namespace sfsg

namespace sfsg {

std::string BacktestReport(const ForecastResult& f, std::string_view source) {
  std::string out = StringPrintf("backtest of '%s' in %.*s\n", f.column.c_str(),
                                 static_cast<int>(source.size()), source.data());
  out += StringPrintf("  %zu points at a %s step (%zu filled), seasonality %s, %zu level shifts\n",
                      f.grid.values.size(), Step(f.grid.step_s).c_str(), f.grid.filled,
                      f.seasonality.name.c_str(), f.level_shifts.size());
  out += BacktestTable(f);
  const ModelScore *chosen = nullptr, *linear = nullptr, *naive = nullptr;
  for (const ModelScore& s : f.backtest.scores) {
    if (s.model == f.model) chosen = &s;
    if (s.model == ModelKind::kPredictLinear && s.applies) linear = &s;
    if (s.model == ModelKind::kSeasonalNaive && s.applies) naive = &s;
  }
  out += ChosenLine(f);
  auto compare = [&](const ModelScore* other, const char* name) {
    if (!chosen || !other || !(other->mase > 0)) return;
    const double change = 100 * (1 - chosen->mase / other->mase);
    const std::string verdict =
        std::fabs(change) < 0.5
            ? std::string("the same")
            : StringPrintf("%.0f%% %s", std::fabs(change), change > 0 ? "lower" : "higher");
    out += StringPrintf("  vs %s: MASE %.3f against %.3f (%s)\n", name, chosen->mase, other->mase,
                        verdict.c_str());
  };
  compare(linear, "predict_linear's method");
  compare(naive, "seasonal naive");
  for (const std::string& w : f.warnings) out += "warning: " + w + "\n";
  return out;
}

}  // namespace sfsg
