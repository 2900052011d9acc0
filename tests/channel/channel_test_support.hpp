// Helpers for channel tests: a uniquely named channel that is unlinked at scope exit.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "ipckit/channel.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::test {

// Creates a channel with a unique name; unlinks it on destruction (also after a failed ASSERT).
class ScopedChannel {
 public:
  explicit ScopedChannel(const channel::ChannelOptions& options = {},
                         const std::string& suffix = "chan")
      : name_(unique_name(suffix)) {
    auto c = channel::Channel::create(name_, options);
    if (!c) ADD_FAILURE() << c.error().message();
    if (c) channel_.emplace(std::move(*c));
  }
  ~ScopedChannel() {
    channel_.reset();
    (void)channel::Channel::unlink(name_);
  }
  ScopedChannel(const ScopedChannel&) = delete;
  ScopedChannel& operator=(const ScopedChannel&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] bool ok() const { return channel_.has_value(); }
  channel::Channel& operator*() { return *channel_; }
  channel::Channel* operator->() { return &*channel_; }

 private:
  std::string name_;
  std::optional<channel::Channel> channel_;
};

inline std::span<const std::byte> bytes_of(std::string_view s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}
inline std::string string_of(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace ipckit::test
