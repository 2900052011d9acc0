#include "handoff/smtp_session.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include "handoff/line_io.hpp"

namespace handoff_example {

namespace {

std::string local_hostname() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  return name.data();
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  return text;
}

// Whether `argument` starts with `keyword` ("FROM:", "TO:"), case-insensitively.
bool starts_with_keyword(std::string_view argument, std::string_view keyword) {
  return argument.size() >= keyword.size() && upper(argument.substr(0, keyword.size())) == keyword;
}

class Session {
 public:
  Session(int fd, std::string hostname) : fd_(fd), hostname_(std::move(hostname)), reader_(fd) {}

  void run() {
    if (!reply("220 " + hostname_ + " ESMTP ipckit handoff worker pid " +
               std::to_string(::getpid())))
      return;
    std::string line;
    while (next(line)) {
      if (!command(strip_eol(line))) return;
    }
  }

 private:
  enum class State { kStart, kGreeted, kMail, kRcpt };

  bool reply(std::string_view text) { return write_all(fd_, std::string(text) + "\r\n"); }

  // The next line; false at the end of the session (a line too long is answered first).
  bool next(std::string& line) {
    switch (reader_.next(line)) {
      case LineReader::Status::kLine:
        return true;
      case LineReader::Status::kTooLong:
        (void)reply("500 5.5.2 Line too long");
        return false;
      case LineReader::Status::kEnd:
      case LineReader::Status::kError:
        return false;
    }
    return false;
  }

  // Handles one command; false ends the session.
  bool command(std::string_view line) {
    const auto space = line.find(' ');
    const std::string verb = upper(line.substr(0, space));
    const std::string_view argument =
        space == std::string_view::npos ? std::string_view() : trim(line.substr(space + 1));
    if (verb == "EHLO" || verb == "HELO") return greet(verb, argument);
    if (verb == "MAIL") return mail(argument);
    if (verb == "RCPT") return rcpt(argument);
    if (verb == "DATA") return data();
    if (verb == "RSET") {
      if (state_ != State::kStart) state_ = State::kGreeted;
      return reply("250 2.0.0 Ok");
    }
    if (verb == "NOOP") return reply("250 2.0.0 Ok");
    if (verb == "QUIT") {
      (void)reply("221 2.0.0 Bye");
      return false;
    }
    return reply("500 5.5.2 Error: command not recognized");
  }

  bool greet(const std::string& verb, std::string_view domain) {
    if (domain.empty()) return reply("501 5.5.4 Syntax: " + verb + " hostname");
    state_ = State::kGreeted;  // a new greeting also ends any transaction
    const std::string hello = hostname_ + " hello " + std::string(domain);
    if (verb == "HELO") return reply("250 " + hello);
    return reply("250-" + hello) && reply("250-8BITMIME") && reply("250 SMTPUTF8");
  }

  bool mail(std::string_view argument) {
    if (state_ == State::kStart) return reply("503 5.5.1 Error: send HELO/EHLO first");
    if (state_ != State::kGreeted) return reply("503 5.5.1 Error: nested MAIL command");
    if (!starts_with_keyword(argument, "FROM:"))
      return reply("501 5.5.4 Syntax: MAIL FROM:<address>");
    state_ = State::kMail;
    return reply("250 2.1.0 Ok");
  }

  bool rcpt(std::string_view argument) {
    if (state_ != State::kMail && state_ != State::kRcpt)
      return reply("503 5.5.1 Error: need MAIL command");
    if (!starts_with_keyword(argument, "TO:")) return reply("501 5.5.4 Syntax: RCPT TO:<address>");
    state_ = State::kRcpt;
    return reply("250 2.1.5 Ok");
  }

  bool data() {
    if (state_ != State::kRcpt) return reply("503 5.5.1 Error: need RCPT command");
    if (!reply("354 End data with <CR><LF>.<CR><LF>")) return false;
    std::string line;
    for (;;) {
      if (!next(line)) return false;
      if (strip_eol(line) == ".") break;
    }
    state_ = State::kGreeted;
    return reply("250 2.0.0 Ok: discarded");
  }

  int fd_;
  std::string hostname_;
  LineReader reader_;
  State state_ = State::kStart;
};

}  // namespace

void run_smtp_session(ipckit::Fd client, const SmtpOptions& options) {
  Session(client.get(), options.hostname.empty() ? local_hostname() : options.hostname).run();
}

}  // namespace handoff_example
