// sfsg-scan: measures a real tree into a profile. Options are parsed here and only here.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "generator/scan/scanner.h"
#include "generator/util/json_io.h"
#include "generator/util/command_line.h"
#include "generator/util/units.h"

namespace sfsg {
namespace {

namespace po = boost::program_options;

struct ScanCommand {
  std::string path;
  std::string output = "-";  // "-": the profile JSON goes to stdout
  bool quiet = false;
  bool json_progress = false;
  bool help = false;
  ScanOptions scan;
};

Result<ScanCommand> ParseArgs(int argc, char** argv, std::string* help_text) {
  ScanCommand out;
  std::string sample_files = "2000", sample_bytes = "256M";
  int threads = 0;
  size_t top = 32;
  bool one_fs = false, cross = false;
  po::options_description visible(
      "Usage: sfsg-scan PATH [options]\n"
      "Measures the tree at PATH into a profile (statistics only: never a name or a byte\n"
      "of content). Options");
  visible.add_options()("help,h", "print this help and exit")(
      "output,o", po::value(&out.output), "write the profile here (default: stdout)")(
      "quiet,q", po::bool_switch(&out.quiet), "no progress and no summary")(
      "json-progress", po::bool_switch(&out.json_progress),
      "progress as JSON lines on stderr, even without a terminal")(
      "one-file-system,x", po::bool_switch(&one_fs), "stay on PATH's filesystem (the default)")(
      "cross-mounts", po::bool_switch(&cross), "descend into filesystems mounted below PATH")(
      "threads,t", po::value(&threads), "walk and sampling threads (default: max(4, 2 x cores))")(
      "sample-files", po::value(&sample_files)->default_value("2000"),
      "content sample: at most N files (0: no sampling)")(
      "sample-bytes", po::value(&sample_bytes)->default_value("256M"),
      "content sample: at most this many bytes read")(
      "top-extensions", po::value(&top)->default_value(32),
      "extensions kept by name (the rest pooled as *)");
  auto parsed = ParseCommandLine(CommandArgs(argc, argv), visible, "see sfsg-scan --help", "path");
  if (!parsed) return parsed.error();
  const po::variables_map& vm = *parsed;
  *help_text = HelpText(visible);
  out.help = vm.count("help") > 0;
  if (out.help) return out;
  const std::vector<std::string> paths = PositionalArgs(vm, "path");
  if (paths.empty()) return Error::Usage("missing PATH (see sfsg-scan --help)");
  if (paths.size() > 1) return Error::Usage("one PATH only, got '" + paths[1] + "' too");
  out.path = paths[0];
  if (vm.count("output") && out.output.empty())
    return Error::Usage("--output: an empty path (use '-' for stdout)");
  if (one_fs && cross) return Error::Usage("--one-file-system and --cross-mounts contradict");
  out.scan.one_file_system = !cross;
  if (vm.count("threads") && (threads < 1 || threads > 1024))
    return Error::Usage("--threads: " + std::to_string(threads) + " is not in 1..1024");
  out.scan.threads = threads;
  auto files = ParseCount(sample_files, "--sample-files");
  if (!files) return files.error();
  auto bytes = ParseBytes(sample_bytes, "--sample-bytes");
  if (!bytes) return bytes.error();
  out.scan.sample_files = *files;
  out.scan.sample_bytes = *bytes;
  if (top < 1 || top > 10000)
    return Error::Usage("--top-extensions: " + std::to_string(top) + " is not in 1..10000");
  out.scan.top_extensions = top;
  return out;
}

void PrintJsonProgress(const ScanProgress& p) {
  std::fprintf(stderr,
               "{\"phase\":\"%s\",\"dirs\":%llu,\"entries\":%llu,\"bytes\":%.0f,"
               "\"skipped\":%llu,\"seconds\":%.3f,\"done\":%s}\n",
               p.phase, static_cast<unsigned long long>(p.dirs),
               static_cast<unsigned long long>(p.entries), p.bytes,
               static_cast<unsigned long long>(p.skipped), p.seconds, p.done ? "true" : "false");
}

void PrintTerminalProgress(const ScanProgress& p) {
  if (std::string_view(p.phase) == "walk") {
    std::fprintf(stderr, "\rsfsg-scan: %s dirs, %s entries, %s, %s skipped, %.1f s   ",
                 FormatCount(static_cast<double>(p.dirs)).c_str(),
                 FormatCount(static_cast<double>(p.entries)).c_str(), FormatBytes(p.bytes).c_str(),
                 FormatCount(static_cast<double>(p.skipped)).c_str(), p.seconds);
  } else {
    std::fprintf(stderr, "\rsfsg-scan: content sample %s files, %s read, %.1f s   ",
                 FormatCount(static_cast<double>(p.entries)).c_str(), FormatBytes(p.bytes).c_str(),
                 p.seconds);
  }
  if (p.done) std::fputc('\n', stderr);
  std::fflush(stderr);
}

std::string Summary(const std::string& path, const Profile& p) {
  std::ostringstream s;
  const double entries =
      static_cast<double>(p.totals.files + p.totals.symlinks + p.totals.others + p.totals.dirs);
  s << path << ": " << FormatCount(static_cast<double>(p.totals.files)) << " files, "
    << FormatCount(static_cast<double>(p.totals.dirs)) << " dirs, "
    << FormatCount(static_cast<double>(p.totals.symlinks)) << " symlinks, "
    << FormatBytes(p.totals.bytes) << " in " << std::round(p.source.scan_seconds * 100) / 100
    << " s (" << FormatCount(entries / std::max(1e-3, p.source.scan_seconds)) << " entries/s), "
    << p.source.skipped << " skipped\n";
  const SizeFit& f = p.sizes.fit;
  s << "sizes: empty " << std::round(p.sizes.empty_fraction * 1000) / 10 << "%, median "
    << (p.sizes.log2_quantiles.empty() ? "-"
                                       : FormatBytes(std::exp2(p.sizes.log2_quantiles.At(0.5))))
    << ", max " << FormatBytes(static_cast<double>(p.sizes.max_bytes)) << "; fit lognormal(mu "
    << std::round(f.lognormal_mu * 100) / 100 << ", sigma "
    << std::round(f.lognormal_sigma * 100) / 100 << ")";
  if (f.tail_fraction > 0)
    s << " + Pareto(xmin " << FormatBytes(f.pareto_xmin_bytes) << ", alpha "
      << std::round(f.pareto_alpha * 100) / 100 << ", " << std::round(f.tail_fraction * 10000) / 100
      << "% of files)";
  s << ", KS " << std::round(f.ks_distance * 1000) / 1000 << "\n";
  s << "shape: depth 0.." << p.shape.dirs_by_depth.size() - 1 << ", files/dir mean "
    << std::round(p.shape.files_per_dir.mean() * 10) / 10 << ", subdirs/dir mean "
    << std::round(p.shape.subdirs_per_dir.mean() * 10) / 10 << "; symlinks "
    << std::round(p.links.symlink_fraction * 1000) / 10 << "%, hardlinked "
    << std::round(p.links.hardlink_fraction * 1000) / 10 << "%\n";
  s << "extensions:";
  for (size_t i = 0; i < p.extensions.size() && i < 8; ++i) {
    const ExtensionStats& e = p.extensions[i];
    s << " " << (e.ext.empty() ? "(none)" : e.ext) << " "
      << std::round(1000.0 * static_cast<double>(e.files) /
                    std::max<double>(1, static_cast<double>(p.totals.files))) /
             10
      << "%";
  }
  s << "\ncontent: ";
  if (p.content.sampled_files == 0) {
    s << "not sampled (built-in ratios)\n";
  } else {
    s << "zstd " << std::round(p.content.compression_ratio * 100) / 100 << "x, dedup "
      << std::round(p.content.dedup_ratio * 1000) / 1000 << "x, zero chunks "
      << std::round(p.content.zero_chunk_fraction * 1000) / 10 << "% (" << p.content.sampled_files
      << " files, " << FormatBytes(static_cast<double>(p.content.sampled_bytes)) << " sampled)\n";
  }
  s << "filesystem: " << (p.source.fs_type.empty() ? "?" : p.source.fs_type) << ", "
    << FormatBytes(static_cast<double>(p.source.used_bytes)) << " used of "
    << FormatBytes(static_cast<double>(p.source.capacity_bytes)) << ", inodes "
    << FormatCount(static_cast<double>(p.source.inodes_used)) << " of "
    << FormatCount(static_cast<double>(p.source.inodes_total)) << "\n";
  return s.str();
}

// Regular files are replaced atomically (SaveProfile); anything else that exists (a
// device such as /dev/null, a fifo) is written through, never renamed over.
Status WriteProfile(const Profile& profile, const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return SaveProfile(profile, path);
  std::ofstream out(path, std::ios::binary);
  out << ProfileToJson(profile).dump(1) << "\n";
  out.flush();
  if (!out) return Error::Io(path + ": cannot write");
  return Status::Ok();
}

int Fail(const Error& e) { return ReportFailure("sfsg-scan", e); }

int Main(int argc, char** argv) {
  std::string help;
  auto command = ParseArgs(argc, argv, &help);
  if (!command) return Fail(command.error());
  if (command->help) return WriteStdoutExit("sfsg-scan", help);
  ScanCommand& c = *command;
  if (c.json_progress) {
    c.scan.progress = PrintJsonProgress;
  } else if (!c.quiet && ::isatty(STDERR_FILENO)) {
    c.scan.progress = PrintTerminalProgress;
  }
  // A scan can take hours: where its profile goes is checked first, not after.
  if (c.output != "-")
    if (Status s = CheckWritable(c.output); !s) return Fail(s.error());
  auto profile = ScanTree(c.path, c.scan);
  if (!profile) return Fail(profile.error());
  if (c.output == "-") {
    std::cout << ProfileToJson(*profile).dump(1) << "\n";
    if (Status flushed = FlushStdout(); !flushed) return Fail(flushed.error());
    return 0;
  }
  if (auto status = WriteProfile(*profile, c.output); !status) return Fail(status.error());
  if (!c.quiet) std::cout << Summary(c.path, *profile) << "wrote " << c.output << "\n";
  return 0;
}

}  // namespace
}  // namespace sfsg

int main(int argc, char** argv) {
  return sfsg::GuardedMain("sfsg-scan", [&] { return sfsg::Main(argc, argv); });
}
