// sfsg-compare: distances between two profiles, with an exit status for scripts.
// Options are parsed here and only here.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "generator/scan/compare.h"
#include "generator/util/command_line.h"
#include "generator/util/units.h"

namespace sfsg {
namespace {

namespace po = boost::program_options;

struct CompareCommand {
  std::string a, b;
  bool json = false;
  bool help = false;
  CompareTolerances limits;
};

Result<CompareCommand> ParseArgs(int argc, char** argv, std::string* help_text) {
  CompareCommand out;
  std::string ks = "0.05", depth = "0.1", fanout = "0.1", ext = "0.1", compression = "0.1",
              dedup = "0.1";
  po::options_description visible(
      "Usage: sfsg-compare A.json B.json [options]\n"
      "Prints the distances between two profiles; exits 0 within the tolerances, 7 beyond.\n"
      "Tolerances take a fraction (0.05) or a percentage (5%). Options");
  visible.add_options()("help,h", "print this help and exit")("json", po::bool_switch(&out.json),
                                                              "print the distances as JSON")(
      "max-ks", po::value(&ks)->default_value(ks), "size distributions: KS distance")(
      "max-depth", po::value(&depth)->default_value(depth),
      "dirs and files by depth: total variation")(
      "max-fanout", po::value(&fanout)->default_value(fanout),
      "files and subdirs per directory: total variation")(
      "max-ext", po::value(&ext)->default_value(ext), "extension shares: total variation")(
      "max-compression", po::value(&compression)->default_value(compression),
      "compression ratio: relative difference")(
      "max-dedup", po::value(&dedup)->default_value(dedup), "dedup ratio: relative difference");
  auto vm =
      ParseCommandLine(CommandArgs(argc, argv), visible, "see sfsg-compare --help", "profile");
  if (!vm) return vm.error();
  *help_text = HelpText(visible);
  out.help = vm->count("help") > 0;
  if (out.help) return out;
  const std::vector<std::string> files = PositionalArgs(*vm, "profile");
  if (files.size() != 2)
    return Error::Usage("needs two profiles, A.json and B.json, got " +
                        std::to_string(files.size()) + " (see sfsg-compare --help)");
  out.a = files[0];
  out.b = files[1];
  const std::pair<const std::string*, double*> fields[] = {
      {&ks, &out.limits.max_ks},
      {&depth, &out.limits.max_depth},
      {&fanout, &out.limits.max_fanout},
      {&ext, &out.limits.max_ext},
      {&compression, &out.limits.max_compression},
      {&dedup, &out.limits.max_dedup}};
  const char* names[] = {"--max-ks",  "--max-depth",       "--max-fanout",
                         "--max-ext", "--max-compression", "--max-dedup"};
  for (size_t i = 0; i < std::size(fields); ++i) {
    auto v = ParseFraction(*fields[i].first, names[i]);
    if (!v) return v.error();
    *fields[i].second = *v;
  }
  return out;
}

int Fail(const Error& e) { return ReportFailure("sfsg-compare", e); }

int Main(int argc, char** argv) {
  std::string help;
  auto command = ParseArgs(argc, argv, &help);
  if (!command) return Fail(command.error());
  if (command->help) return WriteStdoutExit("sfsg-compare", help);
  auto a = LoadProfile(command->a);
  if (!a) return Fail(a.error());
  auto b = LoadProfile(command->b);
  if (!b) return Fail(b.error());
  const Comparison c = CompareProfiles(*a, *b, command->limits);
  if (command->json) {
    Json out = c.ToJson();
    out["a"] = command->a;
    out["b"] = command->b;
    std::cout << out.dump(1) << "\n";
  } else {
    std::cout << "A: " << command->a << "\nB: " << command->b << "\n" << c.ToText();
  }
  // A verdict nobody could read is no verdict: a full disk or closed pipe is an error.
  if (Status flushed = FlushStdout(); !flushed) return Fail(flushed.error());
  return c.within() ? 0 : static_cast<int>(ErrorCode::kToleranceExceeded);
}

}  // namespace
}  // namespace sfsg

int main(int argc, char** argv) {
  return sfsg::GuardedMain("sfsg-compare", [&] { return sfsg::Main(argc, argv); });
}
