// Reports people would rather look at than read: a self-contained HTML page for a
// CapacityPlan (inline SVG charts, no scripts, no external resources), and the text
// report of a forecast's backtest.
//
// Pure functions of their inputs; thread-safe. The HTML escapes every string it embeds.
#pragma once

#include <string>
#include <string_view>

#include "predictor/capacity_plan.h"
#include "predictor/forecast.h"

namespace sfsg {

// One page: the plan's headline figures; the usage history with the forecast's 80% and
// 95% bands against the threshold and capacity; the demand history and forecast against
// the sustainable throughput; throughput against concurrency with the USL fit; latency
// against throughput with the queueing fit and each objective; the backtest tables and
// the warnings.
std::string PlanToHtml(const CapacityPlan& plan);

// The table `sfsg-predict backtest` prints: every model's MASE, sMAPE and out-of-sample
// band coverage on the same folds, the chosen model, and how it compares with
// predict_linear's method and seasonal naive.
std::string BacktestReport(const ForecastResult& forecast, std::string_view source);

}  // namespace sfsg
