// sfsg-calibrate: measure a real storage target (actively, passively from diskstats, or
// from fio results) and write a device model for `sfsg-mount --device`.
#include <signal.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "generator/device/device_model.h"
#include "generator/util/command_line.h"
#include "generator/util/json_io.h"
#include "generator/util/units.h"
#include "predictor/calibrate/active.h"
#include "predictor/calibrate/fio_import.h"
#include "predictor/calibrate/model_writer.h"
#include "predictor/calibrate/passive.h"
#include "predictor/series.h"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: sfsg-calibrate --target DIR [--size 256M] [--time 60s] [--max-concurrency 32] -o "
    "MODEL.json\n"
    "       sfsg-calibrate --passive USAGE.csv -o MODEL.json\n"
    "       sfsg-calibrate --fio FIO.json -o MODEL.json\n"
    "       sfsg-calibrate --check MODEL.json\n"
    "Measures a storage target and writes a device model (\"format\": \"sfsg-device\") for\n"
    "sfsg-mount --device. --target runs a short, bounded calibration in a scratch directory\n"
    "on DIR (removed at the end and on SIGINT/SIGTERM); as root it also drops the kernel's\n"
    "clean caches twice to time uncached inode records. --passive fits the diskstats\n"
    "counters of a metering history; --fio imports fio json+ results. See sfsg-calibrate(1).\n"
    "Exit: 0 ok, 2 usage, 3 I/O (target missing or not writable), 4 malformed input,\n"
    "6 no space on the target, 130 interrupted.\n";

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

int Fail(const sfsg::Error& error) {
  if (g_stop.load()) {
    std::fprintf(stderr, "sfsg-calibrate: interrupted; the scratch directory was removed\n");
    return sfsg::kInterruptedExit;
  }
  return sfsg::ReportFailure("sfsg-calibrate", error);
}

int Run(int argc, char** argv) {
  std::string target, passive, fio, check, output, size_text = "256M", time_text = "60s";
  uint32_t max_concurrency = 32;
  uint64_t seed = 1;
  bool quiet = false;
  po::options_description options("options");
  options.add_options()("help,h", "this help")("target", po::value(&target),
                                               "directory on the storage to calibrate actively")(
      "passive", po::value(&passive), "usage CSV with the diskstats counters to fit")(
      "fio", po::value(&fio), "fio --output-format=json+ results to import")(
      "check", po::value(&check), "validate a device model and print its summary")(
      "output,o", po::value(&output), "device model to write (required)")(
      "size", po::value(&size_text),
      sfsg::WithDefault("active: scratch data file size", size_text).c_str())(
      "time", po::value(&time_text),
      sfsg::WithDefault("active: time for all phases", time_text).c_str())(
      "max-concurrency", po::value(&max_concurrency),
      sfsg::WithDefault("active: deepest ladder rung", std::to_string(max_concurrency)).c_str())(
      "seed", po::value(&seed),
      sfsg::WithDefault("active: seed of random offsets and written bytes", std::to_string(seed))
          .c_str())("quiet,q", po::bool_switch(&quiet), "do not print the summary");
  auto vm = sfsg::ParseCommandLine(sfsg::CommandArgs(argc, argv), options, "see --help");
  if (!vm) return Fail(vm.error());
  if (vm->count("help")) {
    return sfsg::WriteStdoutExit("sfsg-calibrate", kUsage + sfsg::HelpText(options));
  }
  const int modes = !target.empty() + !passive.empty() + !fio.empty() + !check.empty();
  if (modes != 1)
    return Fail(
        sfsg::Error::Usage("give exactly one of --target, --passive, --fio, --check (see --help)"));
  if (!check.empty()) {
    auto model = sfsg::ReadDeviceModel(check);
    if (!model) return Fail(model.error());
    std::cout << sfsg::ModelSummary(*model);
    return 0;
  }
  if (output.empty()) return Fail(sfsg::Error::Usage("--output MODEL.json is required"));
  if (sfsg::Status st = sfsg::CheckWritable(output); !st) return Fail(st.error());

  sfsg::Result<sfsg::Calibration> calibration = sfsg::Error::Internal("no mode");
  if (!target.empty()) {
    auto size = sfsg::ParseBytes(size_text, "--size");
    if (!size) return Fail(size.error());
    auto seconds = sfsg::ParseDurationSeconds(time_text, "--time");
    if (!seconds) return Fail(seconds.error());
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sfsg::ActiveOptions active;
    active.target = target;
    active.size_bytes = *size;
    active.time_s = *seconds;
    active.max_concurrency = max_concurrency;
    active.seed = seed;
    active.stop = &g_stop;
    calibration = sfsg::RunActiveCalibration(active);
  } else if (!passive.empty()) {
    auto table = sfsg::LoadUsageTable(passive);
    if (!table) return Fail(table.error());
    calibration = sfsg::FitPassive(*table);
  } else {
    calibration = sfsg::LoadFioCalibration(fio);
  }
  if (!calibration) return Fail(calibration.error());
  auto model = sfsg::ToDeviceModel(*calibration);
  if (!model) return Fail(model.error());
  if (sfsg::Status st = sfsg::WriteDeviceModel(*model, output); !st) return Fail(st.error());
  if (!quiet)
    std::cout << sfsg::CalibrationSummary(*calibration, *model) << "wrote " << output << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return sfsg::GuardedMain("sfsg-calibrate", [&] { return Run(argc, argv); });
}
