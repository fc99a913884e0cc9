// sfsg-meter: sample a real mount at an interval and append usage rows to a CSV.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>

#include "generator/util/command_line.h"
#include "generator/util/units.h"
#include "predictor/meter.h"

namespace po = boost::program_options;

namespace {

// The usage text names the columns from MeterCsvHeader(), so it says what is written.
std::string Usage() {
  std::string header = sfsg::MeterCsvHeader();
  header.pop_back();  // its newline
  const size_t columns = 1 + static_cast<size_t>(std::count(header.begin(), header.end(), ','));
  return "usage: sfsg-meter PATH [--interval 10s] [--count N] [--out usage.csv] [--quiet]\n"
         "Samples PATH's space and entries (statvfs, or a walk of a directory below its mount\n"
         "point) and its block device's /proc/diskstats counters, and appends CSV rows of " +
         std::to_string(columns) + " columns:\n  " + header + "\nSee sfsg-meter(1).\n";
}

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Fail(const sfsg::Error& error) { return sfsg::ReportFailure("sfsg-meter", error); }

// Sleeps until an absolute CLOCK_MONOTONIC deadline; returns early on a stop signal.
void SleepUntil(const timespec& deadline) {
  while (!g_stop) {
    const int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr);
    if (rc == 0) return;
    if (rc != EINTR) return;
  }
}

// Writes a whole header or row to a stream. A stop signal during a write blocked on a
// slow reader ends the run (what was written is a prefix of whole rows or one cut row,
// as a kill would leave). Errors: kIo (ENOSPC, EIO; a reader that goes away raises
// SIGPIPE, which ends the run as for any pipeline).
sfsg::Status WriteStream(int fd, const std::string& text, const std::string& name) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      if (g_stop) return sfsg::Status::Ok();
      continue;
    }
    if (n < 0) return sfsg::Error::Io(name + ": write failed: " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return sfsg::Status::Ok();
}

int Run(int argc, char** argv) {
  std::string path, interval_text = "10s", out = "-", count_text = "0";
  bool quiet = false;
  po::options_description options("options");
  options.add_options()("help,h", "this help")(
      "interval,i", po::value(&interval_text),
      sfsg::WithDefault("time between samples", interval_text).c_str())(
      "count,n", po::value(&count_text), "stop after N samples (default: until SIGINT/SIGTERM)")(
      "out,o", po::value(&out), "CSV to append to (default -: standard output)")(
      "quiet,q", po::bool_switch(&quiet), "do not report the device found");
  auto vm = sfsg::ParseCommandLine(sfsg::CommandArgs(argc, argv), options, "see --help", "path", 1);
  if (!vm) return Fail(vm.error());
  if (vm->count("help")) {
    return sfsg::WriteStdoutExit("sfsg-meter", Usage() + sfsg::HelpText(options));
  }
  for (const std::string& given : sfsg::PositionalArgs(*vm, "path")) path = given;
  if (path.empty()) return Fail(sfsg::Error::Usage("give the PATH to meter (see --help)"));
  // ParseCount, not the option library's unsigned conversion: that reads "-3" as 2^64 - 3.
  auto count_parsed = sfsg::ParseCount(count_text, "--count");
  if (!count_parsed) return Fail(count_parsed.error());
  const uint64_t count = *count_parsed;
  auto interval = sfsg::ParseDurationSeconds(interval_text, "--interval");
  if (!interval) return Fail(interval.error());
  if (!(*interval >= 0.01)) return Fail(sfsg::Error::Usage("--interval: at least 10ms"));
  auto source = sfsg::ResolveMeterSource(path);
  if (!source) return Fail(source.error());
  if (!quiet)
    std::fprintf(stderr, "sfsg-meter: %s on %s (%s), device %s\n", path.c_str(),
                 source->mount_point.c_str(), source->fs_type.c_str(),
                 source->device.empty() ? "none (I/O columns left empty)" : source->device.c_str());
  struct sigaction action {};
  action.sa_handler = OnSignal;  // no SA_RESTART: the sleep returns at once
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // A stream (standard output, a FIFO, a device) is opened once and gets the header
  // first; a regular file is checked and appended to per sample.
  int stream_fd = -1;
  if (out == "-") {
    stream_fd = STDOUT_FILENO;
  } else {
    auto kind = sfsg::ClassifyMeterOutput(out);
    if (!kind) return Fail(kind.error());
    if (*kind == sfsg::MeterOutputKind::kStream) {
      // Opening a FIFO waits for its reader; a stop signal interrupts the wait.
      while ((stream_fd = ::open(out.c_str(), O_WRONLY | O_CLOEXEC)) < 0 && errno == EINTR)
        if (g_stop) return 0;
      if (stream_fd < 0) return Fail(sfsg::Error::Io(out + ": " + std::strerror(errno)));
    }
  }
  const std::string stream_name = out == "-" ? "standard output" : out;
  if (stream_fd >= 0) {
    sfsg::Status written = WriteStream(stream_fd, sfsg::MeterCsvHeader(), stream_name);
    if (!written) return Fail(written.error());
  }
  timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  for (uint64_t taken = 0; !g_stop && (count == 0 || taken < count); ++taken) {
    if (taken > 0) {
      const double next = deadline.tv_sec + deadline.tv_nsec * 1e-9 + *interval;
      deadline.tv_sec = static_cast<time_t>(std::floor(next));
      deadline.tv_nsec = static_cast<long>((next - std::floor(next)) * 1e9);
      SleepUntil(deadline);
      if (g_stop) break;
    }
    auto sample = sfsg::TakeSample(*source);
    if (!sample) return Fail(sample.error());
    if (stream_fd >= 0) {
      sfsg::Status written = WriteStream(stream_fd, sfsg::MeterCsvRow(*sample), stream_name);
      if (!written) return Fail(written.error());
    } else {
      sfsg::Status appended = sfsg::AppendMeterSample(out, *sample);
      if (!appended) return Fail(appended.error());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return sfsg::GuardedMain("sfsg-meter", [&] { return Run(argc, argv); });
}
