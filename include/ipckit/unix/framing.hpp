// Length-prefixed messages over a stream socket: write_frame() and read_frame().
//
// Wire format (docs/unix-sockets.md has the byte-level spec): a 4-byte unsigned length, little
// endian, then that many payload bytes. No padding, no magic, no checksum: the stream itself is
// reliable and ordered. A 0-byte payload is a valid frame (4 bytes on the wire).
//
// Both functions loop over partial sends and receives until the frame is complete, so a frame
// larger than the socket buffer or split by the peer's writes arrives whole. They are not
// atomic: when one fails after part of a frame has moved (peer gone, timeout, EINTR with a
// timeout set, oversize frame), the stream is mid-frame and can no longer be parsed — close it.
// A failure before any byte moved (EAGAIN, ETIMEDOUT, EINTR) leaves the stream at a frame
// boundary: call again.
//
// EINTR: restarted mid-frame always (abandoning half a frame would break the stream); at a
// frame boundary, restarted unless a timeout is set (see socket.hpp).
//
// Non-blocking sockets: EAGAIN before the first byte is returned as such; once a frame has
// started, the call waits (poll(2)) for the socket to be ready and finishes the frame. A
// timeout (SO_SNDTIMEO/SO_RCVTIMEO) on a blocking socket still ends the call, as ETIMEDOUT.
//
// Thread safety: frames from concurrent writers on one socket can interleave byte-wise; use one
// writer (and one reader) per socket, or a lock.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::uds {

// Size of the length prefix.
inline constexpr std::size_t kFrameHeaderSize = 4;
// The default cap on a payload: 16 MiB. The largest the format allows is 2^32 - 1.
inline constexpr std::size_t kDefaultMaxFrameSize = std::size_t{16} << 20;

// send(2) with MSG_NOSIGNAL of the header and payload (one sendmsg when the buffer has room).
// REQUIRES: a connected stream socket (any socket whose send keeps bytes in order).
// Returns: nothing once the whole frame is in the socket buffer. Errors: EMSGSIZE (payload
// larger than max_size or 2^32 - 1; nothing is sent), EPIPE (peer gone; never SIGPIPE),
// EAGAIN (non-blocking and nothing sent yet), ETIMEDOUT (send timeout), EINTR (timeout set,
// nothing sent yet), ENOTSOCK. Man: send(2), unix(7).
[[nodiscard]] Result<void> write_frame(FdView socket, std::span<const std::byte> payload,
                                       std::size_t max_size = kDefaultMaxFrameSize);

// recv(2) of one header, then of its payload.
// REQUIRES: a connected stream socket.
// Returns: the payload; std::nullopt when the peer closed the stream at a frame boundary (a
// clean end). Errors: EPROTO (the peer closed mid-frame: the detail says after how many bytes),
// EMSGSIZE (the header announces more than max_size bytes; the payload is left unread, so the
// stream is unusable), ECONNRESET (reset by the peer), EAGAIN (non-blocking and no byte of
// the frame yet), ETIMEDOUT (receive timeout), EINTR (timeout set, no byte yet). Man: recv(2).
[[nodiscard]] Result<std::optional<std::vector<std::byte>>> read_frame(
    FdView socket, std::size_t max_size = kDefaultMaxFrameSize);

// The 4-byte header announcing a payload of `size` bytes. REQUIRES: size <= 2^32 - 1.
[[nodiscard]] constexpr std::array<std::byte, kFrameHeaderSize> encode_frame_header(
    std::uint32_t size) noexcept {
  return {std::byte(size & 0xffu), std::byte((size >> 8) & 0xffu), std::byte((size >> 16) & 0xffu),
          std::byte((size >> 24) & 0xffu)};
}

// The payload length that a 4-byte header announces.
[[nodiscard]] constexpr std::uint32_t decode_frame_header(
    std::span<const std::byte, kFrameHeaderSize> header) noexcept {
  return static_cast<std::uint32_t>(header[0]) | static_cast<std::uint32_t>(header[1]) << 8 |
         static_cast<std::uint32_t>(header[2]) << 16 | static_cast<std::uint32_t>(header[3]) << 24;
}

}  // namespace ipckit::uds
