// The bridge's structured log: one logfmt line per event, built on the handoff daemon's Logger
// (its quoting rules, docs/handoff.md "Logging"). Internal.
#pragma once

#include <string>
#include <string_view>

#include "handoff/log.hpp"
#include "ipckit/bridge/out.hpp"

namespace ipckit::bridge::detail {

// Starts a line for `event`; add fields, then emit().
class LogLine {
 public:
  LogLine(const LogSink& sink, handoff::LogLevel level, std::string_view event) : sink_(sink) {
    logger_.begin(level, event);
  }
  template <class T>
  LogLine& field(std::string_view key, T value) {
    logger_.field(key, value);
    return *this;
  }
  void emit() {
    std::string_view line = logger_.finish();
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    if (sink_) sink_(line);
  }

 private:
  const LogSink& sink_;
  handoff::detail::Logger logger_;
};

}  // namespace ipckit::bridge::detail
