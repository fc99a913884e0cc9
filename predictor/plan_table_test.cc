// The capacity plan's text (PlanToTable, BacktestReport) and the warnings it prints: what a
// reader is told about the model choice, the level steps, caps and units.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "generator/util/strings.h"
#include "generator/util/units.h"
#include "predictor/capacity_plan.h"
#include "predictor/plan_test_support.h"
#include "predictor/report.h"

namespace sfsg {
namespace {

constexpr double kDay = 86400;

UsageTable MakeUsage() { return testing::HourlyUsage(/*with_files=*/false); }

PerfCurve MakeCurve() { return testing::UslCurve({1, 2, 4, 8, 12, 16, 24, 32, 48}); }

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// MakeUsage() against a 2 TB capacity (--capacity), 90 days ahead: a threshold reached
// within the horizon.
Result<CapacityPlan> TwoTerabytePlan() {
  PlanInputs in;
  in.usage = MakeUsage();
  in.usage->columns.erase("capacity_bytes");
  in.capacity_bytes = 2e12;
  in.horizon_s = 90 * kDay;
  return MakeCapacityPlan(in);
}

// The plan prints the choice's out-of-sample score under the table (the table's score of
// the chosen model is in sample: the choice was made on those folds).
TEST(PlanTableTest, StorageTablePrintsTheChoicesOutOfSampleScore) {
  PlanInputs in;
  in.usage = MakeUsage();
  in.horizon_s = 30 * kDay;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const BacktestSummary& b = plan->storage->forecast.backtest;
  ASSERT_GE(b.folds, 3u);
  const std::string table = PlanToTable(*plan);
  EXPECT_TRUE(Contains(table, "\n  chosen: ")) << table;
  EXPECT_TRUE(Contains(table, StringPrintf("out of sample: %.3f", b.selection_mase))) << table;
}

// A fallback is explained where the table stars a model that is not the lowest: the
// storage and the demand tables each end with the "chosen:" line.
TEST(PlanTableTest, BothTablesSayWhyTheStarredModelWasChosen) {
  PlanInputs in;
  in.usage = MakeUsage();
  in.curve = MakeCurve();
  in.horizon_s = 30 * kDay;
  in.device_requests_per_op = 1.0;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_TRUE(plan->performance && plan->performance->demand);
  EXPECT_EQ(Count(PlanToTable(*plan), "\n  chosen: "), 2u) << PlanToTable(*plan);
  // The ranked-first model replaced by the baseline: the plan names it and the check it failed.
  ForecastResult& f = plan->storage->forecast;
  f.model = ModelKind::kDrift;
  f.backtest.shrink_weight = 0;
  f.backtest.lowest_mase_model = ModelKind::kCombination;
  f.backtest.fallback = BacktestSummary::Fallback::kLosesToBaselineChoice;
  f.backtest.selection_mase = 0.122;
  f.backtest.baseline_selection_mase = 0.113;
  const std::string table = PlanToTable(*plan);
  EXPECT_TRUE(Contains(table, "  chosen: drift (combination had the lowest MASE")) << table;
  EXPECT_TRUE(Contains(table,
                       "scores 0.122 out of sample, worse than the baseline chosen the "
                       "same way (0.113)"))
      << table;
  // The curve chosen for accelerating growth over the line the checks chose: both said.
  f.model = ModelKind::kCompound;
  f.backtest.curve_chosen = true;
  f.backtest.curve_over = ModelKind::kDrift;
  f.backtest.curvature_stderrs = 6.54;
  for (ModelScore& s : f.backtest.scores)
    if (s.model == ModelKind::kCompound || s.model == ModelKind::kDrift)
      s.mase = s.model == ModelKind::kCompound ? 0.808 : 0.858;
  const std::string curve = PlanToTable(*plan);
  EXPECT_TRUE(Contains(curve,
                       "  chosen: compound (growth accelerates beyond the noise (curvature 6.5 "
                       "standard errors, a curve rather than two lines) and compound scored "
                       "0.808 against drift's 0.858"))
      << curve;
  EXPECT_TRUE(Contains(curve,
                       "(by MASE alone the choice, combination, scored 0.122 out of "
                       "sample and fell back to drift)"))
      << curve;
  // Compound ranked first on growth that does not curve: the next best, and why.
  f.model = ModelKind::kDrift;
  f.backtest.curve_chosen = false;
  f.backtest.fallback = BacktestSummary::Fallback::kNone;
  f.backtest.curve_declined = true;
  f.backtest.curvature_stderrs = 0.34;
  const std::string declined = PlanToTable(*plan);
  EXPECT_TRUE(Contains(declined,
                       "  chosen: drift (compound had the lowest MASE at 20.0 d ahead (0.808), "
                       "but the growth does not curve beyond the noise (curvature 0.3 standard "
                       "errors, at most 2.5): beyond the lead a curve the history does not "
                       "show puts the date early; the next best, MASE 0.858)"))
      << declined;
}

// The line of the recommendation has one unit: "2.67 PiB  (add 0.89 PiB)", not
// "2.67 PiB  (add 914.6 TiB)".
TEST(PlanTableTest, TheRecommendationAndTheChangeShareOneUnit) {
  PlanInputs in;
  in.usage = MakeUsage();
  in.horizon_s = 30 * kDay;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  StoragePlan& s = *plan->storage;
  const double tib = std::pow(1024.0, 4);
  s.capacity_bytes = 1.8 * 1024 * tib;
  s.additional_bytes = 914.6 * tib;
  s.recommended_capacity_bytes = s.capacity_bytes + s.additional_bytes;
  const std::string table = PlanToTable(*plan);
  const size_t row = table.find("  recommended capacity");
  ASSERT_NE(row, std::string::npos) << table;
  const std::string line = table.substr(row, table.find('\n', row) - row);
  EXPECT_TRUE(Contains(line, " PiB  (add 0.")) << line;
  EXPECT_FALSE(Contains(line, "TiB")) << line;
}

// The capacity's reading, as the table prints it beside the capacity: a bare number is
// bytes, neither binary nor decimal.
TEST(PlanTableTest, ACapacityInPlainBytesIsNotCalledBinary) {
  std::string how;
  auto bytes = ParseCapacity("194479761001875", "--capacity", &how);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  EXPECT_DOUBLE_EQ(*bytes, 194479761001875.0);
  EXPECT_TRUE(Contains(how, "(no unit: bytes)")) << how;
  EXPECT_FALSE(Contains(how, "binary")) << how;
  ASSERT_TRUE(ParseCapacity("2P", "--capacity", &how).ok());
  EXPECT_TRUE(Contains(how, "(binary, 1024^n)")) << how;
  ASSERT_TRUE(ParseCapacity("2PB", "--capacity", &how).ok());
  EXPECT_TRUE(Contains(how, "(decimal, 1000^5)")) << how;
}

// A band end never reached within the search limit is said to be not reached, never "-".
TEST(PlanTableTest, ABandEndNotReachedIsSaidSo) {
  auto plan = TwoTerabytePlan();
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  Crossing& c = plan->storage->threshold;
  ASSERT_TRUE(c.earliest_s && c.earliest80_s && c.expected_s);
  c.latest_s.reset();
  c.latest80_s.reset();
  const std::string table = PlanToTable(*plan);
  EXPECT_TRUE(Contains(table, " d .. not reached, 95% band ")) << table;
  EXPECT_TRUE(Contains(table, " d .. not reached\n")) << table;
  EXPECT_FALSE(Contains(table, " - d")) << table;
  EXPECT_FALSE(Contains(table, ".. -")) << table;
}

// A crossing far beyond the lead the backtest scored says its bands are extrapolated (an
// audit read a +-3% band 670 days out from 90 days of history as measured).
TEST(PlanTableTest, ACrossingFarBeyondTheScoredLeadSaysItsBandsAreExtrapolated) {
  auto plan = TwoTerabytePlan();
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const ForecastResult& f = plan->storage->forecast;
  Crossing& c = plan->storage->threshold;
  ASSERT_TRUE(c.expected_s && f.backtest.lead_s > 0);
  const double days = (*c.expected_s - f.origin_s) / f.backtest.lead_s;
  const std::string said = StringPrintf("bands beyond %.1f d (the lead scored) are extrapolated",
                                        f.backtest.lead_s / kDay);
  EXPECT_EQ(Contains(PlanToTable(*plan), said), days > 2) << PlanToTable(*plan);
  *c.expected_s = f.origin_s + 3 * f.backtest.lead_s;
  EXPECT_TRUE(Contains(PlanToTable(*plan), said)) << PlanToTable(*plan);
  *c.expected_s = f.origin_s + 1.5 * f.backtest.lead_s;
  EXPECT_FALSE(Contains(PlanToTable(*plan), said)) << PlanToTable(*plan);
}

// A plan from a curve alone dates itself by the curve, not by a sample it does not have.
TEST(PlanTableTest, ACurveOnlyPlanSaysWhenTheCurveWasMeasured) {
  PlanInputs in;
  in.curve = MakeCurve();
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const std::string table = PlanToTable(*plan);
  const std::string first = table.substr(0, table.find('\n'));
  EXPECT_TRUE(Contains(first, "curve measured " + FormatUtc(1.7e9))) << first;
  EXPECT_FALSE(Contains(first, "last sample")) << first;
  EXPECT_TRUE(Contains(PlanToHtml(*plan), "Horizon 90 days, buffer 20%, curve measured "))
      << PlanToHtml(*plan);
  // With a series, the origin is its last sample.
  in.usage = MakeUsage();
  plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_TRUE(Contains(PlanToTable(*plan), "last sample ")) << PlanToTable(*plan);
}

// The starred row lines up with the others, for the longest names too.
TEST(PlanTableTest, TheStarredRowLinesUpWithTheOthers) {
  PlanInputs in;
  in.usage = MakeUsage();
  in.horizon_s = 30 * kDay;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  for (ModelKind starred : {ModelKind::kSeasonalNaive, ModelKind::kPredictLinear}) {
    ForecastResult& f = plan->storage->forecast;
    f.model = starred;
    f.backtest.shrink_weight = 0;
    const std::string table = PlanToTable(*plan);
    // Every row with figures ends its sMAPE ('%') in the column where the header's ends.
    const size_t header = table.find("\n    model ");
    ASSERT_NE(header, std::string::npos) << table;
    const size_t column = table.find("sMAPE", header) + 5 - header;
    const size_t end = table.find("\n  chosen: ", header);
    size_t rows = 0;
    for (size_t row = table.find('\n', header + 1); row < end; row = table.find('\n', row + 1)) {
      const std::string line = table.substr(row, table.find('\n', row + 1) - row);
      if (Contains(line, "n/a")) continue;
      EXPECT_EQ(line.find('%') + 1, column) << line << "\n" << table;
      ++rows;
    }
    EXPECT_GE(rows, 10u) << table;
    EXPECT_TRUE(Contains(table, "\n    " + std::string(ModelName(starred)) + " * ")) << table;
  }
}

ForecastResult ShrunkChoice() {
  ForecastResult f;
  f.column = "used_bytes";
  f.model = ModelKind::kTheilSen;
  BacktestSummary& b = f.backtest;
  b.folds = 30;
  b.selection_mase = 0.237;
  b.best_baseline = ModelKind::kDrift;
  b.best_baseline_mase = 0.221;
  b.shrink_weight = 0.25;
  b.shrink_toward = ModelKind::kDrift;
  return f;
}

// The warning compares the best baseline with the choice's out-of-sample score, naming both.
TEST(PlanTableTest, ABaselineBelowTheChoicesOutOfSampleScoreIsWarnedOf) {
  ForecastResult f = ShrunkChoice();
  const auto warning = BaselineBeatsChoiceWarning(f);
  ASSERT_TRUE(warning.has_value());
  EXPECT_TRUE(Contains(*warning, "used_bytes: the best baseline drift")) << *warning;
  EXPECT_TRUE(Contains(*warning, "0.221")) << *warning;
  EXPECT_TRUE(Contains(*warning, "0.237")) << *warning;
  // The choice scores better out of sample than the baseline: nothing to say.
  f.backtest.selection_mase = 0.2;
  EXPECT_FALSE(BaselineBeatsChoiceWarning(f).has_value());
  // After a fallback the baseline is what is used (the "chosen:" line says why).
  f = ShrunkChoice();
  f.model = ModelKind::kDrift;
  f.backtest.shrink_weight = 0;
  f.backtest.fallback = BacktestSummary::Fallback::kLosesToBaselineChoice;
  EXPECT_FALSE(BaselineBeatsChoiceWarning(f).has_value());
  // The baseline chosen outright: it is what is used.
  f.backtest.fallback = BacktestSummary::Fallback::kNone;
  EXPECT_FALSE(BaselineBeatsChoiceWarning(f).has_value());
  // Under 3 folds the choice is not scored.
  f = ShrunkChoice();
  f.backtest.folds = 2;
  EXPECT_FALSE(BaselineBeatsChoiceWarning(f).has_value());
}

}  // namespace
}  // namespace sfsg
