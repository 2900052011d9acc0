// A message endpoint over a byte stream (pipe, FIFO, stream socket): the framing every real user
// of a stream must add. A message goes out as one write of [u32 length][payload]; the receiver
// reads into its own buffer as much as the kernel has (several messages per read(2) when they
// are queued, as any buffered reader would) and hands out one whole message at a time.
//
// Ownership: the endpoint borrows the descriptors (the Link owns them and outlives it).
// Blocking: send() blocks until every byte is written; receive() until one whole message is in.
// A peer that closes its end makes receive() fail with EPIPE ("peer closed the stream").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "harness/link.hpp"

namespace ipckit::bench::kernel {

class FramedStreamEndpoint final : public Endpoint {
 public:
  // `write_fd` and `read_fd` may be the same socket. `use_send`: send(2) with MSG_NOSIGNAL
  // (sockets) instead of write(2) (pipes). `what` names the stream in errors.
  FramedStreamEndpoint(int write_fd, int read_fd, bool use_send, std::string what);

  Result<std::span<std::byte>> prepare(std::size_t size) override;
  Result<void> send(std::size_t size) override;
  Result<std::span<const std::byte>> receive() override;

 private:
  // Makes at least `n` unread bytes available from begin_, reading as needed.
  Result<void> fill(std::size_t n);

  int write_fd_;
  int read_fd_;
  bool use_send_;
  std::string what_;
  std::vector<std::byte> out_;  // [u32 length][payload]
  std::vector<std::byte> in_;
  std::size_t begin_ = 0;     // first unread byte of in_
  std::size_t end_ = 0;       // one past the last byte read into in_
  std::size_t consumed_ = 0;  // bytes of the message last returned, dropped at the next receive
};

}  // namespace ipckit::bench::kernel
