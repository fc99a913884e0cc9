// Tunables and fixed constants of the generator and the replayer, each with its reason,
// in one place (after LevelDB's `namespace config` in db/dbformat.h). Code that needs one
// of these values names it here; no file repeats the literal.
#pragma once

#include <cstdint>

namespace sfsg::config {

// Seconds in a day: the unit of horizons, ages and daily seasonality.
inline constexpr double kDaySeconds = 86400;

// The instant synthetic timestamps count back from when neither the options nor the
// profile give one (2026-01-01T00:00:00Z): a fixed instant, so the same profile, seed and
// scale give the same attributes on every machine and every day.
inline constexpr double kGeneratorEpochUnix = 1767225600;

// File content is generated, and the write overlay stores it, in blocks of this size
// (the page size, and the unit FUSE reads in).
inline constexpr uint32_t kBlockBytes = 4096;

// Directories report 4 KiB per 128 entries, as ext4 roughly does.
inline constexpr uint64_t kDirectoryBlockBytes = 4096;
inline constexpr uint64_t kDirectoryEntriesPerBlock = 128;

// The replayer's hot-set search visits at most this many entries of a shadow (a huge
// shadow is sampled, not walked): the file set it opens and the fio job it writes agree.
inline constexpr uint64_t kHotSearchLimit = 2000000;

// The load ladder's default concurrency steps (sfsg-replay --ladder, sfsg-mount --ladder).
inline constexpr uint32_t kLadder[] = {1, 2, 4, 8};

}  // namespace sfsg::config
