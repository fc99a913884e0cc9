#include "predictor/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>

#include "generator/util/strings.h"
#include "generator/util/units.h"
#include "predictor/config.h"

namespace sfsg {
namespace {

constexpr double kDay = config::kDaySeconds;

std::string Date(double unix_s, const char* format = "%Y-%m-%d") {
  const std::time_t t = static_cast<std::time_t>(std::floor(unix_s));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

using Label = std::function<std::string(double)>;

// A plot area with linear x and linear or logarithmic y, drawn as SVG elements.
class Chart {
 public:
  Chart(double x0, double x1, double y0, double y1, bool log_y)
      : x0_(x0), x1_(x1 > x0 ? x1 : x0 + 1), log_y_(log_y) {
    if (log_y_) {
      y0 = std::max(y0, 1e-9);
      y1 = std::max(y1, y0 * 10);
      y0_ = std::log10(y0), y1_ = std::log10(y1);
    } else {
      y0_ = y0, y1_ = y1 > y0 ? y1 : y0 + 1;
    }
  }
  double X(double x) const { return kLeft + (x - x0_) / (x1_ - x0_) * (kWidth - kLeft - kRight); }
  double Y(double y) const {
    const double v = log_y_ ? std::log10(std::max(y, 1e-9)) : y;
    const double clamped = std::clamp(v, y0_ - 0.05 * (y1_ - y0_), y1_ + 0.05 * (y1_ - y0_));
    return kHeight - kBottom - (clamped - y0_) / (y1_ - y0_) * (kHeight - kTop - kBottom);
  }
  void Line(const std::vector<std::pair<double, double>>& points, const char* style) {
    if (points.empty()) return;
    body_ += "<polyline fill=\"none\" style=\"" + std::string(style) + "\" points=\"";
    for (const auto& [x, y] : points) body_ += StringPrintf("%.1f,%.1f ", X(x), Y(y));
    body_ += "\"/>\n";
  }
  // The area between two curves sampled at the same x.
  void Area(const std::vector<double>& xs, const std::vector<double>& lo,
            const std::vector<double>& hi, const char* fill) {
    if (xs.empty()) return;
    body_ += "<polygon style=\"stroke:none;fill:" + std::string(fill) + "\" points=\"";
    for (size_t i = 0; i < xs.size(); ++i) body_ += StringPrintf("%.1f,%.1f ", X(xs[i]), Y(hi[i]));
    for (size_t i = xs.size(); i-- > 0;) body_ += StringPrintf("%.1f,%.1f ", X(xs[i]), Y(lo[i]));
    body_ += "\"/>\n";
  }
  void HLine(double y, const char* style, const std::string& label) {
    body_ += StringPrintf("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" style=\"%s\"/>", kLeft,
                          kWidth - kRight, Y(y), Y(y), style);
    body_ += StringPrintf("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>\n",
                          kWidth - kRight - 4, Y(y) - 4, HtmlEscape(label).c_str());
  }
  void VLine(double x, const char* style, const std::string& label) {
    body_ += StringPrintf("<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" style=\"%s\"/>", X(x),
                          X(x), kTop, kHeight - kBottom, style);
    body_ += StringPrintf("<text x=\"%.1f\" y=\"%d\" fill=\"#555\">%s</text>\n", X(x) + 4,
                          kTop + 12, HtmlEscape(label).c_str());
  }
  void Dot(double x, double y, const char* fill) {
    body_ +=
        StringPrintf("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", X(x), Y(y), fill);
  }
  std::string Render(const std::string& title, const Label& x_label, const Label& y_label,
                     const std::string& legend) const {
    std::string svg = StringPrintf(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
        "height=\"%d\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\"><title>%s</title>\n"
        "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n",
        kWidth, kHeight, kWidth, kHeight, HtmlEscape(title).c_str(), kWidth, kHeight);
    for (int i = 0; i <= 4; ++i) {
      const double fy = y0_ + (y1_ - y0_) * i / 4.0;
      const double y = log_y_ ? std::pow(10, fy) : fy;
      const double py = Y(y);
      svg += StringPrintf("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>",
                          kLeft, kWidth - kRight, py, py);
      svg += StringPrintf("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", kLeft - 6,
                          py + 4, HtmlEscape(y_label(y)).c_str());
      const double x = x0_ + (x1_ - x0_) * i / 4.0;
      svg += StringPrintf("<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>\n", X(x),
                          kHeight - kBottom + 18,
                          i == 0   ? "start"
                          : i == 4 ? "end"
                                   : "middle",
                          HtmlEscape(x_label(x)).c_str());
    }
    svg += StringPrintf("<text x=\"%d\" y=\"16\" font-weight=\"bold\">%s</text>\n", kLeft,
                        HtmlEscape(title).c_str());
    svg += StringPrintf("<text x=\"%d\" y=\"%d\" fill=\"#555\">%s</text>\n", kLeft, kHeight - 6,
                        HtmlEscape(legend).c_str());
    svg += StringPrintf(
        "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#bbb\"/>\n",
        kLeft, kTop, kWidth - kLeft - kRight, kHeight - kTop - kBottom);
    return svg + body_ + "</svg>\n";
  }

 private:
  static constexpr int kWidth = 760, kHeight = 320, kLeft = 80, kRight = 20, kTop = 28,
                       kBottom = 48;
  double x0_, x1_, y0_ = 0, y1_ = 1;
  bool log_y_;
  std::string body_;
};

// History (thinned to ~600 points), bands to the horizon, and the limits as lines.
std::string ForecastChart(const ForecastResult& f, const std::string& title, const Label& y_label,
                          double threshold, const std::string& threshold_label, double limit,
                          const std::string& limit_label) {
  const double end = f.origin_s + f.horizon_s;
  const size_t steps =
      std::min(f.path.size(), static_cast<size_t>(std::ceil(f.horizon_s / f.grid.step_s)));
  double lo = 0, hi = std::max(threshold, limit);
  for (double v : f.grid.values) hi = std::max(hi, v);
  for (size_t i = 0; i < steps; ++i) hi = std::max(hi, f.path[i].upper95);
  if (!(hi > 0)) hi = 1;
  Chart chart(f.grid.start_s, end, lo, hi * 1.05, false);
  std::vector<double> xs, l95, u95, l80, u80;
  std::vector<std::pair<double, double>> expected = {{f.origin_s, f.last_value}};
  xs.push_back(f.origin_s);
  l95 = u95 = l80 = u80 = {f.last_value};
  const size_t band_stride = std::max<size_t>(1, steps / 300);
  for (size_t i = band_stride - 1; i < steps; i += band_stride) {
    const double t = f.origin_s + static_cast<double>(i + 1) * f.grid.step_s;
    const Band& b = f.path[i];
    xs.push_back(t), l95.push_back(b.lower95), u95.push_back(b.upper95);
    l80.push_back(b.lower80), u80.push_back(b.upper80);
    expected.push_back({t, b.expected});
  }
  chart.Area(xs, l95, u95, "#cfe0f5");
  chart.Area(xs, l80, u80, "#9dbfe8");
  std::vector<std::pair<double, double>> history;
  const size_t stride = std::max<size_t>(1, f.grid.values.size() / 600);
  for (size_t i = 0; i < f.grid.values.size(); i += stride)
    history.push_back({f.grid.start_s + static_cast<double>(i) * f.grid.step_s, f.grid.values[i]});
  history.push_back({f.origin_s, f.last_value});
  chart.Line(history, "stroke:#222;stroke-width:1.2");
  chart.Line(expected, "stroke:#1a5fb4;stroke-width:2;stroke-dasharray:6 3");
  chart.VLine(f.origin_s, "stroke:#888;stroke-dasharray:2 3", "now");
  if (limit > 0) chart.HLine(limit, "stroke:#555;stroke-width:1.5", limit_label);
  if (threshold > 0)
    chart.HLine(threshold, "stroke:#c01c28;stroke-width:1.5;stroke-dasharray:5 3", threshold_label);
  const double span = end - f.grid.start_s;
  const Label x_label = [span](double t) {
    return Date(t, span > 3 * kDay ? "%Y-%m-%d" : "%m-%d %H:%M");
  };
  return chart.Render(
      title, x_label, y_label,
      StringPrintf("history (black), expected (dashed blue, model %s), 80%% and 95%% "
                   "bands (shaded)",
                   std::string(ModelName(f.model)).c_str()));
}

std::string UslChart(const PerformancePlan& p) {
  const UslFit& u = *p.usl;
  double max_n = u.max_concurrency, max_x = 0;
  if (u.n_star) max_n = std::max(max_n, std::min(*u.n_star * 1.3, 4 * u.max_concurrency));
  for (const UslPoint& point : p.usl_points) max_x = std::max(max_x, point.throughput);
  if (u.x_max) max_x = std::max(max_x, *u.x_max);
  Chart chart(0, max_n * 1.05, 0, max_x * 1.1, false);
  std::vector<std::pair<double, double>> curve;
  for (int i = 0; i <= 200; ++i) {
    const double n = 1 + (max_n * 1.05 - 1) * i / 200.0;
    curve.push_back({n, u.Throughput(n)});
  }
  chart.Line(curve, "stroke:#1a5fb4;stroke-width:2");
  for (const UslPoint& point : p.usl_points) chart.Dot(point.concurrency, point.throughput, "#222");
  if (u.x_max)
    chart.HLine(*u.x_max, "stroke:#555;stroke-dasharray:4 3",
                StringPrintf("X_max %.0f ops/s", *u.x_max));
  if (u.n_star)
    chart.VLine(*u.n_star, "stroke:#555;stroke-dasharray:4 3",
                StringPrintf("N* = %.1f", *u.n_star));
  return chart.Render(
      "Throughput against concurrency (Universal Scalability Law)",
      [](double n) { return StringPrintf("N=%.0f", n); },
      [](double x) { return FormatCount(x) + " ops/s"; },
      StringPrintf("measured (dots), USL fit (line): sigma %.4g, kappa %.3g, lambda %.4g, ",
                   u.sigma, u.kappa, u.lambda) +
          (u.r_squared ? StringPrintf("R^2 %.3f", *u.r_squared) : std::string("R^2 n/a")));
}

std::string LatencyChart(const PerformancePlan& p) {
  double max_x = 0, lo = INFINITY, hi = 0;
  for (const LatencyPoint& point : p.p99_points) {
    if (!(point.latency_us > 0)) continue;
    max_x = std::max(max_x, point.throughput);
    lo = std::min(lo, point.latency_us), hi = std::max(hi, point.latency_us);
  }
  for (const ObjectivePlan& o : p.objectives)
    lo = std::min(lo, o.objective.latency_us), hi = std::max(hi, o.objective.latency_us);
  if (!(max_x > 0) || !std::isfinite(lo)) return "";
  Chart chart(0, max_x * 1.1, lo / 2, hi * 2, true);
  for (const ObjectivePlan& o : p.objectives) {
    std::vector<std::pair<double, double>> curve;
    for (int i = 0; i <= 200; ++i) {
      const double x = max_x * 1.1 * i / 200.0;
      if (x >= o.fit.saturation_ops_per_s) break;
      curve.push_back({x, o.fit.LatencyAt(x)});
    }
    chart.Line(curve, "stroke:#1a5fb4;stroke-width:2");
    chart.HLine(o.objective.latency_us, "stroke:#c01c28;stroke-dasharray:5 3",
                StringPrintf("%s objective %.3g ms", o.objective.quantile.c_str(),
                             o.objective.latency_us / 1000));
    if (o.objective_ops_per_s > 0)
      chart.VLine(o.objective_ops_per_s, "stroke:#c01c28;stroke-dasharray:2 3",
                  StringPrintf("%.0f ops/s", o.objective_ops_per_s));
  }
  for (const LatencyPoint& point : p.p99_points)
    if (point.latency_us > 0) chart.Dot(point.throughput, point.latency_us, "#222");
  return chart.Render(
      "p99 latency against throughput", [](double x) { return FormatCount(x) + " ops/s"; },
      [](double us) {
        return us >= 1000 ? StringPrintf("%.3g ms", us / 1000) : StringPrintf("%.3g us", us);
      },
      "measured p99 (dots), queueing fit R0 + W rho/(1 - rho) per objective (line)");
}

std::string Card(const std::string& label, const std::string& value, const std::string& note) {
  return "<div class=\"card\"><div class=\"label\">" + HtmlEscape(label) +
         "</div><div class=\"value\">" + HtmlEscape(value) + "</div><div class=\"note\">" +
         HtmlEscape(note) + "</div></div>\n";
}

std::string WhenText(const Crossing& c, const ForecastResult& f) {
  if (c.already) return "already";
  if (!c.expected_s) return StringPrintf("not within %.0f days", f.search_s() / kDay);
  return Date(*c.expected_s) + StringPrintf(" (%.0f days)", (*c.expected_s - f.origin_s) / kDay);
}

std::string RangeText(const Crossing& c) {
  if (c.already) return "already reached";
  // Neither bound reached within the search: nothing to range over.
  if (!c.earliest_s && !c.latest_s) return "not within the search limit at the 95% band either";
  auto one = [](const std::optional<double>& t) { return t ? Date(*t) : std::string("later"); };
  return "95% range " + one(c.earliest_s) + " .. " + one(c.latest_s);
}

// The candidate device configurations: what the model scaled gives at the horizon's peak,
// the basis first (which model, its validation), the verdict last.
std::string CandidatesHtml(const DeviceCandidates& c) {
  std::string html = "<h2>Device candidates at the horizon</h2>\n";
  if (!c.evaluated)
    return html + "<p class=\"note\">" + HtmlEscape("None: " + c.reason) + ".</p>\n";
  const CandidatePlan& plan = *c.evaluated;
  html += std::string(c.basis && c.basis->throughput_error ? "<p class=\"basis\">"
                                                           : "<p class=\"warn basis\">") +
          HtmlEscape("Basis: " + CandidatesBasisStatement(c) + ".") + "</p>\n";
  html +=
      "<p>" +
      HtmlEscape(StringPrintf("Load: %.0f device requests/s at the horizon's peak, %.0f%% "
                              "reads; objective %s <= %.3g ms.",
                              plan.load.requests_per_s, 100 * plan.load.read_fraction,
                              plan.objective.quantile.c_str(), plan.objective.latency_us / 1e3)) +
      "</p>\n<table class=\"candidates\"><tr><th>candidate</th><th>" +
      HtmlEscape(plan.objective.quantile) +
      "</th><th>mean</th><th>served/s</th><th>verdict</th></tr>\n";
  for (size_t i = 0; i < plan.results.size(); ++i) {
    const CandidateResult& r = plan.results[i];
    const std::string verdict = std::string(r.saturated ? "saturated"
                                            : r.meets   ? "meets"
                                                        : "misses") +
                                (plan.recommended == i ? " (recommended)" : "");
    html += std::string(plan.recommended == i ? "<tr class=\"recommended\">" : "<tr>") + "<td>" +
            HtmlEscape(r.candidate.name) + "</td><td>" +
            StringPrintf("%s%.3g ms", r.saturated ? "&ge; " : "", r.latency_us / 1e3) +
            "</td><td>" + StringPrintf("%.3g ms", r.mean_us / 1e3) + "</td><td>" +
            StringPrintf("%.0f", r.served_per_s) + "</td><td>" + HtmlEscape(verdict) +
            "</td></tr>\n";
  }
  return html + "</table>\n<p><strong>" + HtmlEscape(plan.statement) + ".</strong></p>\n";
}

}  // namespace

std::string PlanToHtml(const CapacityPlan& plan) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<title>sfsg capacity plan</title>\n<style>\n"
      "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#f6f7f9}\n"
      "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}\n"
      ".cards{display:flex;flex-wrap:wrap;gap:12px}.card{background:#fff;border:1px solid #ddd;"
      "border-radius:6px;padding:10px 14px;min-width:200px}\n"
      ".label{color:#666;font-size:12px}.value{font-size:20px;font-weight:600}.note{color:#666;"
      "font-size:12px}\n"
      ".warn{background:#fff4e5;border:1px solid #f0b46c;padding:8px 12px;border-radius:6px}\n"
      "svg{background:#fff;border:1px solid #ddd;border-radius:6px;margin:6px "
      "0;max-width:100%;height:auto}\n"
      "svg text{font:11px sans-serif;fill:#333}\n"
      "table.candidates{border-collapse:collapse;background:#fff}.candidates td,.candidates "
      "th{border:1px solid #ddd;padding:4px 10px;text-align:left}.recommended{background:#e8f5e9}\n"
      "pre{background:#fff;border:1px solid #ddd;padding:10px;border-radius:6px;overflow-x:auto}\n"
      "</style></head><body>\n";
  html += "<h1>sfsg capacity plan</h1>\n<p>" +
          HtmlEscape(StringPrintf("Horizon %.0f days, buffer %.0f%%, %s %s, made %s.",
                                  plan.horizon_s / kDay, 100 * plan.buffer, OriginLabel(plan),
                                  Date(plan.origin_unix, "%Y-%m-%d %H:%M UTC").c_str(),
                                  Date(plan.created_unix, "%Y-%m-%d %H:%M UTC").c_str())) +
          "</p>\n";
  if (plan.low_confidence)
    html +=
        "<p class=\"warn\">Low confidence: the data is thin for some of these figures; see the "
        "warnings below.</p>\n";
  // What the performance figures stand on, before any of them is read.
  if (const auto& p = plan.performance)
    html += std::string(p->device ? "<p class=\"basis\">" : "<p class=\"warn basis\">") +
            HtmlEscape("Performance basis: " + DeviceBasisStatement(p->device) + ".") + "</p>\n";
  html += "<div class=\"cards\">\n";
  if (const auto& s = plan.storage) {
    html += Card("storage threshold reached", WhenText(s->threshold, s->forecast),
                 RangeText(s->threshold));
    const std::vector<std::string> b = DistinctBytes(
        {s->recommended_capacity_bytes, s->capacity_bytes, std::fabs(s->additional_bytes)});
    html += Card("recommended capacity", b[0], "now " + b[1] + ", " + CapacityChangeText(*s, b[2]));
    html += Card("used now", FormatBytes(s->current_bytes),
                 StringPrintf("%.0f%% of capacity", 100 * s->current_bytes / s->capacity_bytes));
    if (s->files && s->capacity_files) {
      const bool first = BindingLimitOf(*s).limit == Limit::kInodes;
      html +=
          Card(first ? "inode threshold reached (inodes run out first)" : "inode threshold reached",
               WhenText(s->files_threshold, *s->files), RangeText(s->files_threshold));
      html += Card("inodes in use", FormatCount(s->files->last_value),
                   StringPrintf("%.0f%% of ", 100 * s->files->last_value / *s->capacity_files) +
                       FormatCount(*s->capacity_files));
    }
  }
  if (const auto& p = plan.performance) {
    html += Card(
        p->device ? "sustainable throughput (device model)"
                  : "sustainable throughput (the shadow's own)",
        StringPrintf(p->sustainable_lower_bound ? "at least %.0f ops/s" : "%.0f ops/s",
                     p->sustainable_ops_per_s),
        p->sustainable_basis +
            (p->sustainable_lower_bound ? std::string("; ") + kLowerBoundReason : std::string()));
    if (p->demand) {
      // Demand in file operations when mapped (the mapping named), else in device requests.
      const char* unit = p->unit.comparable ? "ops/s" : "device requests/s";
      html +=
          Card("peak demand to horizon", StringPrintf("%.0f %s", p->peak_at_horizon.expected, unit),
               StringPrintf("95%% up to %.0f %s; ", p->peak_at_horizon.upper95, unit) +
                   p->unit.mapping_statement);
      if (p->unit.comparable)
        html += Card("demand reaches the limit", WhenText(p->threshold, *p->demand),
                     RangeText(p->threshold));
      else
        html +=
            Card("demand reaches the limit", "n/a", "demand and the curve are in different units");
    }
  }
  if (const auto& c = plan.device_candidates.evaluated)
    html +=
        Card("device at the horizon",
             c->recommended ? c->results[*c->recommended].candidate.name : "none meets",
             c->objective.quantile + StringPrintf(" <= %.3g ms", c->objective.latency_us / 1e3));
  html += "</div>\n";
  if (const auto& s = plan.storage) {
    html += "<h2>Storage</h2>\n";
    html += ForecastChart(
        s->forecast, "Used bytes: history and forecast", [](double b) { return FormatBytes(b); },
        s->threshold_bytes, StringPrintf("threshold (%.0f%% of capacity)", 100 * (1 - plan.buffer)),
        s->capacity_bytes, "capacity");
    if (s->files && s->capacity_files)
      html += ForecastChart(
          *s->files, "Files (inodes): history and forecast",
          [](double x) { return FormatCount(x); }, s->files_threshold_count,
          StringPrintf("threshold (%.0f%% of inodes)", 100 * (1 - plan.buffer)), *s->capacity_files,
          "inodes");
  }
  if (const auto& p = plan.performance) {
    html += "<h2>Performance</h2>\n";
    if (p->demand && p->unit.comparable)
      html += ForecastChart(
          *p->demand,
          "Demand (file operations/s, mapped from device requests): history and forecast",
          [](double x) { return FormatCount(x) + " ops/s"; }, p->threshold_ops_per_s,
          StringPrintf("sustainable x %.2f", 1 - plan.buffer), p->sustainable_ops_per_s,
          "sustainable");
    else if (p->demand)  // no limit line: the curve's throughput is in another unit
      html += ForecastChart(
          *p->demand, "Demand (device requests/s): history and forecast",
          [](double x) { return FormatCount(x) + " req/s"; }, 0, "", 0, "");
    if (p->usl) html += UslChart(*p);
    html += LatencyChart(*p);
  }
  if (plan.device_candidates.evaluated || plan.device_candidates.basis)
    html += CandidatesHtml(plan.device_candidates);
  html += "<h2>Plan</h2>\n<pre>" + HtmlEscape(PlanToTable(plan)) + "</pre>\n";
  html +=
      "<p class=\"note\">Made by sfsg-predict. Bands are empirical: calibrated on rolling-origin "
      "backtests of the chosen model.</p>\n</body></html>\n";
  return html;
}

}  // namespace sfsg
