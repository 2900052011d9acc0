#include "core/text_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "support/ipc_test_support.hpp"

namespace ipckit::detail {
namespace {

// A regular file of `size` bytes that cycles through the alphabet, removed with the object.
class TempTextFile {
 public:
  explicit TempTextFile(std::size_t size)
      : path_("/tmp/" + test::unique_name("text-file")), text_(size, '\0') {
    for (std::size_t i = 0; i < size; ++i)
      text_[i] = static_cast<char>('a' + i % 26);
    std::FILE* f = std::fopen(path_.c_str(), "we");
    EXPECT_NE(f, nullptr);
    if (f == nullptr) return;
    EXPECT_EQ(std::fwrite(text_.data(), 1, text_.size(), f), text_.size());
    std::fclose(f);
  }
  ~TempTextFile() { ::unlink(path_.c_str()); }
  TempTextFile(const TempTextFile&) = delete;
  TempTextFile& operator=(const TempTextFile&) = delete;
  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }

 private:
  std::string path_;
  std::string text_;
};

TEST(CoreTextFile, ReadsAFileLongerThanItsBufferCompletely) {
  const int fds = test::count_open_fds();
  TempTextFile file(100'000);  // the reader's buffer is 8 KiB
  auto text = read_text_file(file.path());
  ASSERT_TRUE(text) << text.error().message();
  EXPECT_EQ(*text, file.text());
  EXPECT_EQ(test::count_open_fds(), fds);  // the descriptor was closed
}

TEST(CoreTextFile, ReportsEnoentWithThePath) {
  const std::string path = "/proc/self/" + test::unique_name("no-such-file");
  auto text = read_text_file(path);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code(), ENOENT);
  EXPECT_EQ(text.error().operation(), "open");
  EXPECT_EQ(text.error().object(), path);
}

TEST(CoreTextFile, BufferReadFillsTheBufferAcrossReadsAndStopsAtEof) {
  TempTextFile file(20'000);
  std::string buffer(12'000, '\0');
  EXPECT_EQ(read_text_file(file.path().c_str(), buffer), 12'000);
  EXPECT_EQ(buffer, file.text().substr(0, 12'000));
  std::string large(30'000, '\0');
  EXPECT_EQ(read_text_file(file.path().c_str(), large), 20'000);
  EXPECT_EQ(large.substr(0, 20'000), file.text());
  errno = 0;
  EXPECT_EQ(read_text_file("/proc/self/no-such-file-ipckit", large), -1);
  EXPECT_EQ(errno, ENOENT);
}

TEST(CoreTextFile, ReadsProcFiles) {
  auto stat = read_text_file("/proc/self/stat");
  ASSERT_TRUE(stat) << stat.error().message();
  EXPECT_EQ(parse_first_i64(*stat), ::getpid());
  EXPECT_EQ(parse_first_u64(" 42\n"), 42u);
  EXPECT_EQ(parse_first_i64("-7 8"), -7);
  EXPECT_FALSE(parse_first_u64("x1"));
  EXPECT_FALSE(parse_first_u64(""));
}

}  // namespace
}  // namespace ipckit::detail
