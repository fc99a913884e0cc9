#include "predictor/series.h"

#include <gtest/gtest.h>

#include <cmath>

namespace sfsg {
namespace {

TEST(SeriesTest, ParsesUnixAndIsoTimestamps) {
  auto t = ParseTimestamp("1700000000", "t");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 1700000000);
  EXPECT_EQ(*ParseTimestamp("1970-01-01T00:00:00Z", "t"), 0);
  EXPECT_EQ(*ParseTimestamp("2014-03-01 17:34:00", "t"), 1393695240);
  EXPECT_EQ(*ParseTimestamp("2014-03-01T19:34:00+02:00", "t"), 1393695240);
  EXPECT_DOUBLE_EQ(*ParseTimestamp("2000-02-29T12:00:00.25Z", "t"), 951825600.25);
  EXPECT_EQ(*ParseTimestamp("2024-01-01", "t"), 1704067200);
  EXPECT_EQ(*ParseTimestamp("2024-02-29", "t"), 1709164800);  // a leap day
  for (const char* bad : {"2014-13-01 00:00:00", "2014-03-01 17:34:00 junk", "soon", "",
                          "2014-03-01T25:00", "2024-02-30", "2023-02-29", "2024-04-31T00:00:00Z"}) {
    auto r = ParseTimestamp(bad, "line 3: timestamp");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().message.find("line 3"), std::string::npos);
  }
}

// A timestamp outside 1970..2200 is a unit mistake or damage: refused, naming where it
// is and the value, with a hint when it reads as milliseconds.
TEST(SeriesTest, RefusesImplausibleTimestamps) {
  struct Case {
    const char* text;
    const char* hint;
  };
  for (const Case& c :
       {Case{"1700000000000", "looks like milliseconds"},
        Case{"1700000000000000", "looks like microseconds"}, Case{"1e300", "'1e300'"},
        Case{"-5", "'-5'"}, Case{"2201-01-01T00:00:00Z", "between 1970 and 2200"},
        Case{"1969-12-31", "between 1970 and 2200"}}) {
    auto r = ParseTimestamp(c.text, "u.csv:7: timestamp");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().message.find("u.csv:7"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(c.hint), std::string::npos) << r.error().message;
  }
  EXPECT_TRUE(ParseTimestamp("2199-12-31T23:59:59Z", "t").ok());
  // Epoch seconds in a Prometheus export are checked the same way.
  auto prom = ParsePrometheusRange(
      R"({"data": {"resultType": "matrix", "result": [{"metric": {"__name__": "used_bytes"},
          "values": [[1700000000000, "1"]]}]}})",
      "p.json");
  ASSERT_FALSE(prom.ok());
  EXPECT_NE(prom.error().message.find("p.json: data.result[0].values[0]"), std::string::npos)
      << prom.error().message;
}

// Prometheus samples going back in time are refused, as a CSV's are.
TEST(SeriesTest, PrometheusTimestampsGoingBackwardsAreRefused) {
  auto prom = ParsePrometheusRange(
      R"({"data": {"resultType": "matrix", "result": [{"metric": {"__name__": "used_bytes"},
          "values": [[1700000000, "1"], [1700000600, "2"], [1700000300, "3"]]}]}})",
      "p.json");
  ASSERT_FALSE(prom.ok());
  EXPECT_EQ(prom.error().code, ErrorCode::kBadInput);
  EXPECT_NE(prom.error().message.find("values[2]: timestamp goes backwards"), std::string::npos)
      << prom.error().message;
}

TEST(SeriesTest, ReadsCsvAndReportsDuplicatesGapsAndEmptyCells) {
  const std::string csv =
      "# metered by hand\n"
      "timestamp,used_bytes,files\n"
      "0,100,10\n"
      "60,110,\n"
      "60,115,11\n"  // duplicate timestamp: the later sample wins
      "120,120,12\n"
      "600,160,13\n"  // a gap of 8 steps
      "660,165,14\n";
  auto table = ParseUsageCsv(csv, "usage.csv");
  ASSERT_TRUE(table.ok()) << table.error().message;
  auto used = ExtractSeries(*table, "used_bytes");
  ASSERT_TRUE(used.ok()) << used.error().message;
  EXPECT_EQ(used->unit, "bytes");
  EXPECT_EQ(used->time_s, (std::vector<double>{0, 60, 120, 600, 660}));
  EXPECT_EQ(used->values, (std::vector<double>{100, 115, 120, 160, 165}));
  EXPECT_EQ(used->quality.duplicates, 1u);
  EXPECT_EQ(used->quality.gaps, 1u);
  EXPECT_EQ(used->quality.median_step_s, 60);
  EXPECT_EQ(used->quality.longest_gap_s, 480);
  auto files = ExtractSeries(*table, "files");
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->quality.empty_cells, 1u);
  EXPECT_EQ(files->quality.duplicates, 0u);
  // The grid keeps the native step and counts what it had to fill in the gap.
  const RegularGrid grid = ToRegularGrid(*used, 0);
  EXPECT_EQ(grid.step_s, 60);
  ASSERT_EQ(grid.values.size(), 12u);
  EXPECT_EQ(grid.filled, 7u);
  EXPECT_DOUBLE_EQ(grid.values[6], 140);  // halfway between 120 and 160
}

TEST(SeriesTest, DifferencesCountersIntoRatesAcrossResets) {
  const std::string csv =
      "timestamp,read_ops,write_ops,read_bytes\n"
      "0,1000,500,0\n"
      "10,1100,700,4096\n"
      "20,1300,800,8192\n"
      "30,50,900,12288\n"  // read_ops restarted from zero
      "40,150,1000,16384\n";
  auto table = ParseUsageCsv(csv, "io.csv");
  ASSERT_TRUE(table.ok()) << table.error().message;
  auto reads = ExtractSeries(*table, "read_ops");
  ASSERT_TRUE(reads.ok());
  EXPECT_EQ(reads->kind, SeriesKind::kCounter);
  EXPECT_EQ(reads->time_s, (std::vector<double>{10, 20, 30, 40}));
  EXPECT_EQ(reads->values, (std::vector<double>{10, 20, 5, 10}));
  EXPECT_EQ(reads->quality.counter_resets, 1u);
  auto ops = ExtractSeries(*table, "ops");
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(ops->values, (std::vector<double>{30, 30, 15, 20}));
  EXPECT_EQ(ops->unit, "ops/s");
  auto bytes = ExtractSeries(*table, "read_bytes");
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->unit, "bytes/s");
  EXPECT_EQ(bytes->values[0], 409.6);
}

// A "restart" to more than its interval could hold (here from 300 to 22 million requests
// in an hour where the fastest held 36 thousand: a history whose counters came from another
// device, as the demo's synthetic past once did) is left out as a gap, not counted from
// zero; a plausible restart still is.
TEST(SeriesTest, ARestartLargerThanItsIntervalIsLeftOut) {
  std::string csv = "timestamp,read_ops\n";
  double count = 3e8;
  for (int h = 0; h < 10; ++h)
    csv += std::to_string(h * 3600) + "," + std::to_string(count += 36000) + "\n";
  csv += "36000,22000000\n";  // below the last value: a restart, by 22M
  csv += "39600,22036000\n";
  csv += "43200,100\n";  // a plausible restart (a reboot 100 requests ago)
  csv += "46800,36100\n";
  auto table = ParseUsageCsv(csv, "seam.csv");
  ASSERT_TRUE(table.ok()) << table.error().message;
  auto reads = ExtractSeries(*table, "read_ops");
  ASSERT_TRUE(reads.ok()) << reads.error().message;
  EXPECT_EQ(reads->quality.counter_resets, 2u);
  EXPECT_EQ(reads->quality.implausible_resets, 1u);
  for (double t : reads->time_s) EXPECT_NE(t, 36000) << "the implausible interval is kept";
  ASSERT_EQ(reads->values.size(), 12u);
  for (double v : reads->values) EXPECT_LE(v, 10.0 + 1e-9);
  EXPECT_NEAR(reads->values[reads->values.size() - 2], 100.0 / 3600, 1e-12);
}

TEST(SeriesTest, RejectsMalformedCsv) {
  struct Case {
    const char* text;
    const char* needle;
  };
  const Case cases[] = {
      {"used_bytes,files\n1,2\n", "no timestamp column"},
      {"timestamp,used_bytes\n10,5\n5,6\n", "goes backwards"},
      {"timestamp,used_bytes\n10,5\n20,5GB\n", "not a finite number"},
      {"timestamp,used_bytes\n10,5\n20\n", ":3: 1 cell, header has 2"},
      {"timestamp,used_bytes\n10,5\n20,1,2\n", ":3: 3 cells, header has 2"},
      {"timestamp,used_bytes\n", "no data rows"},
      {"", "empty file"},
      {"timestamp,used_bytes\nyesterday,5\n", "timestamp"},
      {"timestamp,used_bytes,used_bytes\n1,2,3\n", "appears twice"},
  };
  for (const Case& c : cases) {
    auto table = ParseUsageCsv(c.text, "bad.csv");
    ASSERT_FALSE(table.ok()) << c.text;
    EXPECT_EQ(table.error().code, ErrorCode::kBadInput);
    EXPECT_NE(table.error().message.find(c.needle), std::string::npos) << table.error().message;
    EXPECT_EQ(table.error().message.rfind("bad.csv", 0), 0u) << table.error().message;
  }
  auto table = ParseUsageCsv("timestamp,used_bytes\n1,5\n2,6\n", "ok.csv");
  ASSERT_TRUE(table.ok());
  auto missing = ExtractSeries(*table, "files");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("has: used_bytes"), std::string::npos);
  auto one = ParseUsageCsv("timestamp,used_bytes\n1,5\n", "one.csv");
  ASSERT_TRUE(one.ok());
  EXPECT_FALSE(ExtractSeries(*one, "used_bytes").ok());
}

// A size, count or counter below zero is damage: refused like any bad cell (file, line,
// column, value), never forecast as shrinking storage. Columns that may be negative
// (a net rate, an unnamed gauge) still load.
TEST(SeriesTest, RejectsNegativeSizesCountsAndCounters) {
  for (const char* column : {"used_bytes", "capacity_bytes", "files", "capacity_files", "read_ops",
                             "write_bytes", "io_time_ms"}) {
    const std::string csv = std::string("timestamp,") + column + "\n10,5\n20, -5 \n30,7\n";
    auto table = ParseUsageCsv(csv, "neg.csv");
    ASSERT_FALSE(table.ok()) << column;
    EXPECT_EQ(table.error().code, ErrorCode::kBadInput);
    EXPECT_EQ(table.error().message, std::string("neg.csv:3: ") + column + ": '-5' is negative");
  }
  auto capacity = ParseUsageCsv("timestamp,used_bytes,capacity_bytes\n10,5,-1e3\n", "cap.csv");
  ASSERT_FALSE(capacity.ok());
  EXPECT_EQ(capacity.error().message, "cap.csv:2: capacity_bytes: '-1e3' is negative");
  auto allowed =
      ParseUsageCsv("timestamp,value,growth_per_s,used_bytes\n10,-5,-0.5,-0\n", "ok.csv");
  ASSERT_TRUE(allowed.ok()) << allowed.error().message;
  EXPECT_EQ(allowed->columns.at("value").front(), -5);
  // A Prometheus export is checked too, naming the column and the sample's time.
  auto prom = ParsePrometheusRange(
      R"({"data": {"resultType": "matrix", "result": [{"metric": {"__name__": "files"},
          "values": [[1700000000, "1"], [1700000600, "-2"]]}]}})",
      "p.json");
  ASSERT_FALSE(prom.ok());
  EXPECT_EQ(prom.error().code, ErrorCode::kBadInput);
  EXPECT_EQ(prom.error().message, "p.json: files at 1700000600: '-2' is negative");
}

// Too few points: the message counts them in good English and names the minimum a
// forecast needs (the one ForecastSeries and the man page state), not the reader's own.
TEST(SeriesTest, TooFewPointsNamesTheForecastMinimum) {
  auto one = ParseUsageCsv("timestamp,used_bytes\n1,5\n", "one.csv");
  ASSERT_TRUE(one.ok());
  auto series = ExtractSeries(*one, "used_bytes");
  ASSERT_FALSE(series.ok());
  EXPECT_EQ(series.error().message,
            "one.csv: column 'used_bytes' has 1 usable point; at least 10 are needed for a "
            "forecast");
  auto none = ParseUsageCsv("timestamp,used_bytes\n1,\n", "none.csv");
  ASSERT_TRUE(none.ok());
  EXPECT_NE(ExtractSeries(*none, "used_bytes").error().message.find("has 0 usable points;"),
            std::string::npos);
}

TEST(SeriesTest, ReadsPrometheusRangeExportsOfNodeExporter) {
  const std::string json = R"({"status":"success","data":{"resultType":"matrix","result":[
    {"metric":{"__name__":"node_filesystem_size_bytes","mountpoint":"/srv"},
     "values":[[1000,"1000000"],[1060,"1000000"],[1120,"1000000"]]},
    {"metric":{"__name__":"node_filesystem_avail_bytes","mountpoint":"/srv"},
     "values":[[1000,"600000"],[1060,"590000"],[1120,"NaN"]]},
    {"metric":{"__name__":"node_disk_writes_completed_total","device":"sda"},
     "values":[[1000,"10"],[1060,"70"],[1120,"130"]]}]}})";
  auto table = ParsePrometheusRange(json, "prom.json");
  ASSERT_TRUE(table.ok()) << table.error().message;
  auto used = ExtractSeries(*table, "used_bytes");
  ASSERT_TRUE(used.ok()) << used.error().message;
  EXPECT_EQ(used->values, (std::vector<double>{400000, 410000}));
  EXPECT_EQ(used->quality.empty_cells, 1u);
  auto writes = ExtractSeries(*table, "write_ops");
  ASSERT_TRUE(writes.ok());
  EXPECT_EQ(writes->values, (std::vector<double>{1, 1}));
  auto capacity = ExtractSeries(*table, "capacity_bytes");
  ASSERT_TRUE(capacity.ok());
  EXPECT_EQ(capacity->values.back(), 1000000);

  const std::string two = R"({"data":{"resultType":"matrix","result":[
    {"metric":{"__name__":"node_disk_read_bytes_total","device":"sda"},"values":[[1,"1"]]},
    {"metric":{"__name__":"node_disk_read_bytes_total","device":"sdb"},"values":[[1,"1"]]}]}})";
  auto ambiguous = ParsePrometheusRange(two, "two.json");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.error().message.find("device=sdb"), std::string::npos)
      << ambiguous.error().message;
  auto vector = ParsePrometheusRange(R"({"data":{"resultType":"vector","result":[]}})", "v.json");
  ASSERT_FALSE(vector.ok());
  EXPECT_EQ(vector.error().code, ErrorCode::kUnsupported);
}

TEST(SeriesTest, AggregatesLongSeriesToARoundStep) {
  Series s;
  s.name = "used_bytes";
  for (int i = 0; i < 100000; ++i) {
    s.time_s.push_back(60.0 * i);
    s.values.push_back(i);
  }
  s.quality.median_step_s = 60;
  const RegularGrid grid = ToRegularGrid(s, 10000);
  EXPECT_EQ(grid.step_s, 900);  // 15 minutes: 6,667 points
  EXPECT_LE(grid.values.size(), 10000u);
  EXPECT_EQ(grid.filled, 0u);
  EXPECT_GE(grid.aggregated, 14u);
  const RegularGrid coarse = ToRegularGrid(s, 0, 3600);
  EXPECT_EQ(coarse.step_s, 3600);
}

// Aggregated, the grid ends at the last sample and holds it as it is: a burst in the last
// minute is the level the forecast starts from, not a fifteenth of it. The points before
// are their buckets' means, centred on their times (a line stays the line).
TEST(SeriesTest, AnAggregatedGridEndsAtTheLastSample) {
  Series s;
  s.name = "used_bytes";
  for (int i = 0; i < 100000; ++i) {
    s.time_s.push_back(60.0 * i);
    s.values.push_back(i == 99999 ? 2e6 : i);
  }
  s.quality.median_step_s = 60;
  const RegularGrid grid = ToRegularGrid(s, 10000);
  ASSERT_EQ(grid.step_s, 900);
  EXPECT_DOUBLE_EQ(grid.start_s + grid.step_s * static_cast<double>(grid.values.size() - 1),
                   s.time_s.back());
  EXPECT_EQ(grid.values.back(), 2e6);
  for (size_t k = 1; k + 1 < grid.values.size(); k += 997)
    EXPECT_DOUBLE_EQ(grid.values[k], (grid.start_s + grid.step_s * static_cast<double>(k)) / 60)
        << k;
}

TEST(SeriesTest, AGridCountedBackFromTheLastSampleHasNoEmptyFirstPoint) {
  // 10,800 one-minute samples halved to 2-minute points: counted back from the last
  // sample, the grid started half a step before the first, which rounded into the second
  // bucket and left the first empty, read as 0 (a step the size of the volume).
  Series s;
  s.name = "used_bytes";
  for (int i = 0; i < 10800; ++i) {
    s.time_s.push_back(60.0 * i);
    s.values.push_back(1000.0 + i);
  }
  s.quality.median_step_s = 60;
  const RegularGrid grid = ToRegularGrid(s, 6000);
  ASSERT_EQ(grid.step_s, 120);
  EXPECT_DOUBLE_EQ(grid.start_s + grid.step_s * static_cast<double>(grid.values.size() - 1),
                   s.time_s.back());
  EXPECT_GE(grid.start_s, s.time_s.front() - grid.step_s / 2);
  for (double v : grid.values) ASSERT_GE(v, 1000.0);
  EXPECT_NEAR(grid.values.front(), 1000.5, 1.0);
}

}  // namespace
}  // namespace sfsg
