#include "fuse/device_gate.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "fuse/shadow_fs.h"

namespace sfsg {

namespace {
constexpr uint64_t kTickNs = 200'000'000;  // the reply timer's idle wake-up
}  // namespace

RequestFloor RequestFloor::Uniform(uint64_t ns) {
  RequestFloor f;
  f.read_ns = f.write_ns = ns;
  f.metadata_ns.fill(ns);
  return f;
}

uint64_t RequestFloor::For(const DeviceRequest& io) const {
  switch (io.kind) {
    case DeviceRequest::Kind::kRead:
      return read_ns;
    case DeviceRequest::Kind::kWrite:
      return write_ns;
    case DeviceRequest::Kind::kMetadata:
      return metadata_ns[static_cast<int>(io.op)];
    case DeviceRequest::Kind::kNone:
      break;
  }
  return 0;
}

bool RequestFloor::IsUniform() const {
  for (uint64_t ns : metadata_ns)
    if (ns != read_ns) return false;
  return write_ns == read_ns;
}

DeviceGate::DeviceGate(DeviceModel model, uint64_t seed, ControlBoard* board, RequestFloor floor)
    : start_ns_(SteadyNowNs()),
      board_(board),
      floor_(floor),
      seed_(seed),
      emulator_(std::make_unique<DeviceEmulator>(std::move(model), seed)),
      timer_(kTickNs, nullptr) {
  if (board_ != nullptr) board_->SetSource("metrics_device", [this] { return PrometheusText(); });
}

DeviceGate::~DeviceGate() {
  timer_.Stop();
  if (board_ != nullptr) {  // the last figures stay readable
    board_->SetSource("metrics_device", nullptr);
    board_->Publish("metrics_device", PrometheusText());
  }
}

uint64_t DeviceGate::DueNs(uint64_t arrival_ns, const DeviceRequest& io) {
  DeviceRequest r = io;
  r.arrival_us = arrival_ns > start_ns_ ? static_cast<double>(arrival_ns - start_ns_) / 1e3 : 0;
  double completion_us;
  {
    std::lock_guard lock(mutex_);
    completion_us = emulator_->Submit(r).completion_us;
  }
  const uint64_t due = start_ns_ + static_cast<uint64_t>(completion_us * 1e3);
  const uint64_t arrived = std::max(arrival_ns, start_ns_);
  if (due > arrived) model_ns_.fetch_add(due - arrived, std::memory_order_relaxed);
  const uint64_t floor_ns = floor_.For(io);
  return due > floor_ns ? due - floor_ns : 0;
}

void DeviceGate::Defer(uint64_t due_ns, std::unique_ptr<PendingReply> reply) {
  deferred_.fetch_add(1, std::memory_order_relaxed);
  timer_.Schedule(due_ns, std::move(reply));
}

namespace {
DeviceCounters Sum(DeviceCounters a, const DeviceCounters& b) {
  a.requests += b.requests;
  a.device_requests += b.device_requests;
  a.read_cache_hits += b.read_cache_hits;
  a.read_cache_misses += b.read_cache_misses;
  a.capped += b.capped;
  a.writeback_waits += b.writeback_waits;
  a.inode_misses += b.inode_misses;
  a.inode_rereads += b.inode_rereads;
  a.queue_us_total += b.queue_us_total;
  a.service_us_total += b.service_us_total;
  return a;
}
}  // namespace

void DeviceGate::Replace(DeviceModel model) {
  auto fresh = std::make_unique<DeviceEmulator>(std::move(model), seed_);
  std::lock_guard lock(mutex_);
  earlier_ = Sum(earlier_, emulator_->counters());
  emulator_ = std::move(fresh);
}

DeviceCounters DeviceGate::counters() const {
  std::lock_guard lock(mutex_);
  return Sum(earlier_, emulator_->counters());
}

std::string DeviceGate::PrometheusText() const {
  DeviceCounters c = counters();
  uint32_t busy, servers;
  {
    std::lock_guard lock(mutex_);
    busy = emulator_->BusyServers(static_cast<double>(SteadyNowNs() - start_ns_) / 1e3);
    servers = emulator_->model().servers;
  }
  const uint64_t looked_up = c.read_cache_hits + c.read_cache_misses;
  const double hit_ratio =
      looked_up ? static_cast<double>(c.read_cache_hits) / static_cast<double>(looked_up) : 0;
  char text[3584];
  std::snprintf(
      text, sizeof(text),
      "# HELP sfsg_device_requests_total Requests answered at the device model's time.\n"
      "# TYPE sfsg_device_requests_total counter\nsfsg_device_requests_total %" PRIu64
      "\n"
      "# HELP sfsg_device_delayed_replies_total Replies sent later by the timer thread.\n"
      "# TYPE sfsg_device_delayed_replies_total counter\n"
      "sfsg_device_delayed_replies_total %" PRIu64
      "\n"
      "# HELP sfsg_device_late_replies_total Replies whose model time had passed when the "
      "handler finished (sent at once).\n"
      "# TYPE sfsg_device_late_replies_total counter\nsfsg_device_late_replies_total %" PRIu64
      "\n"
      "# HELP sfsg_device_queue_depth Replies waiting for their device time.\n"
      "# TYPE sfsg_device_queue_depth gauge\nsfsg_device_queue_depth %" PRIu64
      "\n"
      "# HELP sfsg_device_busy_servers Emulated servers busy now.\n"
      "# TYPE sfsg_device_busy_servers gauge\nsfsg_device_busy_servers %u\n"
      "# HELP sfsg_device_servers Emulated servers (the model's parallelism).\n"
      "# TYPE sfsg_device_servers gauge\nsfsg_device_servers %u\n"
      "# HELP sfsg_device_cache_hit_ratio Buffered reads served by the emulated page cache.\n"
      "# TYPE sfsg_device_cache_hit_ratio gauge\nsfsg_device_cache_hit_ratio %.6f\n"
      "# HELP sfsg_device_cache_hits_total Buffered reads wholly in the emulated cache.\n"
      "# TYPE sfsg_device_cache_hits_total counter\nsfsg_device_cache_hits_total %" PRIu64
      "\n"
      "# HELP sfsg_device_cache_misses_total Buffered reads that went to the device.\n"
      "# TYPE sfsg_device_cache_misses_total counter\nsfsg_device_cache_misses_total %" PRIu64
      "\n"
      "# HELP sfsg_device_inode_misses_total Metadata requests that read an inode record "
      "from the device first.\n"
      "# TYPE sfsg_device_inode_misses_total counter\nsfsg_device_inode_misses_total %" PRIu64
      "\n"
      "# HELP sfsg_device_inode_rereads_total Inode records read again: the inode had been in "
      "memory and was reclaimed.\n"
      "# TYPE sfsg_device_inode_rereads_total counter\nsfsg_device_inode_rereads_total %" PRIu64
      "\n"
      "# HELP sfsg_device_ops_total Requests that occupied an emulated server.\n"
      "# TYPE sfsg_device_ops_total counter\nsfsg_device_ops_total %" PRIu64
      "\n"
      "# HELP sfsg_device_capped_total Requests a bandwidth or IOPS ceiling delayed.\n"
      "# TYPE sfsg_device_capped_total counter\nsfsg_device_capped_total %" PRIu64
      "\n"
      "# HELP sfsg_device_queue_seconds_total Time requests waited for a server or a ceiling.\n"
      "# TYPE sfsg_device_queue_seconds_total counter\nsfsg_device_queue_seconds_total %.6f\n"
      "# HELP sfsg_device_service_seconds_total Emulated service time.\n"
      "# TYPE sfsg_device_service_seconds_total counter\nsfsg_device_service_seconds_total "
      "%.6f\n"
      "# HELP sfsg_device_model_seconds_total The model's response times summed (what the "
      "emulated device charged, queueing included).\n"
      "# TYPE sfsg_device_model_seconds_total counter\nsfsg_device_model_seconds_total %.6f\n"
      "# HELP sfsg_device_timer_early_seconds How early the timer thread wakes (its measured "
      "oversleep).\n"
      "# TYPE sfsg_device_timer_early_seconds gauge\nsfsg_device_timer_early_seconds %.9f\n",
      c.requests, deferred_.load(std::memory_order_relaxed), late_.load(std::memory_order_relaxed),
      timer_.pending(), busy, servers, hit_ratio, c.read_cache_hits, c.read_cache_misses,
      c.inode_misses, c.inode_rereads, c.device_requests, c.capped, c.queue_us_total / 1e6,
      c.service_us_total / 1e6,
      static_cast<double>(model_ns_.load(std::memory_order_relaxed)) / 1e9,
      static_cast<double>(timer_.oversleep_ns()) / 1e9);
  return text;
}

void ReplyBufAt(DeviceGate* gate, uint64_t arrival_ns, const DeviceRequest& io, fuse_req_t req,
                const char* data, size_t size) {
  if (gate == nullptr || io.kind == DeviceRequest::Kind::kNone)
    return static_cast<void>(fuse_reply_buf(req, data, size));
  const uint64_t due = gate->DueNs(arrival_ns, io);
  if (due <= SteadyNowNs()) {
    gate->CountLate();
    return static_cast<void>(fuse_reply_buf(req, data, size));
  }
  auto send = [req, copy = std::vector<char>(data, data + size)] {
    fuse_reply_buf(req, copy.data(), copy.size());
  };
  gate->Defer(due, std::make_unique<PendingReplyOf<decltype(send)>>(std::move(send)));
}

}  // namespace sfsg
