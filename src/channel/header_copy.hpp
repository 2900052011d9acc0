// A private copy of a channel's header, for inspection: read with pread(2) from a read-only
// descriptor (POSIX) or copied out of a read-only attach (System V), never through a mapping we
// keep. Internal.
//
// Why a copy: a mapping of a POSIX object faults with SIGBUS when anyone allowed to write the
// object shrinks it while we read (ftruncate), and inspection (`ipckit ls`, `chan stat`,
// `rm --stale`) must survive any object carrying the channel magic, however hostile its owner.
// pread(2) of a shrunk object returns fewer bytes; that is an error (EPROTO), never a signal.
// System V segments cannot be resized, so a SHM_RDONLY attach for the copy is safe. Read-only
// also means read permission suffices: a channel made 0644 can be inspected by others.
// The copy is a snapshot: fields written meanwhile may be torn between words; every field used
// from it is validated (parse_header for the geometry, ChannelInfo's plausibility checks).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "channel/layout.hpp"
#include "channel/parse.hpp"
#include "ipckit/core/error.hpp"
#include "ipckit/sysv/key.hpp"

namespace ipckit::channel::detail {

struct HeaderCopy {
  std::string name;                // bare POSIX name, or the key's description
  std::unique_ptr<Header> header;  // a private copy; never shared memory
  Geometry geometry;               // parse_header of the copy
};

// shm_open(O_RDONLY) + fstat + pread of the header. Errors: those of shm_open (ENOENT, EACCES,
// EINVAL for a bad name), EPROTO (not a channel, or a corrupted header, or "segment truncated
// while in use" when the object shrank under the read).
[[nodiscard]] Result<HeaderCopy> copy_header(std::string_view name);
// shmget + shmat(SHM_RDONLY) + copy + shmdt. Waits up to 100 ms for a creator still writing the
// header, like Segment::open. Errors: those of shmget/shmat (ENOENT, EACCES), EPROTO.
[[nodiscard]] Result<HeaderCopy> copy_header(sysv::Key key);

}  // namespace ipckit::channel::detail
