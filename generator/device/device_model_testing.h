// Constructed device models for tests (header only; nothing here is measured).
#pragma once

#include <cstdint>

#include "generator/device/device_model.h"

namespace sfsg {

// One 4 KiB bucket taking `us` every time.
inline SizeCurve Flat(double us) {
  SizeCurve c;
  c.buckets.push_back({4096, ServiceTime::Constant(us)});
  return c;
}

// Every data request of 4 KiB or less takes `us` on `servers` servers; no cache, no
// ceilings, no metadata times.
inline DeviceModel ConstantModel(double us, uint32_t servers) {
  const SizeCurve flat = Flat(us);
  DeviceModel m;
  m.servers = servers;
  m.data.read_sequential = m.data.read_random = flat;
  m.data.write_sequential = m.data.write_random = flat;
  return m;
}

}  // namespace sfsg
