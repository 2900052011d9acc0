// What the `ipckit mq` verbs share: the naming rule of a queue NAME, and the verbs defined in
// mq_transfer.cpp. Internal to the `ipckit` command (tools/objects/mq_*.cpp).
#pragma once

#include "objects/object_target.hpp"

namespace ipckit::cli::ipc::mq {

// NAME of `mq` verbs: a POSIX name; "sysv:..." is refused, naming the System V tools.
[[nodiscard]] NameRules name_rules();

Verb add_send(CLI::App& mq);  // mq_transfer.cpp
Verb add_recv(CLI::App& mq);  // mq_transfer.cpp

}  // namespace ipckit::cli::ipc::mq
