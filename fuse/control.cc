// The control files under /.sfsg/: generated on demand from the live state, so reading
// them costs the data path nothing.
#include <unistd.h>

#include <ctime>
#include <mutex>
#include <span>

#include "fuse/shadow_fs.h"

namespace sfsg {

ControlBoard::ControlBoard() {
  // Until the forecaster publishes, say so in valid JSON (sfsg-mount then says why).
  PublishNoForecast("no forecast has been made by this mount yet");
  // The fields the loop publishes after a round, empty (AlertEngine::ToJson).
  files_["alerts"] = Json{{"format", "sfsg-alerts"},
                          {"version", 1},
                          {"status", "not-evaluated"},
                          {"reason", "no alert rule has been evaluated by this mount yet"},
                          {"evaluated_unix", nullptr},
                          {"hysteresis", nullptr},
                          {"cooldown_s", nullptr},
                          {"rules", Json::array()},
                          {"firing", Json::array()},
                          {"history", Json::array()}}
                         .dump(1) +
                     "\n";
  files_["curve"] = Json{{"format", "sfsg-curve-status"},
                         {"version", 1},
                         {"status", "no-curve"},
                         {"reason", "no load ladder has run in this mount"}}
                        .dump(1) +
                    "\n";
}

void ControlBoard::Publish(const std::string& name, std::string text) {
  std::unique_lock lock(mutex_);
  files_[name] = std::move(text);
}

void ControlBoard::PublishNoForecast(const std::string& reason, const Json& probes) {
  Json doc = {
      {"format", "sfsg-forecast"}, {"version", 1}, {"status", "no-forecast"}, {"reason", reason}};
  if (probes.is_array()) doc["probes"] = probes;
  Publish("forecast", doc.dump(1) + "\n");
}

void ControlBoard::SetSource(const std::string& name, std::function<std::string()> source) {
  std::unique_lock lock(mutex_);
  if (source)
    sources_[name] = std::move(source);
  else
    sources_.erase(name);
}

std::string ControlBoard::Get(const std::string& name) const {
  std::shared_lock lock(mutex_);
  if (const auto live = sources_.find(name); live != sources_.end()) return live->second();
  const auto it = files_.find(name);
  return it == files_.end() ? std::string() : it->second;
}

std::span<const ShadowFs::ControlFile> ShadowFs::ControlFiles() {
  static constexpr ControlFile kFiles[] = {
      {"status", [](const ShadowFs& fs) { return fs.StatusText(); }},
      {"profile",
       [](const ShadowFs& fs) { return ProfileToJson(fs.ns_->profile()).dump(1) + "\n"; }},
      {"metrics", [](const ShadowFs& fs) { return fs.MetricsText(); }},
      {"forecast", [](const ShadowFs& fs) { return fs.board_.Get("forecast"); }},
      {"alerts", [](const ShadowFs& fs) { return fs.board_.Get("alerts"); }},
      {"curve", [](const ShadowFs& fs) { return fs.board_.Get("curve"); }},
  };
  return kFiles;
}

std::string ShadowFs::ControlText(uint64_t ino) const {
  const auto files = ControlFiles();
  const uint64_t index = ino - kControlIno - 1;
  return ino > kControlIno && index < files.size() ? files[index].render(*this) : std::string();
}

namespace {

double NowUnix() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}

}  // namespace

std::string ShadowFs::StatusText() const {
  const double now_unix = NowUnix();
  Json status = {{"format", "sfsg-status"},
                 {"version", 1},
                 {"profile", config_.profile_source},
                 {"seed", ns_->seed()},
                 {"scale", ns_->scale()},
                 {"layers", ns_->layer_count()},
                 {"dirs", ns_->dir_count()},
                 {"entries", ns_->entry_count()},
                 {"files", ns_->file_count()},
                 {"symlinks", ns_->symlink_count()},
                 {"bytes", ns_->total_bytes()},
                 {"capacity_bytes", config_.capacity_bytes},
                 {"writes", config_.writes},
                 {"overlay",
                  {{"kind", store_->kind()},
                   {"bytes_used", store_->bytes_used()},
                   {"limit_bytes", store_->limit_bytes()},
                   {"nodes", overlay_nodes_.load(std::memory_order_relaxed)}}},
                 {"bytes_read", metrics_.bytes_read()},
                 {"bytes_written", metrics_.bytes_written()},
                 {"started_unix", started_unix_},
                 {"pid", static_cast<int64_t>(::getpid())},
                 {"uptime_s", now_unix - started_unix_}};
  // What sfsg-mount adds (the forecaster's state directory, where the log goes) and the
  // shadow's recipe (ShadowRecipeToJson: written by sfsg-mount, re-scales added by the
  // forecaster).
  for (const char* part : {"status_extra", "recipe"}) {
    const Json extra = Json::parse(board_.Get(part), nullptr, false);
    if (extra.is_object())
      for (const auto& [key, value] : extra.items()) status[key] = value;
  }
  // Paths are bytes: one that is not UTF-8 shows with U+FFFD, never an EIO.
  return status.dump(1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string ShadowFs::MetricsText() const {
  const double now_unix = NowUnix();
  char gauges[1024];
  std::snprintf(gauges, sizeof(gauges),
                "# HELP sfsg_overlay_bytes Bytes held by the write overlay.\n"
                "# TYPE sfsg_overlay_bytes gauge\nsfsg_overlay_bytes %llu\n"
                "# HELP sfsg_overlay_nodes Inodes created or changed by clients.\n"
                "# TYPE sfsg_overlay_nodes gauge\nsfsg_overlay_nodes %llu\n"
                "# HELP sfsg_shadow_bytes Bytes of synthetic file content.\n"
                "# TYPE sfsg_shadow_bytes gauge\nsfsg_shadow_bytes %llu\n"
                "# HELP sfsg_shadow_entries Synthetic files and symlinks.\n"
                "# TYPE sfsg_shadow_entries gauge\nsfsg_shadow_entries %llu\n"
                "# HELP sfsg_uptime_seconds Seconds since the mount started.\n"
                "# TYPE sfsg_uptime_seconds gauge\nsfsg_uptime_seconds %.3f\n"
                "# HELP sfsg_fill_helper_splits_total Large reads whose second half the "
                "fill helper generated.\n"
                "# TYPE sfsg_fill_helper_splits_total counter\n"
                "sfsg_fill_helper_splits_total %llu\n",
                static_cast<unsigned long long>(store_->bytes_used()),
                static_cast<unsigned long long>(overlay_nodes_.load(std::memory_order_relaxed)),
                static_cast<unsigned long long>(ns_->total_bytes()),
                static_cast<unsigned long long>(ns_->entry_count()), now_unix - started_unix_,
                static_cast<unsigned long long>(fill_helper_.helped()));
  return metrics_.PrometheusText() + gauges + board_.Get("metrics_extra") +
         board_.Get("metrics_device");
}

}  // namespace sfsg
