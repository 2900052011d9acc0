#include "cli/table.hpp"

#include <gtest/gtest.h>

#include <clocale>
#include <string>

namespace ipckit::cli::table {
namespace {

const std::vector<ColumnSpec> kCols = {
    {"NAME", "object name"},
    {"SIZE", "bytes", kRight, JsonType::kNumber},
    {"CMD", "command line", kTrunc},
};

// Options for `mode`, fitted to `width` columns (0: never, so never the test's own stdout).
Options opts(Mode mode = Mode::kTable, std::size_t width = 0) {
  Options o;
  o.mode = mode;
  o.terminal_width = width;
  return o;
}

Table sample(Options o) {
  Table t(kCols, std::move(o));
  t.add_row({"a", Cell::number(std::uint64_t{4096}), "sleep 100"});
  t.add_row({"longer", Cell::number(std::int64_t{7}), std::nullopt});
  return t;
}

// UTF-8 widths need a UTF-8 LC_CTYPE (the commands run in the user's locale).
class Utf8Locale {
 public:
  Utf8Locale() : old_(std::setlocale(LC_CTYPE, nullptr)) {
    if (std::setlocale(LC_CTYPE, "C.UTF-8") == nullptr) ok_ = false;
  }
  ~Utf8Locale() { std::setlocale(LC_CTYPE, old_.c_str()); }
  Utf8Locale(const Utf8Locale&) = delete;
  Utf8Locale& operator=(const Utf8Locale&) = delete;
  [[nodiscard]] bool ok() const { return ok_; }

 private:
  std::string old_;
  bool ok_ = true;
};

TEST(CliTable, TableModeAlignsColumnsAndLeavesTheLastUnpadded) {
  // An absent last cell still follows its separator, as in util-linux.
  EXPECT_EQ(sample(opts()).render(),
            "NAME   SIZE CMD\n"
            "a      4096 sleep 100\n"
            "longer    7 \n");
}

TEST(CliTable, NoHeadingsStillSizesByTheHeader) {
  Options o = opts();
  o.noheadings = true;
  Table t(kCols, o);
  t.add_row({"a", "1", "x"});
  EXPECT_EQ(t.render(), "a       1 x\n");
}

TEST(CliTable, WidthsAreScreenColumnsOfUtf8Text) {
  const Utf8Locale utf8;
  if (!utf8.ok()) GTEST_SKIP() << "no C.UTF-8 locale";
  Table t(kCols, opts());
  t.add_row({"név", "1", "x"});    // 4 bytes, 3 columns
  t.add_row({"日本", "22", "y"});  // 6 bytes, 4 columns
  EXPECT_EQ(t.render(),
            "NAME SIZE CMD\n"
            "név     1 x\n"
            "日本   22 y\n");
}

TEST(CliTable, FitsATerminalByTruncatingTruncatableColumns) {
  Table t(kCols, opts(Mode::kTable, 16));
  t.add_row({"a", "1", "a very long command line"});
  EXPECT_EQ(t.render(),
            "NAME SIZE CMD\n"
            "a       1 a very\n");
  Options keep_all = opts(Mode::kTable, 16);
  keep_all.notruncate = true;
  Table keep(kCols, keep_all);
  keep.add_row({"a", "1", "a very long command line"});
  EXPECT_EQ(keep.render(),
            "NAME SIZE CMD\n"
            "a       1 a very long command line\n");
}

TEST(CliTable, RawEscapesBlanksBackslashesAndControlBytes) {
  Table t(kCols, opts(Mode::kRaw));
  t.add_row({"a b\\c", "1", "tab\there\nnl"});
  EXPECT_EQ(t.render(),
            "NAME SIZE CMD\n"
            "a\\x20b\\x5cc 1 tab\\x09here\\x0anl\n");
}

TEST(CliTable, ExportQuotesForTheShell) {
  Table t(kCols, opts(Mode::kExport));
  t.add_row({"$x\"y", "1", std::nullopt});
  EXPECT_EQ(t.render(), "NAME=\"\\x24x\\x22y\" SIZE=\"1\" CMD=\"\"\n");
  Table lines(kCols, opts(Mode::kExportLines));
  lines.add_row({"a", "1", "b"});
  EXPECT_EQ(lines.render(), "NAME=\"a\"\nSIZE=\"1\"\nCMD=\"b\"\n");
}

TEST(CliTable, ShellvarRenamesColumns) {
  Options o = opts(Mode::kExport);
  o.shellvar = true;
  Table t({{"USE%", ""}, {"A-B", ""}}, o);
  t.add_row({"1", "2"});
  EXPECT_EQ(t.render(), "USE_PCT=\"1\" A_B=\"2\"\n");
}

TEST(CliTable, JsonTypesNumbersAndAbsentCells) {
  Options o = opts(Mode::kJson);
  o.name = "things";
  EXPECT_EQ(sample(o).render(),
            "{\n"
            "   \"things\": [\n"
            "      {\n"
            "         \"name\": \"a\",\n"
            "         \"size\": 4096,\n"
            "         \"cmd\": \"sleep 100\"\n"
            "      },{\n"
            "         \"name\": \"longer\",\n"
            "         \"size\": 7,\n"
            "         \"cmd\": null\n"
            "      }\n"
            "   ]\n"
            "}\n");
}

TEST(CliTable, EmptyTablePrintsNothingOutsideJson) {
  EXPECT_EQ(Table(kCols, opts()).render(), "");
  EXPECT_EQ(Table(kCols, opts(Mode::kRaw)).render(), "");
}

TEST(CliTable, OutputListReplacesOrAppends) {
  std::vector<std::size_t> sel = {0, 1};
  EXPECT_FALSE(parse_output_list("cmd,Name", kCols, sel, 10));
  EXPECT_EQ(sel, (std::vector<std::size_t>{2, 0}));
  EXPECT_FALSE(parse_output_list("+SIZE", kCols, sel, 10));
  EXPECT_EQ(sel, (std::vector<std::size_t>{2, 0, 1}));
}

TEST(CliTable, OutputListErrorsAsUtilLinux) {
  std::vector<std::size_t> sel;
  auto e = parse_output_list("NAME,FOO,SIZE", kCols, sel, 10);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, ListError::Kind::kUnknown);
  EXPECT_EQ(e->message(), "unknown column: FOO,SIZE");
  e = parse_output_list("NAME,", kCols, sel, 10);  // the trailing comma is part of the name
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message(), "unknown column: NAME,");
  for (const char* empty : {"", "+", ",NAME", "NAME,,SIZE"}) {
    e = parse_output_list(empty, kCols, sel, 10);
    ASSERT_TRUE(e) << empty;
    EXPECT_EQ(e->kind, ListError::Kind::kEmpty) << empty;
    EXPECT_EQ(e->message(), "") << empty;
  }
  e = parse_output_list("NAME,NAME,NAME", kCols, sel, 2);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, ListError::Kind::kTooMany);
  e = parse_output_list("NAME,CMD", kCols, sel, 10, [](std::size_t i) { return i != 2; });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message(), "column CMD does not apply to the specified IPC");
}

TEST(CliTable, ColumnHelpInUtilLinuxLayout) {
  EXPECT_EQ(column_help(kCols, 6),
            "   NAME  object name\n"
            "   SIZE  bytes\n"
            "    CMD  command line\n");
}

}  // namespace
}  // namespace ipckit::cli::table
