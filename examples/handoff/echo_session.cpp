#include "handoff/echo_session.hpp"

#include <unistd.h>

#include <string>

#include "handoff/line_io.hpp"

namespace handoff_example {

void run_echo_session(ipckit::Fd client) {
  LineReader reader(client.get());
  std::string line;
  for (;;) {
    switch (reader.next(line)) {
      case LineReader::Status::kLine:
        break;
      case LineReader::Status::kTooLong:
        (void)write_all(client.get(), "line too long\r\n");
        return;
      case LineReader::Status::kEnd:
      case LineReader::Status::kError:
        return;
    }
    const bool pid_request = strip_eol(line) == "PID";
    const std::string reply =
        pid_request ? "pid " + std::to_string(::getpid()) + std::string(eol_of(line)) : line;
    if (!write_all(client.get(), reply)) return;
  }
}

}  // namespace handoff_example
