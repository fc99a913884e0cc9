#include "generator/replay/proc_stats.h"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "generator/util/json_io.h"

namespace sfsg {

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

double MonotonicSeconds() { return static_cast<double>(MonotonicNs()) * 1e-9; }

Result<ProcSample> SampleProcess(int64_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  auto stat = ReadTextFile(dir + "/stat");
  if (!stat) return Error::Io("process " + std::to_string(pid) + ": not running (" + dir + ")");
  ProcSample sample;
  sample.wall_s = MonotonicSeconds();
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const size_t paren = stat->rfind(')');
  if (paren == std::string::npos) return Error::BadInput(dir + "/stat: no ')' in '" + *stat + "'");
  // After ')' come field 3 (state) onwards; utime and stime are fields 14 and 15.
  const char* p = stat->c_str() + paren + 1;
  unsigned long long utime = 0, stime = 0;
  if (std::sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
    return Error::BadInput(dir + "/stat: cannot read utime and stime");
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  sample.cpu_s = static_cast<double>(utime + stime) / ticks;
  auto status = ReadTextFile(dir + "/status");
  if (!status) return status.error();
  if (const size_t at = status->find("VmRSS:"); at != std::string::npos)
    sample.rss_bytes = std::strtoull(status->c_str() + at + 6, nullptr, 10) * 1024;
  return sample;
}

double CpuPercent(const ProcSample& before, const ProcSample& after) {
  const double wall = after.wall_s - before.wall_s;
  if (!(wall > 0)) return 0;
  return 100.0 * (after.cpu_s - before.cpu_s) / wall;
}

void SleepUntilNs(uint64_t deadline_ns) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(deadline_ns / 1000000000ull);
  ts.tv_nsec = static_cast<long>(deadline_ns % 1000000000ull);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace sfsg
