// The charts of `ipckit bench` (tools/bench/bench_plot.hpp) over hand-built reports: the
// documents parse as XML (Python's xml.etree, a real parser), every line is named, rows that
// failed or were marked are listed and not drawn, odd text is escaped, and empty or one-row
// reports give finite, well-formed charts.
#include "bench/bench_plot.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_plot_text.hpp"
#include "tools/bench_plot/sample_report.hpp"

namespace ipckit::bench {
namespace {

using testing::latency_row;
using testing::sample_report;
using testing::throughput_row;

// Every text node of `document` as an XML parser reads it (entities decoded), one per line, or
// nullopt when the document is not well-formed XML.
std::optional<std::string> parsed_text(const std::string& document) {
  char path[] = "/tmp/ipckit-bench-plot-test.XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return std::nullopt;
  close(fd);
  std::ofstream(path, std::ios::binary) << document;
  const std::string command =
      std::string(
          "/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E\n"
          "root = E.parse(sys.argv[1]).getroot()\n"
          "sys.stdout.buffer.write(\"\\n\".join(root.itertext()).encode())' ") +
      path + " 2>/dev/null";
  std::string text;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe != nullptr) {
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
      text.append(buffer, n);
  }
  const int status = pipe != nullptr ? pclose(pipe) : -1;
  std::remove(path);
  if (status != 0) return std::nullopt;
  return text;
}

// The part of `svg` that draws the line named `name` (its <g class="series"> group), or "".
std::string series_group(const std::string& svg, const std::string& name,
                         std::string_view test = "latency") {
  const auto chart = svg.find(std::string(R"(data-test=")") + std::string(test) + '"');
  if (chart == std::string::npos) return {};
  const auto begin = svg.find(R"(data-series=")" + plot_text::xml(name) + R"(" data-role=)", chart);
  const auto next_chart = svg.find(R"(class="chart")", chart + 1);
  if (begin == std::string::npos || begin > next_chart) return {};
  return svg.substr(begin, svg.find("</g>", begin) - begin);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// `word` occurs in `text` (any case) with no letter on either side.
bool has_word(const std::string& text, std::string_view word) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  const auto letter = [&](std::size_t k) {
    return std::isalpha(static_cast<unsigned char>(lower[k])) != 0;
  };
  for (std::size_t at = 0; (at = lower.find(word, at)) != std::string::npos; ++at) {
    const std::size_t end = at + word.size();
    if ((at == 0 || !letter(at - 1)) && (end >= lower.size() || !letter(end))) return true;
  }
  return false;
}

// No coordinate or figure came out of a division by zero or a log of 0.
void expect_finite(const std::string& document) {
  EXPECT_FALSE(has_word(document, "nan")) << "a NaN was printed";
  EXPECT_FALSE(has_word(document, "inf")) << "an infinity was printed";
}

// Every URI (scheme://...) in `document`, up to the closing quote.
std::vector<std::string> uris(const std::string& document) {
  std::vector<std::string> found;
  for (std::size_t at = 0; (at = document.find("://", at)) != std::string::npos; at += 3) {
    std::size_t begin = at;
    while (begin > 0 && std::isalpha(static_cast<unsigned char>(document[begin - 1])) != 0)
      --begin;
    found.push_back(document.substr(begin, document.find_first_of("\" <", at) - begin));
  }
  return found;
}

TEST(BenchPlot, SvgAndHtmlOfTheSampleAreWellFormedXml) {
  const Report report = sample_report();
  EXPECT_TRUE(parsed_text(svg(report)).has_value());
  EXPECT_TRUE(parsed_text(html(report)).has_value());
  EXPECT_TRUE(parsed_text(chart_svg(report, bench::Test::kThroughput)).has_value());
}

TEST(BenchPlot, TheCheckerRejectsABrokenDocument) {
  std::string broken = svg(sample_report());
  broken.insert(broken.find("<g class=\"caption\""), "<g>");
  EXPECT_FALSE(parsed_text(broken).has_value());
}

TEST(BenchPlot, EveryLineIsNamedInTheLegendAndAtItsEnd) {
  const std::string doc = svg(sample_report());
  const auto text = parsed_text(doc);
  ASSERT_TRUE(text.has_value());
  for (const char* name :
       {"pipe", "fifo", "unix-stream", "unix-dgram", "unix-seqpacket", "tcp", "sysv-msg",
        "posix-mq", "sysv-shm-sem", "posix-shm-futex", "channel busy-poll",
        "channel spin-then-block", "channel block", "zmq", "nng"}) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(series_group(doc, name, "latency").empty());
    EXPECT_FALSE(series_group(doc, name, "throughput").empty());
    // Four times: legend and end label, on each chart.
    std::size_t count = 0;
    for (std::size_t at = 0;
         (at = text->find("\n" + std::string(name) + "\n", at)) != std::string::npos; ++at) {
      ++count;
    }
    EXPECT_EQ(count, 4U);
  }
  EXPECT_TRUE(contains(*text, "floor: shm-spin"));
  EXPECT_TRUE(contains(*text, "ceiling: memcpy"));
}

TEST(BenchPlot, FloorAndCeilingAreDashedReferenceLines) {
  const std::string doc = svg(sample_report());
  for (std::string_view test : {"latency", "throughput"}) {
    const std::string floor = series_group(doc, "shm-spin", test);
    EXPECT_TRUE(contains(floor, R"(data-role="floor")"));
    EXPECT_TRUE(contains(floor, "stroke-dasharray"));
  }
  EXPECT_TRUE(series_group(doc, "memcpy", "latency").empty());  // memcpy is throughput only
  const std::string ceiling = series_group(doc, "memcpy", "throughput");
  EXPECT_TRUE(contains(ceiling, R"(data-role="ceiling")"));
  EXPECT_TRUE(contains(ceiling, "stroke-dasharray"));
}

TEST(BenchPlot, FailedAndMarkedRowsAreListedWithTheirReasonAndNotDrawn) {
  const std::string doc = svg(sample_report());
  const std::string zmq = series_group(doc, "zmq");
  EXPECT_TRUE(contains(zmq, R"(data-size="512")"));
  EXPECT_FALSE(contains(zmq, R"(data-size="4096")"));
  EXPECT_TRUE(contains(zmq, R"(data-size="65536")"));
  // The line breaks at the failed size instead of bridging it: one polyline from 8 B to 512 B,
  // and the 64 KiB point on its own.
  ASSERT_NE(zmq.find("<polyline"), std::string::npos);
  EXPECT_EQ(zmq.find("<polyline"), zmq.rfind("<polyline"));
  const std::string msg = series_group(doc, "sysv-msg", "throughput");
  EXPECT_TRUE(contains(msg, R"(data-size="16384")"));
  EXPECT_FALSE(contains(msg, R"(data-size="65536")"));
  EXPECT_FALSE(contains(msg, R"(data-size="1048576")"));

  const auto text = parsed_text(doc);
  ASSERT_TRUE(text.has_value());
  EXPECT_TRUE(contains(*text, "• zmq, 4 KiB: failed: timed out after 30 s"));
  EXPECT_TRUE(contains(*text, "• sysv-msg, 64 KiB: not run: above msgmax (8192 B)"));
  EXPECT_TRUE(contains(*text, "• sysv-msg, 1 MiB: not run: above msgmax (8192 B)"));
  EXPECT_TRUE(contains(*text, "Not drawn (3 rows)"));
  EXPECT_TRUE(contains(*text, "Not drawn (2 rows)"));
}

TEST(BenchPlot, AMechanismWithNoDrawableRowHasNoLineButIsListed) {
  Report report;
  Row a = latency_row("nng", "default", 64, 0);
  a.p50_ns.reset();
  a.error = "peer died (signal 11)";
  Row b = latency_row("nng", "default", 512, 0);
  b.p50_ns = 0.0;  // a figure a log scale cannot hold
  report.rows = {latency_row("pipe", "default", 64, 4000), a, b};
  const std::string doc = svg(report);
  EXPECT_TRUE(series_group(doc, "nng").empty());
  const auto text = parsed_text(doc);
  ASSERT_TRUE(text.has_value());
  EXPECT_TRUE(contains(*text, "• nng, 64 B: failed: peer died (signal 11)"));
  EXPECT_TRUE(contains(*text, "• nng, 512 B: 0 ns cannot be drawn on a log scale"));
  EXPECT_FALSE(contains(*text, "\nnng\n"));  // not in the legend
  expect_finite(doc);
}

TEST(BenchPlot, OddNamesAndErrorsAreEscapedAndMadeValidUtf8) {
  const Report report = sample_report();
  for (const std::string& doc : {svg(report), html(report)}) {
    EXPECT_FALSE(contains(doc, "odd<&"));
    EXPECT_TRUE(contains(doc, "odd&lt;&amp;&quot;&#39;&gt; m\xC3\xA9thode"));
    EXPECT_FALSE(contains(doc, "\xFF"));
    EXPECT_FALSE(contains(doc, "\x01"));
    const auto text = parsed_text(doc);
    ASSERT_TRUE(text.has_value());
    EXPECT_TRUE(contains(*text, "odd<&\"'> m\xC3\xA9thode"));
    EXPECT_TRUE(contains(*text, "peer printed \xEF\xBF\xBD garbage\xEF\xBF\xBD <not json> & died"));
  }
}

TEST(BenchPlot, EmptyReportGivesFiniteWellFormedChartsThatSaySoAndAnEmptyTable) {
  const Report report;
  const std::string doc = svg(report);
  const auto text = parsed_text(doc);
  ASSERT_TRUE(text.has_value());
  EXPECT_TRUE(contains(*text, "no latency rows to draw"));
  EXPECT_TRUE(contains(*text, "no throughput rows to draw"));
  EXPECT_TRUE(contains(*text, "Machine: not described"));
  expect_finite(doc);
  const std::string page = html(report);
  ASSERT_TRUE(parsed_text(page).has_value());
  EXPECT_TRUE(contains(page, "<h2>Rows (0)</h2>"));
  expect_finite(page);
}

TEST(BenchPlot, OneRowReportsGiveFiniteCharts) {
  for (const Row& row :
       {latency_row("pipe", "default", 64, 4000), throughput_row("pipe", "default", 64, 1e6),
        throughput_row("memcpy", "default", 8, 1e9)}) {
    Report report;
    report.rows = {row};
    report.rows[0].spread = {};  // one round: no spread
    const std::string doc = svg(report);
    ASSERT_TRUE(parsed_text(doc).has_value());
    expect_finite(doc);
    EXPECT_FALSE(contains(doc, R"(class="spread")"));
    EXPECT_TRUE(contains(doc, R"(class="pt" data-size=")" + std::to_string(row.cell.size) + '"'));
    expect_finite(html(report));
  }
}

TEST(BenchPlot, NonFiniteFiguresAndSpreadsAreNotDrawn) {
  Report report;
  Row nan_row = latency_row("pipe", "default", 64, 4000);
  nan_row.p50_ns = std::numeric_limits<double>::quiet_NaN();
  Row bad_spread = latency_row("fifo", "default", 64, 4000);
  bad_spread.spread = {-1, std::numeric_limits<double>::infinity()};
  Row zero_size = latency_row("tcp", "default", 0, 4000);
  report.rows = {nan_row, bad_spread, zero_size};
  const std::string doc = svg(report);
  const auto text = parsed_text(doc);
  ASSERT_TRUE(text.has_value());
  EXPECT_TRUE(series_group(doc, "pipe").empty());
  EXPECT_TRUE(contains(*text, "• pipe, 64 B: ? cannot be drawn on a log scale"));
  EXPECT_TRUE(contains(*text, "• tcp, 0 B: a size of 0 B cannot be drawn on a log scale"));
  EXPECT_FALSE(series_group(doc, "fifo").empty());
  EXPECT_FALSE(contains(doc, R"(class="spread")"));
  expect_finite(doc);
}

TEST(BenchPlot, SpreadIsDrawnAsABarAtEveryPointWithOne) {
  const std::string pipe = series_group(svg(sample_report()), "pipe", "throughput");
  std::size_t bars = 0;
  for (std::size_t at = 0; (at = pipe.find(R"(class="spread")", at)) != std::string::npos; ++at) {
    ++bars;
  }
  EXPECT_EQ(bars, 5U);
  EXPECT_TRUE(contains(pipe, "min–max"));
}

TEST(BenchPlot, RowsAtOnePointOnlyAreListedWithTheirFigures) {
  const auto text = parsed_text(svg(sample_report()));
  ASSERT_TRUE(text.has_value());
  EXPECT_TRUE(contains(*text, "• channel busy-poll, 64 B, 4 producers: 2.62 GB/s"));
  EXPECT_TRUE(contains(*text, "• pipe, 64 B, busy-cpu load: 9.1 µs"));
}

TEST(BenchPlot, CaptionSaysTheMachineTheCpusAndTheMissingPeers) {
  const auto text = parsed_text(svg(sample_report()));
  ASSERT_TRUE(text.has_value());
  EXPECT_TRUE(contains(*text, "Machine: Intel(R) Xeon(R) CPU @ 2.20GHz, 2 cores, Linux"));
  EXPECT_TRUE(contains(*text, "CPUs: 0,1"));
  EXPECT_TRUE(contains(*text, "Peer not measured: iceoryx: "));
  Report unpinned;
  unpinned.cpus = "unpinned";
  EXPECT_TRUE(contains(svg(unpinned), "CPUs: unpinned (the scheduler placed the processes)"));
}

struct EndLabel {
  double x, y, width;
  std::string text;
};

// The end labels of `doc`, each with its width estimated as the plot does (6.5 px a character).
std::vector<EndLabel> end_labels_of(const std::string& doc) {
  const std::string kLabel = R"(class="end-label" x=")";
  std::vector<EndLabel> labels;
  for (std::size_t at = 0; (at = doc.find(kLabel, at)) != std::string::npos; ++at) {
    const std::size_t x = at + kLabel.size();
    const std::size_t y = doc.find(R"(y=")", x) + 3;
    const std::size_t text = doc.find('>', y) + 1;
    EndLabel l{std::stod(doc.substr(x)), std::stod(doc.substr(y)), 0,
               doc.substr(text, doc.find("</text>", text) - text)};
    l.width = 6.5 * static_cast<double>(plot_text::chars(l.text));
    labels.push_back(l);
  }
  return labels;
}

// Every two labels whose text shares columns are at least a line apart. Returns how many pairs
// share columns, and how many of those start at different x.
std::pair<std::size_t, std::size_t> expect_end_labels_apart(const std::string& doc) {
  const auto labels = end_labels_of(doc);
  EXPECT_FALSE(labels.empty());
  std::size_t sharing = 0, at_other_x = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    for (std::size_t j = i + 1; j < labels.size(); ++j) {
      const EndLabel& a = labels[i];
      const EndLabel& b = labels[j];
      if (a.x + a.width <= b.x || b.x + b.width <= a.x) continue;  // side by side
      ++sharing;
      if (a.x != b.x) ++at_other_x;
      EXPECT_GE(std::fabs(a.y - b.y), 12.9) << "'" << a.text << "' and '" << b.text << "'";
    }
  }
  return {sharing, at_other_x};
}

// End labels whose text would overlap are at least a line apart, so none is drawn over another:
// those at the same x (most lines end at the last size), and a long one of a line that ends a
// size early over the labels at the last size.
TEST(BenchPlot, EndLabelsThatShareColumnsDoNotOverlap) {
  for (const auto test : {bench::Test::kLatency, bench::Test::kThroughput}) {
    EXPECT_GE(expect_end_labels_apart(chart_svg(sample_report(), test)).first, 45U);
  }
  Report report;
  report.cpus = "0,1";
  for (std::size_t size : {8UL, 64UL, 512UL, 4096UL})
    report.rows.push_back(testing::latency_row("a-peer-with-a-rather-long-name", "default", size,
                                               1000.0 + static_cast<double>(size)));
  for (const char* mechanism : {"pipe", "fifo", "tcp"})
    for (std::size_t size : {8UL, 64UL, 512UL, 4096UL, 65536UL})
      report.rows.push_back(testing::latency_row(mechanism, "default", size, 5000.0));
  const auto [sharing, at_other_x] =
      expect_end_labels_apart(chart_svg(report, bench::Test::kLatency));
  EXPECT_GE(at_other_x, 1U) << "the long label does not reach the last size's labels";
  EXPECT_GE(sharing, 3U);
}

TEST(BenchPlot, HtmlHasTheChartsAndOneTableRowPerReportRow) {
  const Report report = sample_report();
  const std::string page = html(report);
  EXPECT_TRUE(contains(page, R"(data-test="latency")"));
  EXPECT_TRUE(contains(page, R"(data-test="throughput")"));
  const auto body = page.substr(page.find("<tbody>"));
  std::size_t rows = 0;
  for (std::size_t at = 0; (at = body.find("<tr", at)) != std::string::npos; ++at)
    ++rows;
  EXPECT_EQ(rows, report.rows.size());
  EXPECT_TRUE(contains(page, R"(<tr class="failed">)"));
  EXPECT_TRUE(contains(page, R"(<tr class="marked">)"));
  for (const std::string& uri : uris(page)) {
    EXPECT_TRUE(uri == "http://www.w3.org/2000/svg" || uri == "http://www.w3.org/1999/xhtml")
        << uri;
  }
  EXPECT_FALSE(contains(page, "<script"));
  EXPECT_FALSE(contains(page, "@import"));
  EXPECT_FALSE(contains(page, "url("));
}

TEST(BenchPlot, NothingIsFetched) {
  const std::string doc = svg(sample_report());
  // The only URI is the SVG namespace name, which is never fetched.
  const auto found = uris(doc);
  ASSERT_FALSE(found.empty());
  for (const std::string& uri : found)
    EXPECT_EQ(uri, "http://www.w3.org/2000/svg");
  EXPECT_FALSE(contains(doc, "href"));
  EXPECT_FALSE(contains(doc, "<script"));
}

TEST(BenchPlotText, XmlEscapesMarkupAndReplacesInvalidBytes) {
  EXPECT_EQ(plot_text::xml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(plot_text::xml("t\xC3\xA9st"), "t\xC3\xA9st");
  EXPECT_EQ(plot_text::xml("\xFF"), "\xEF\xBF\xBD");
  EXPECT_EQ(plot_text::xml("\xC3"), "\xEF\xBF\xBD");                  // truncated sequence
  EXPECT_EQ(plot_text::xml("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(plot_text::xml("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(plot_text::xml(std::string("a\0b\x1b", 4)),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  EXPECT_EQ(plot_text::xml("tab\tnl\n"), "tab\tnl\n");
}

TEST(BenchPlotText, ClipCutsWholeCharactersAndSaysSo) {
  EXPECT_EQ(plot_text::clip("short", 10), "short");
  EXPECT_EQ(plot_text::clip("abcdef", 4), "abc…");
  EXPECT_EQ(plot_text::clip("\xC3\xA9\xC3\xA9\xC3\xA9", 2), "\xC3\xA9…");
  EXPECT_EQ(plot_text::clip("abc", 0), "");
}

TEST(BenchPlotText, UnitsReadNaturally) {
  EXPECT_EQ(plot_text::size(8), "8 B");
  EXPECT_EQ(plot_text::size(4096), "4 KiB");
  EXPECT_EQ(plot_text::size(1048576), "1 MiB");
  EXPECT_EQ(plot_text::size(1536), "1.5 KiB");
  EXPECT_EQ(plot_text::duration_ns(850), "850 ns");
  EXPECT_EQ(plot_text::duration_ns(1234), "1.23 µs");
  EXPECT_EQ(plot_text::duration_ns(999'700), "1 ms");
  EXPECT_EQ(plot_text::duration_ns(1e7), "10 ms");
  EXPECT_EQ(plot_text::bytes_per_s(1.23e10), "12.3 GB/s");
  EXPECT_EQ(plot_text::bytes_per_s(0.5), "0.5 B/s");
  EXPECT_EQ(plot_text::per_s(4.1e7), "41 M/s");
  EXPECT_EQ(plot_text::duration_ns(std::numeric_limits<double>::quiet_NaN()), "?");
}

}  // namespace
}  // namespace ipckit::bench
