// The example sessions (examples/handoff/): each driven over a socketpair by the test thread,
// the session on a thread of its own, as the example worker runs it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "handoff/echo_session.hpp"
#include "handoff/line_io.hpp"
#include "handoff/smtp_session.hpp"
#include "ipckit/unix/socket.hpp"
#include "unix/unix_test_support.hpp"

namespace handoff_example {
namespace {

using ipckit::test::NoFdLeak;

// A session on a thread, and the test's end of its connection (reads time out after 20 s).
class SessionUnderTest {
 public:
  template <class Run>
  explicit SessionUnderTest(Run run) {
    auto pair = ipckit::uds::UnixSocket::pair(ipckit::uds::SocketType::kStream);
    EXPECT_TRUE(pair);
    EXPECT_TRUE(pair->first.set_receive_timeout(std::chrono::seconds(20)));
    ours_ = std::move(pair->first).release();
    thread_ = std::thread(
        [run, theirs = std::move(pair->second).release()]() mutable { run(std::move(theirs)); });
    reader_.emplace(ours_.get());
  }
  ~SessionUnderTest() {
    ours_.reset();  // end of stream for a session still running
    thread_.join();
  }
  SessionUnderTest(const SessionUnderTest&) = delete;
  SessionUnderTest& operator=(const SessionUnderTest&) = delete;

  void send(const std::string& text) { ASSERT_TRUE(write_all(ours_.get(), text)); }
  // The next line the session wrote, terminator included; "<end>" at end of stream.
  std::string line() {
    std::string text;
    switch (reader_->next(text)) {
      case LineReader::Status::kLine:
        return text;
      case LineReader::Status::kEnd:
        return "<end>";
      default:
        return "<error>";
    }
  }
  void close_write() { ASSERT_EQ(::shutdown(ours_.get(), SHUT_WR), 0); }

 private:
  ipckit::Fd ours_;
  std::thread thread_;
  std::optional<LineReader> reader_;
};

std::string pid_text() {
  return std::to_string(::getpid());
}

TEST(HandoffEchoSession, EchoesEachLineAsReceived) {
  NoFdLeak no_leak;
  {
    SessionUnderTest session([](ipckit::Fd fd) { run_echo_session(std::move(fd)); });
    session.send("hello\n");
    EXPECT_EQ(session.line(), "hello\n");
    session.send("two\r\nlines\n");
    EXPECT_EQ(session.line(), "two\r\n");
    EXPECT_EQ(session.line(), "lines\n");
    session.send("\n");
    EXPECT_EQ(session.line(), "\n");
    session.send("pid\n");  // only "PID" is special
    EXPECT_EQ(session.line(), "pid\n");
  }
}

TEST(HandoffEchoSession, PidLineNamesTheServingProcess) {
  NoFdLeak no_leak;
  SessionUnderTest session([](ipckit::Fd fd) { run_echo_session(std::move(fd)); });
  session.send("PID\r\n");
  EXPECT_EQ(session.line(), "pid " + pid_text() + "\r\n");
  session.send("PID\n");
  EXPECT_EQ(session.line(), "pid " + pid_text() + "\n");
}

TEST(HandoffEchoSession, LastLineWithoutTerminatorIsEchoedThenTheSessionEnds) {
  NoFdLeak no_leak;
  SessionUnderTest session([](ipckit::Fd fd) { run_echo_session(std::move(fd)); });
  session.send("tail");
  session.close_write();
  EXPECT_EQ(session.line(), "tail");
  EXPECT_EQ(session.line(), "<end>");
}

TEST(HandoffEchoSession, LineOfTheLimitIsEchoedLongerEndsTheSession) {
  NoFdLeak no_leak;
  SessionUnderTest session([](ipckit::Fd fd) { run_echo_session(std::move(fd)); });
  const std::string longest = std::string(kMaxLine - 1, 'x') + "\n";
  session.send(longest);
  EXPECT_EQ(session.line(), longest);
  session.send(std::string(kMaxLine, 'y'));
  EXPECT_EQ(session.line(), "line too long\r\n");
  EXPECT_EQ(session.line(), "<end>");
}

void run_smtp(ipckit::Fd fd) {
  run_smtp_session(std::move(fd), SmtpOptions{.hostname = "mx.test"});
}

TEST(HandoffSmtpSession, GreetsWithItsPid) {
  NoFdLeak no_leak;
  SessionUnderTest session(run_smtp);
  EXPECT_EQ(session.line(), "220 mx.test ESMTP ipckit handoff worker pid " + pid_text() + "\r\n");
  session.send("QUIT\r\n");
  EXPECT_EQ(session.line(), "221 2.0.0 Bye\r\n");
  EXPECT_EQ(session.line(), "<end>");
}

TEST(HandoffSmtpSession, AcceptsAndDiscardsAMail) {
  NoFdLeak no_leak;
  SessionUnderTest session(run_smtp);
  (void)session.line();
  session.send("EHLO client.test\r\n");
  EXPECT_EQ(session.line(), "250-mx.test hello client.test\r\n");
  EXPECT_EQ(session.line(), "250-8BITMIME\r\n");
  EXPECT_EQ(session.line(), "250 SMTPUTF8\r\n");
  session.send("MAIL FROM:<a@client.test> BODY=8BITMIME\r\n");
  EXPECT_EQ(session.line(), "250 2.1.0 Ok\r\n");
  session.send("rcpt to:<b@mx.test>\r\n");
  EXPECT_EQ(session.line(), "250 2.1.5 Ok\r\n");
  session.send("RCPT TO:<c@mx.test>\r\n");
  EXPECT_EQ(session.line(), "250 2.1.5 Ok\r\n");
  session.send("DATA\r\n");
  EXPECT_EQ(session.line(), "354 End data with <CR><LF>.<CR><LF>\r\n");
  session.send("Subject: hi\r\n\r\nQUIT\r\n..dot-stuffed\r\n.\r\n");
  EXPECT_EQ(session.line(), "250 2.0.0 Ok: discarded\r\n");
  // A second transaction in the same session, after HELO this time, and bare "\n" lines.
  session.send("HELO other.test\n");
  EXPECT_EQ(session.line(), "250 mx.test hello other.test\r\n");
  session.send("MAIL FROM:<>\nRCPT TO:<d@mx.test>\nDATA\n.\n");
  EXPECT_EQ(session.line(), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(session.line(), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(session.line(), "354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(session.line(), "250 2.0.0 Ok: discarded\r\n");
  session.send("QUIT\r\n");
  EXPECT_EQ(session.line(), "221 2.0.0 Bye\r\n");
}

TEST(HandoffSmtpSession, OutOfOrderUnknownAndMalformedCommandsAreRefused) {
  NoFdLeak no_leak;
  SessionUnderTest session(run_smtp);
  (void)session.line();
  session.send("MAIL FROM:<a@b>\r\n");
  EXPECT_EQ(session.line(), "503 5.5.1 Error: send HELO/EHLO first\r\n");
  session.send("EHLO\r\n");
  EXPECT_EQ(session.line(), "501 5.5.4 Syntax: EHLO hostname\r\n");
  session.send("HELO c.test\r\n");
  EXPECT_EQ(session.line(), "250 mx.test hello c.test\r\n");
  session.send("RCPT TO:<a@b>\r\n");
  EXPECT_EQ(session.line(), "503 5.5.1 Error: need MAIL command\r\n");
  session.send("DATA\r\n");
  EXPECT_EQ(session.line(), "503 5.5.1 Error: need RCPT command\r\n");
  session.send("MAIL TO:<a@b>\r\n");
  EXPECT_EQ(session.line(), "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
  session.send("MAIL FROM:<a@b>\r\n");
  EXPECT_EQ(session.line(), "250 2.1.0 Ok\r\n");
  session.send("MAIL FROM:<a@b>\r\n");
  EXPECT_EQ(session.line(), "503 5.5.1 Error: nested MAIL command\r\n");
  session.send("DATA\r\n");
  EXPECT_EQ(session.line(), "503 5.5.1 Error: need RCPT command\r\n");
  session.send("RCPT FROM:<a@b>\r\n");
  EXPECT_EQ(session.line(), "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
  session.send("RSET\r\n");
  EXPECT_EQ(session.line(), "250 2.0.0 Ok\r\n");
  session.send("RCPT TO:<a@b>\r\n");  // RSET ended the transaction
  EXPECT_EQ(session.line(), "503 5.5.1 Error: need MAIL command\r\n");
  session.send("NOOP\r\n");
  EXPECT_EQ(session.line(), "250 2.0.0 Ok\r\n");
  session.send("VRFY root\r\n");
  EXPECT_EQ(session.line(), "500 5.5.2 Error: command not recognized\r\n");
  session.send("\r\n");
  EXPECT_EQ(session.line(), "500 5.5.2 Error: command not recognized\r\n");
  session.send("quit\r\n");
  EXPECT_EQ(session.line(), "221 2.0.0 Bye\r\n");
  EXPECT_EQ(session.line(), "<end>");
}

TEST(HandoffSmtpSession, EndOfStreamEndsTheSession) {
  NoFdLeak no_leak;
  SessionUnderTest session(run_smtp);
  (void)session.line();
  session.send("EHLO c.test\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nunfinished\r\n");
  session.close_write();
  for (int i = 0; i < 6; ++i)
    (void)session.line();
  EXPECT_EQ(session.line(), "<end>");
}

TEST(HandoffSmtpSession, LineTooLongEndsTheSession) {
  NoFdLeak no_leak;
  SessionUnderTest session(run_smtp);
  (void)session.line();
  session.send(std::string(kMaxLine, 'x'));
  EXPECT_EQ(session.line(), "500 5.5.2 Line too long\r\n");
  EXPECT_EQ(session.line(), "<end>");
}

}  // namespace
}  // namespace handoff_example
