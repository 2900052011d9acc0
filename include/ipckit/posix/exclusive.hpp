// ipckit::posix::Exclusive: how a POSIX create call (shm_open, sem_open, mq_open with O_CREAT)
// treats an object that already has the name. Shared by every POSIX IPC wrapper.
#pragma once

namespace ipckit::posix {

enum class Exclusive : bool {
  kNo = false,  // O_CREAT: open the existing object if there is one
  kYes = true,  // O_CREAT | O_EXCL: fail with EEXIST if the name exists
};

}  // namespace ipckit::posix
