// DeviceGate: how sfsg-mount --device answers every request at an emulated device's time.
//
// A FUSE handler does its work as usual and then replies through ReplyAt(gate, ...):
// without a gate (no --device) the reply runs at once, inline, behind one null check.
// With a gate, the DeviceEmulator (generator/device/device_emulator.h) says when the
// device would have completed the request, counted from when the handler started; if
// that time has passed (the handler itself took longer) the reply goes now, otherwise
// the reply is handed to the ReplyTimer and the worker thread returns to the session at
// once. The time the handler spent is thus subtracted from the model's: the client sees
// the model's time, not the model's time plus sfsg's.
//
// What the handler cannot see is the rest of the request path: the kernel's queueing,
// the round trip to the daemon and back, the reply's way to the client. The floor
// (sfsg-mount --device-floor, measured on the same machine with a zero-time model) is
// that time, per operation class (a read carries its bytes back, a stat does not): each
// reply is due its class's floor before the model's completion, so a request whose
// model time exceeds the floor reaches the client at about the model's time; one whose
// model time is below it goes at once and takes the floor (a device faster than the
// shadow's own request path cannot be emulated). The emulator's queue is not changed:
// it still serves each request for the model's time.
//
// Thread-safe: handlers call Due/Defer from any worker thread (the emulator is behind
// one mutex, held for the model's arithmetic only). The gate's gauges are a live source on
// the control board ("metrics_device", shown in /.sfsg/metrics): made when read.
#pragma once

#include <fcntl.h>
#include <fuse_lowlevel.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fuse/device_timer.h"
#include "generator/device/device_emulator.h"

namespace sfsg {

class ControlBoard;

// The shadow's own request path per operation class, in nanoseconds: data reads, data
// writes, and each metadata operation (MetadataOp). Plain value; For() is O(1).
struct RequestFloor {
  uint64_t read_ns = 0;
  uint64_t write_ns = 0;
  std::array<uint64_t, kMetadataOpCount> metadata_ns{};

  static RequestFloor Uniform(uint64_t ns);
  uint64_t For(const DeviceRequest& io) const;
  bool IsUniform() const;
};

class DeviceGate {
 public:
  // `board` may be null (no gauges published); it must outlive the gate.
  DeviceGate(DeviceModel model, uint64_t seed, ControlBoard* board, RequestFloor floor = {});
  ~DeviceGate();
  DeviceGate(const DeviceGate&) = delete;
  DeviceGate& operator=(const DeviceGate&) = delete;

  // When (steady ns) the reply to `io`, which arrived at arrival_ns, is due.
  uint64_t DueNs(uint64_t arrival_ns, const DeviceRequest& io);
  void Defer(uint64_t due_ns, std::unique_ptr<PendingReply> reply);
  // A reply sent at once because its time had already come.
  void CountLate() { late_.fetch_add(1, std::memory_order_relaxed); }
  // Sends every deferred reply now and stops the timer (see ReplyTimer::Stop).
  void Stop() { timer_.Stop(); }

  // Replaces the model (a passive model refitted): requests from now on are timed by it,
  // on a fresh emulator with the same seed; replies already deferred keep their times.
  void Replace(DeviceModel model);
  DeviceCounters counters() const;  // summed over the models the gate has had
  // The Prometheus text of the gauges (also what is published to the board).
  std::string PrometheusText() const;

 private:
  const uint64_t start_ns_;
  ControlBoard* board_;
  const RequestFloor floor_;
  const uint64_t seed_;
  mutable std::mutex mutex_;  // guards emulator_ and earlier_
  std::unique_ptr<DeviceEmulator> emulator_;
  DeviceCounters earlier_;  // the counters of the emulators Replace() retired
  std::atomic<uint64_t> deferred_{0}, late_{0};
  // The model's response times summed (completion - arrival, before the floor): what
  // the emulated device charged. A replayer compares it with the time its calls took to
  // tell a rung the model timed from one the shadow's own request path did.
  std::atomic<uint64_t> model_ns_{0};
  ReplyTimer timer_;  // last: its thread calls Publish
};

// What a data request asks of the device. open_flags: the file's open flags (fi->flags),
// O_DIRECT bypasses the emulated page cache.
inline DeviceRequest DataIo(bool write, uint64_t ino, uint64_t offset, uint64_t size,
                            int open_flags) {
  DeviceRequest r;
  r.kind = write ? DeviceRequest::Kind::kWrite : DeviceRequest::Kind::kRead;
  r.file = ino;
  r.offset = offset;
  r.size_bytes = size;
  r.direct = (open_flags & O_DIRECT) != 0;
  return r;
}

// ino: the inode whose record the request reads (0: none the model should look up).
inline DeviceRequest MetadataIo(MetadataOp op, uint64_t ino = 0) {
  DeviceRequest r;
  r.kind = DeviceRequest::Kind::kMetadata;
  r.op = op;
  r.file = ino;
  return r;
}

inline DeviceRequest NoDeviceIo() {
  DeviceRequest r;
  r.kind = DeviceRequest::Kind::kNone;
  return r;
}

// Runs `reply` (a callable that sends one fuse_reply_*) when the device would have
// completed `io`: now when gate is null or the time has come, else from the timer thread.
// `reply` must own everything it sends (copies, not pointers into the handler's frame).
template <typename Reply>
void ReplyAt(DeviceGate* gate, uint64_t arrival_ns, const DeviceRequest& io, Reply&& reply) {
  if (gate == nullptr || io.kind == DeviceRequest::Kind::kNone) return static_cast<void>(reply());
  const uint64_t due = gate->DueNs(arrival_ns, io);
  if (due <= SteadyNowNs()) {
    gate->CountLate();
    return static_cast<void>(reply());
  }
  gate->Defer(due,
              std::make_unique<PendingReplyOf<std::decay_t<Reply>>>(std::forward<Reply>(reply)));
}

// fuse_reply_buf at the device's time: the bytes are copied only when the reply waits.
void ReplyBufAt(DeviceGate* gate, uint64_t arrival_ns, const DeviceRequest& io, fuse_req_t req,
                const char* data, size_t size);

}  // namespace sfsg
