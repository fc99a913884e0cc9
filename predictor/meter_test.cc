#include "predictor/meter.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "predictor/series.h"

namespace sfsg {
namespace {

class MeterAppend : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "/meter_test.XXXXXX";
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << text;
    return path;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
  }
  static MeterSample Sample(double time_s) {
    MeterSample s;
    s.time_s = time_s;
    s.used_bytes = 1000;
    s.capacity_bytes = 4000;
    s.files = 10;
    return s;
  }

  std::string dir_;
};

TEST_F(MeterAppend, KeepsLeadingCommentsAndAppendsAfterTheHeader) {
  // What scripts/demo writes: a labelled synthetic past, then the header and rows.
  const std::string before = "# SYNTHETIC history (not measured)\n# a second note\n" +
                             MeterCsvHeader() + MeterCsvRow(Sample(1700000000));
  const std::string path = Write("usage.csv", before);
  ASSERT_TRUE(AppendMeterSample(path, Sample(1700000060)).ok());
  EXPECT_EQ(Read(path), before + MeterCsvRow(Sample(1700000060)));
  // The file still reads as a series with both rows.
  auto table = LoadUsageTable(path);
  ASSERT_TRUE(table.ok()) << table.error().message;
  auto used = ExtractSeries(*table, "used_bytes");
  ASSERT_TRUE(used.ok()) << used.error().message;
  EXPECT_EQ(used->time_s.back(), 1700000060);
}

TEST_F(MeterAppend, WritesTheHeaderAfterAFileOfCommentsOnly) {
  const std::string path = Write("notes.csv", "# only a note");
  ASSERT_TRUE(AppendMeterSample(path, Sample(1700000000)).ok());
  EXPECT_EQ(Read(path), "# only a note\n" + MeterCsvHeader() + MeterCsvRow(Sample(1700000000)));
}

TEST_F(MeterAppend, RefusesAForeignHeaderBehindComments) {
  const std::string path = Write("foreign.csv", "# note\ntime,size\n1,2\n");
  const Status s = AppendMeterSample(path, Sample(1700000000));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kBadInput);
  EXPECT_NE(s.error().message.find("'time,size'"), std::string::npos) << s.error().message;
  EXPECT_EQ(Read(path), "# note\ntime,size\n1,2\n");
}

TEST_F(MeterAppend, StartsANewFileWithTheHeader) {
  const std::string path = dir_ + "/new.csv";
  ASSERT_TRUE(AppendMeterSample(path, Sample(1700000000)).ok());
  ASSERT_TRUE(AppendMeterSample(path, Sample(1700000060)).ok());
  EXPECT_EQ(Read(path),
            MeterCsvHeader() + MeterCsvRow(Sample(1700000000)) + MeterCsvRow(Sample(1700000060)));
}

TEST_F(MeterAppend, TerminatesAnUnterminatedLastRowBeforeAppending) {
  // A row cut short (no newline) must not have the next row glued onto it.
  const std::string before = MeterCsvHeader() + "1,2,3";
  const std::string path = Write("cut.csv", before);
  ASSERT_TRUE(AppendMeterSample(path, Sample(1700000000)).ok());
  EXPECT_EQ(Read(path), before + "\n" + MeterCsvRow(Sample(1700000000)));
}

TEST_F(MeterAppend, TerminatesAnUnterminatedHeader) {
  std::string header = MeterCsvHeader();
  header.pop_back();
  const std::string path = Write("header.csv", header);
  ASSERT_TRUE(AppendMeterSample(path, Sample(1700000000)).ok());
  EXPECT_EQ(Read(path), MeterCsvHeader() + MeterCsvRow(Sample(1700000000)));
}

TEST_F(MeterAppend, ContinuesACrlfFileWithCrlf) {
  std::string header = MeterCsvHeader();
  header.insert(header.size() - 1, "\r");
  std::string row = MeterCsvRow(Sample(1700000000));
  row.insert(row.size() - 1, "\r");
  const std::string path = Write("crlf.csv", header + row);
  ASSERT_TRUE(AppendMeterSample(path, Sample(1700000060)).ok()) << "CRLF header refused";
  std::string next = MeterCsvRow(Sample(1700000060));
  next.insert(next.size() - 1, "\r");
  EXPECT_EQ(Read(path), header + row + next);
}

TEST_F(MeterAppend, RefusesAHugeHeaderlessFileAfterReadingOnlyItsStart) {
  // 8 MiB with no newline: refused as a different header, quoted short, file untouched.
  const std::string before(8 << 20, 'x');
  const std::string path = Write("huge.csv", before);
  const Status s = AppendMeterSample(path, Sample(1700000000));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kBadInput);
  EXPECT_LT(s.error().message.size(), 300u) << s.error().message;
  EXPECT_EQ(Read(path).size(), before.size());
}

TEST_F(MeterAppend, RefusesANonRegularFile) {
  const Status s = AppendMeterSample(dir_, Sample(1700000000));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
}

TEST_F(MeterAppend, ContinuesAnEightColumnFileWithEightColumnRows) {
  // A series begun before capacity_files and the time counters existed.
  const std::string before = MeterCsvHeader(/*legacy=*/true) + "1,2,3,4,,,,\n";
  const std::string path = Write("old.csv", before);
  ASSERT_TRUE(AppendMeterSample(path, Sample(1700000000)).ok());
  EXPECT_EQ(Read(path), before + MeterCsvRow(Sample(1700000000), /*legacy=*/true));
  EXPECT_EQ(MeterCsvRow(Sample(1700000000), /*legacy=*/true), "1700000000.000,1000,4000,10,,,,\n");
}

TEST_F(MeterAppend, WritesTheNewColumnsAfterTheFirstEight) {
  MeterSample sample = Sample(1700000000);
  sample.capacity_files = 99;
  sample.disk = DiskCounters{1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(MeterCsvRow(sample), "1700000000.000,1000,4000,10,1,2,3,4,99,5,6,7,8\n");
  EXPECT_EQ(MeterCsvRow(Sample(1700000000)), "1700000000.000,1000,4000,10,,,,,0,,,,\n");
  std::string legacy = MeterCsvHeader(/*legacy=*/true);
  legacy.pop_back();
  EXPECT_EQ(MeterCsvHeader(), legacy +
                                  ",capacity_files,read_time_ms,write_time_ms,io_time_ms,"
                                  "io_weighted_ms\n");
}

TEST_F(MeterAppend, MetersADirectoryBelowItsMountPointByWalkingIt) {
  std::filesystem::create_directories(dir_ + "/tree/sub");
  Write("tree/a", std::string(1000, 'a'));
  Write("tree/sub/b", std::string(234, 'b'));
  std::filesystem::create_symlink("a", dir_ + "/tree/link");
  auto source = ResolveMeterSource(dir_ + "/tree");
  ASSERT_TRUE(source.ok()) << source.error().message;
  ASSERT_TRUE(source->tree);
  auto sample = TakeSample(*source);
  ASSERT_TRUE(sample.ok()) << sample.error().message;
  EXPECT_EQ(sample->used_bytes, 1234u);
  EXPECT_EQ(sample->files, 3u);  // two files and a symlink; directories are not counted
  EXPECT_GE(sample->capacity_bytes, sample->used_bytes);
  EXPECT_GE(sample->capacity_files, sample->files);
}

TEST(MeterSample, MetersAMountPointAsDfDoes) {
  auto source = ResolveMeterSource("/");
  ASSERT_TRUE(source.ok()) << source.error().message;
  EXPECT_FALSE(source->tree);
  auto sample = TakeSample(*source);
  ASSERT_TRUE(sample.ok()) << sample.error().message;
  EXPECT_GT(sample->used_bytes, 0u);
  EXPECT_GE(sample->capacity_bytes, sample->used_bytes);
  EXPECT_GE(sample->capacity_files, sample->files);
}

TEST(MeterOutput, ClassifiesTargets) {
  auto missing = ClassifyMeterOutput(::testing::TempDir() + "/no-such-meter-file.csv");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, MeterOutputKind::kFile);
  auto device = ClassifyMeterOutput("/dev/full");
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(*device, MeterOutputKind::kStream);  // written through, never read
  auto directory = ClassifyMeterOutput("/");
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace sfsg
