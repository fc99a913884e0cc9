// Prometheus query_range responses to usage volumes, from a file or a live server.
#include "predictor/prometheus_source.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>

#include "generator/util/json_io.h"

namespace sfsg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// node_exporter's series and the column each becomes (scale: seconds -> ms).
struct Mapping {
  const char* metric;
  const char* column;
  double scale;
};
constexpr Mapping kFilesystemMetrics[] = {
    {"node_filesystem_size_bytes", "size", 1},        {"node_filesystem_avail_bytes", "avail", 1},
    {"node_filesystem_free_bytes", "free", 1},        {"node_filesystem_files", "inodes", 1},
    {"node_filesystem_files_free", "inodes_free", 1},
};
constexpr Mapping kDiskMetrics[] = {
    {"node_disk_reads_completed_total", "read_ops", 1},
    {"node_disk_writes_completed_total", "write_ops", 1},
    {"node_disk_read_bytes_total", "read_bytes", 1},
    {"node_disk_written_bytes_total", "write_bytes", 1},
    {"node_disk_read_time_seconds_total", "read_time_ms", 1000},
    {"node_disk_write_time_seconds_total", "write_time_ms", 1000},
    {"node_disk_io_time_seconds_total", "io_time_ms", 1000},
    {"node_disk_io_time_weighted_seconds_total", "io_weighted_ms", 1000},
};

template <size_t N>
const Mapping* Find(const Mapping (&table)[N], const std::string& metric) {
  for (const Mapping& m : table)
    if (metric == m.metric) return &m;
  return nullptr;
}

std::string LabelsText(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=" + v;
  return "{" + out + "}";
}

std::string Label(const PromSeries& s, const char* name) {
  auto it = s.labels.find(name);
  return it == s.labels.end() ? "" : it->second;
}

// A sample value: a decimal string; "NaN" and infinities are empty cells.
Result<double> ParseValue(const std::string& text, const std::string& where) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "nan" || lower == "+inf" || lower == "-inf" || lower == "inf") return kNaN;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    return Error::BadInput(where + ": '" + text + "' is not a number");
  return v;
}

// A group of series that becomes one volume.
struct Group {
  std::map<std::string, std::string> labels;  // identifying labels
  std::string fs_device;                      // the filesystem's device label
  std::map<std::string, const PromSeries*> by_column;
};

Status AddTo(Group& group, const std::string& column, const PromSeries& s,
             const std::string& source) {
  auto [it, inserted] = group.by_column.emplace(column, &s);
  if (!inserted)
    return Error::BadInput(source + ": two series of " + s.name +
                           " in one volume: " + LabelsText(it->second->labels) + " and " +
                           LabelsText(s.labels) + " (select one)");
  return Status::Ok();
}

UsageTable BuildTable(const Group& group, const std::string& source) {
  UsageTable table;
  table.source = source;
  std::set<double> times;
  for (const auto& [column, s] : group.by_column) times.insert(s->time_s.begin(), s->time_s.end());
  table.time_s.assign(times.begin(), times.end());
  std::map<std::string, std::vector<double>> raw;
  for (const auto& [column, s] : group.by_column) {
    std::vector<double> out(table.time_s.size(), kNaN);
    size_t k = 0;
    for (size_t i = 0; i < s->time_s.size(); ++i) {
      while (table.time_s[k] < s->time_s[i]) ++k;
      out[k] = s->values[i];  // a duplicate timestamp: the last sample wins
    }
    const Mapping* m = Find(kDiskMetrics, s->name);
    if (m && m->scale != 1)
      for (double& v : out) v *= m->scale;
    raw[column] = std::move(out);
  }
  auto take = [&](const char* name) -> const std::vector<double>* {
    auto it = raw.find(name);
    return it == raw.end() ? nullptr : &it->second;
  };
  const size_t n = table.time_s.size();
  const auto *size = take("size"), *avail = take("avail"), *free = take("free");
  if (size && (avail || free)) {
    std::vector<double> used(n), capacity(n);
    for (size_t i = 0; i < n; ++i) {
      // As df: used counts the root-reserved blocks' complement (size - free) and the
      // capacity a user can fill is used + avail. Without free_bytes, size - avail.
      used[i] = free ? (*size)[i] - (*free)[i] : (*size)[i] - (*avail)[i];
      capacity[i] = free && avail ? used[i] + (*avail)[i] : (*size)[i];
    }
    table.columns["used_bytes"] = std::move(used);
    table.columns["capacity_bytes"] = std::move(capacity);
  } else if (size) {
    table.columns["capacity_bytes"] = *size;
  }
  const auto *inodes = take("inodes"), *inodes_free = take("inodes_free");
  if (inodes && inodes_free) {
    std::vector<double> files(n);
    for (size_t i = 0; i < n; ++i) files[i] = (*inodes)[i] - (*inodes_free)[i];
    table.columns["files"] = std::move(files);
    table.columns["capacity_files"] = *inodes;
  }
  for (auto& [column, values] : raw)
    if (column != "size" && column != "avail" && column != "free" && column != "inodes" &&
        column != "inodes_free")
      table.columns[column] = std::move(values);
  return table;
}

std::string Basename(const std::string& device) {
  const size_t slash = device.rfind('/');
  return slash == std::string::npos ? device : device.substr(slash + 1);
}

// Escapes a label value for a regular expression matcher (RE2 syntax, as PromQL).
std::string RegexQuote(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string PromString(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

Result<std::vector<PromSeries>> ParseQueryRange(std::string_view text,
                                                std::string_view source_name) {
  const std::string source(source_name);
  auto json = ParseJsonText(text, source_name);
  if (!json) return json.error();
  if (json->is_object() && json->contains("status") && (*json)["status"] == "error") {
    std::string type = json->value("errorType", std::string("error"));
    std::string error = json->value("error", std::string("(no message)"));
    return Error::Remote(source + ": " + type + ": " + error);
  }
  auto data = JsonObject(*json, "data", source);
  if (!data) return data.error();
  auto type = JsonString(**data, "resultType", source + ": data");
  if (!type) return type.error();
  if (*type != "matrix")
    return Error::Unsupported(source + ": data.resultType is '" + *type +
                              "'; export a range query (query_range, resultType matrix)");
  auto result = JsonArray(**data, "result", source + ": data");
  if (!result) return result.error();
  std::vector<PromSeries> out;
  for (size_t i = 0; i < (*result)->size(); ++i) {
    const Json& entry = (**result)[i];
    const std::string where = source + ": data.result[" + std::to_string(i) + "]";
    if (!entry.is_object()) return Error::BadInput(where + ": not an object");
    PromSeries s;
    s.name = "value";
    if (entry.contains("metric") && entry["metric"].is_object())
      for (auto it = entry["metric"].begin(); it != entry["metric"].end(); ++it) {
        if (!it.value().is_string()) continue;
        if (it.key() == "__name__")
          s.name = it.value().get<std::string>();
        else
          s.labels[it.key()] = it.value().get<std::string>();
      }
    auto values = JsonArray(entry, "values", where);
    if (!values) return values.error();
    for (size_t k = 0; k < (*values)->size(); ++k) {
      const Json& pair = (**values)[k];
      const std::string at = where + ".values[" + std::to_string(k) + "]";
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number() || !pair[1].is_string())
        return Error::BadInput(at + ": expected [unix_seconds, \"value\"]");
      auto time = ParseTimestamp(pair[0].dump(), at);
      if (!time) return time.error();
      // As in a CSV: a series going back in time is damaged, not reordered.
      if (!s.time_s.empty() && *time < s.time_s.back())
        return Error::BadInput(at + ": timestamp goes backwards (" + pair[0].dump() +
                               "); timestamps must be non-decreasing");
      auto v = ParseValue(pair[1].get<std::string>(), at);
      if (!v) return v.error();
      s.time_s.push_back(*time);
      s.values.push_back(*v);
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<UsageVolume>> GroupVolumes(const std::vector<PromSeries>& series,
                                              std::string_view source_name) {
  const std::string source(source_name);
  if (series.empty()) return Error::BadInput(source + ": data.result is empty");
  std::map<std::string, Group> filesystems, disks;
  std::vector<const PromSeries*> others;
  std::set<std::string> instances;
  for (const PromSeries& s : series) {
    if (const Mapping* m = Find(kFilesystemMetrics, s.name)) {
      const std::string key =
          Label(s, "instance") + "\n" + Label(s, "job") + "\n" + Label(s, "mountpoint");
      Group& g = filesystems[key];
      for (const char* l : {"instance", "job", "mountpoint"})
        if (!Label(s, l).empty()) g.labels[l] = Label(s, l);
      if (g.fs_device.empty()) g.fs_device = Label(s, "device");
      instances.insert(Label(s, "instance"));
      if (Status st = AddTo(g, m->column, s, source); !st) return st.error();
    } else if (const Mapping* d = Find(kDiskMetrics, s.name)) {
      const std::string key =
          Label(s, "instance") + "\n" + Label(s, "job") + "\n" + Label(s, "device");
      Group& g = disks[key];
      for (const char* l : {"instance", "job", "device"})
        if (!Label(s, l).empty()) g.labels[l] = Label(s, l);
      if (Status st = AddTo(g, d->column, s, source); !st) return st.error();
    } else {
      others.push_back(&s);
    }
  }
  std::vector<Group> volumes;
  if (filesystems.empty()) {
    for (auto& [key, g] : disks) volumes.push_back(std::move(g));
  } else {
    for (auto& [key, g] : filesystems) volumes.push_back(std::move(g));
    // Disks join the filesystem on /dev/DEVICE of the same instance; one filesystem and
    // one disk are joined whatever their names (an export of one volume, an LVM device).
    const bool pair = filesystems.size() == 1 && disks.size() == 1;
    for (auto& [key, disk] : disks) {
      Group* target = pair ? &volumes.front() : nullptr;
      for (Group& v : volumes)
        if (!target && v.labels["instance"] == disk.labels["instance"] &&
            Basename(v.fs_device) == disk.labels["device"] && v.fs_device.rfind("/dev/", 0) == 0)
          target = &v;
      if (!target) continue;  // a disk of no selected filesystem
      for (const auto& [column, s] : disk.by_column)
        if (Status st = AddTo(*target, column, *s, source); !st) return st.error();
      target->labels["device"] = disk.labels["device"];
    }
  }
  if (!others.empty()) {
    if (volumes.size() > 1)
      return Error::BadInput(source + ": " + others.front()->name + " " +
                             LabelsText(others.front()->labels) + " belongs to none of the " +
                             std::to_string(volumes.size()) +
                             " volumes (node_filesystem_*/node_disk_* series); export it alone");
    if (volumes.empty()) volumes.emplace_back();
    for (const PromSeries* s : others)
      if (Status st = AddTo(volumes.front(), s->name, *s, source); !st) return st.error();
  }
  std::vector<UsageVolume> out;
  for (const Group& g : volumes) {
    UsageVolume v;
    v.labels = g.labels;
    auto label = [&](const char* name) {
      auto it = g.labels.find(name);
      return it == g.labels.end() ? std::string() : it->second;
    };
    v.name = !label("mountpoint").empty() ? label("mountpoint") : label("device");
    if (instances.size() > 1 && !label("instance").empty())
      v.name = label("instance") + " " + v.name;
    if (v.name.empty()) v.name = source;
    v.table = BuildTable(g, v.name == source ? source : source + " (" + v.name + ")");
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(),
            [](const UsageVolume& a, const UsageVolume& b) { return a.name < b.name; });
  if (out.size() == 1) out.front().table.source = source;  // messages as for one file
  return out;
}

Result<std::vector<UsageVolume>> ParsePrometheusVolumes(std::string_view text,
                                                        std::string_view source) {
  auto series = ParseQueryRange(text, source);
  if (!series) return series.error();
  auto volumes = GroupVolumes(*series, source);
  if (!volumes) return volumes.error();
  for (const UsageVolume& v : *volumes)
    if (Status s = CheckNonNegative(v.table); !s) return s.error();
  return volumes;
}

Result<std::vector<UsageVolume>> LoadUsageVolumes(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return text.error();
  const size_t first = text->find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (*text)[first] == '{')
    return ParsePrometheusVolumes(*text, path);
  auto table = ParseUsageCsv(*text, path);
  if (!table) return table.error();
  UsageVolume v;
  v.name = path;
  v.table = std::move(*table);
  return std::vector<UsageVolume>{std::move(v)};
}

Result<PromSelector> ParsePromSelector(std::string_view text) {
  const std::string where = "--select: '" + std::string(text) + "'";
  const size_t op_at = text.find_first_of("=!");
  if (op_at == std::string_view::npos || op_at == 0)
    return Error::Usage(where + ": expected LABEL=VALUE (or !=, =~, !~)");
  PromSelector s;
  s.label = std::string(text.substr(0, op_at));
  static const std::set<std::string> kLabels = {"mountpoint", "device", "instance", "job",
                                                "fstype"};
  if (!kLabels.count(s.label))
    return Error::Usage(where + ": label '" + s.label +
                        "' is not one of mountpoint, device, instance, job, fstype");
  std::string_view rest = text.substr(op_at);
  for (const char* op : {"=~", "!~", "!=", "="})
    if (rest.rfind(op, 0) == 0) {
      s.op = op;
      break;
    }
  if (s.op.empty()) return Error::Usage(where + ": expected LABEL=VALUE (or !=, =~, !~)");
  s.value = std::string(rest.substr(s.op.size()));
  if (s.value.empty()) return Error::Usage(where + ": empty value");
  return s;
}

PromWindow ChoosePromWindow(double horizon_s, size_t max_points) {
  constexpr double kDay = 86400;
  constexpr size_t kPrometheusMaxPoints = 11000;
  const size_t points =
      max_points == 0 ? kPrometheusMaxPoints : std::min(max_points, kPrometheusMaxPoints);
  PromWindow w;
  w.range_s = std::max(2 * horizon_s, 7 * kDay);
  static const double kSteps[] = {15,   30,   60,    120,   300,   600,   900,    1800,
                                  3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800};
  w.step_s = kSteps[std::size(kSteps) - 1];
  for (double s : kSteps)
    if (w.range_s / s <= static_cast<double>(points)) {
      w.step_s = s;
      break;
    }
  return w;
}

std::string PromQuery(std::string_view metric, const std::vector<PromSelector>& selectors) {
  std::string q(metric);
  if (selectors.empty()) return q;
  q += "{";
  for (size_t i = 0; i < selectors.size(); ++i)
    q += (i ? "," : "") + selectors[i].label + selectors[i].op + PromString(selectors[i].value);
  return q + "}";
}

namespace {

// One query_range request; its series, or an error naming the URL and the query.
Result<std::vector<PromSeries>> QueryRange(const PrometheusSource& source, const std::string& query,
                                           double start, double end) {
  const std::string where = source.endpoint.url + ": query_range '" + query + "'";
  auto number = [](double v) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.3f", v);
    return std::string(buf);
  };
  auto reply = HttpGet(source.endpoint, "/api/v1/query_range",
                       {{"query", query},
                        {"start", number(start)},
                        {"end", number(end)},
                        {"step", number(source.step_s)}},
                       source.http);
  if (!reply)
    return Error::Remote(where + ": " +
                         reply.error().message.substr(source.endpoint.url.size() + 2));
  const size_t first = reply->body.find_first_not_of(" \t\r\n");
  const bool json = first != std::string::npos && reply->body[first] == '{';
  if (reply->status / 100 != 2 && !json) {
    std::string body = reply->body.substr(0, 120);
    for (char& c : body)
      if (c == '\n' || c == '\r') c = ' ';
    while (!body.empty() && body.back() == ' ') body.pop_back();
    return Error::Remote(where + ": HTTP " + std::to_string(reply->status) +
                         (body.empty() ? "" : ": " + body));
  }
  auto series = ParseQueryRange(reply->body, where);
  if (!series && reply->status / 100 != 2 && series.error().code != ErrorCode::kRemote)
    return Error::Remote(where + ": HTTP " + std::to_string(reply->status));
  return series;
}

}  // namespace

Result<std::vector<UsageVolume>> FetchPrometheusVolumes(const PrometheusSource& source) {
  const double step = source.step_s;
  const double end = std::floor(source.end_unix / step) * step;
  const double start = end - std::ceil(source.range_s / step) * step;
  std::vector<PromSeries> all;
  std::map<std::string, std::set<std::string>> devices;  // instance -> disk names
  for (const Mapping& m : kFilesystemMetrics) {
    const std::string query = PromQuery(m.metric, source.selectors);
    auto series = QueryRange(source, query, start, end);
    if (!series) return series.error();
    if (series->empty())
      return Error::Remote(source.endpoint.url + ": query_range '" + query +
                           "' returned no series (no filesystem matches; is node_exporter "
                           "scraped, and the selector right?)");
    for (PromSeries& s : *series) {
      const std::string device = Label(s, "device");
      if (device.rfind("/dev/", 0) == 0) devices[Label(s, "instance")].insert(Basename(device));
      all.push_back(std::move(s));
    }
  }
  for (const auto& [instance, names] : devices) {
    std::string alternatives;
    for (const std::string& n : names)
      alternatives += (alternatives.empty() ? "" : "|") + RegexQuote(n);
    std::vector<PromSelector> disk_selectors = {{"device", "=~", alternatives}};
    if (!instance.empty()) disk_selectors.push_back({"instance", "=", instance});
    for (const Mapping& m : kDiskMetrics) {
      auto series = QueryRange(source, PromQuery(m.metric, disk_selectors), start, end);
      if (!series) return series.error();
      for (PromSeries& s : *series) all.push_back(std::move(s));
    }
  }
  return GroupVolumes(all, source.endpoint.url);
}

std::string UsageTableToCsv(const UsageTable& table) {
  static const char* kOrder[] = {"used_bytes",   "capacity_bytes", "files",       "read_ops",
                                 "write_ops",    "read_bytes",     "write_bytes", "capacity_files",
                                 "read_time_ms", "write_time_ms",  "io_time_ms",  "io_weighted_ms"};
  std::vector<std::string> names;
  for (const char* n : kOrder)
    if (table.columns.count(n)) names.push_back(n);
  for (const auto& [name, values] : table.columns)
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  std::string out = "timestamp";
  for (const std::string& n : names) out += "," + n;
  out += "\n";
  char buf[64];
  for (size_t i = 0; i < table.time_s.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%.17g", table.time_s[i]);
    out += buf;
    for (const std::string& n : names) {
      const double v = table.columns.at(n)[i];
      out += ",";
      if (std::isnan(v)) continue;
      std::snprintf(buf, sizeof(buf), "%.17g", v);
      out += buf;
    }
    out += "\n";
  }
  return out;
}

}  // namespace sfsg
