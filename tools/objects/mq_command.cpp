// `ipckit mq create|send|recv|stat|rm NAME`: POSIX message queues from a shell.
//
// This file registers `mq` and holds create, stat and rm; send and recv live in
// mq_transfer.cpp. System V message queues have ipcmk -Q, ipcs -q and ipcrm -q. docs/cli.md
// documents the command.
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/completion_hints.hpp"
#include "cli/details.hpp"
#include "cli/exit_codes.hpp"
#include "cli/size.hpp"
#include "cli/values.hpp"
#include "ipckit/posix/mqueue.hpp"
#include "objects/mq_common.hpp"

namespace ipckit::cli::ipc::mq {

NameRules name_rules() {
  return NameRules{.what = "queue name",
                   .kind = posix::NameKind::kMessageQueue,
                   .sysv = false,
                   .sysv_id = false,
                   .reserve_sem_prefix = false,
                   .sysv_refusal =
                       "'ipckit mq' is for POSIX queues; System V ones have ipcmk -Q, "
                       "ipcs -q and ipcrm -q"};
}

namespace {

// ---- create ----------------------------------------------------------------------------------

struct CreateOptions {
  std::string name;
  std::string mode = "0600";
  long max_messages = 0;
  CLI::Option* max_messages_option = nullptr;
  std::uint64_t message_size = 0;
  CLI::Option* message_size_option = nullptr;
};

int run_create(const CreateOptions& o) {
  posix::MqCreateOptions options;
  options.mode = mode_value(o.mode);
  const bool max_given = o.max_messages_option->count() > 0;
  const bool size_given = o.message_size_option->count() > 0;
  if (max_given || size_given) {
    // What is not given keeps the kernel's default for a new queue.
    posix::MqLimits limits;
    if (auto sys = posix::mqueue_system_limits()) {
      limits = {.max_messages = sys->msg_default, .message_size = sys->msgsize_default};
    }
    if (max_given) limits.max_messages = o.max_messages;
    if (size_given) limits.message_size = static_cast<long>(o.message_size);
    options.limits = limits;
  }
  auto made = posix::MessageQueue::create(o.name, options);
  if (!made) return report("mq create", made.error());
  return kExitOk;
}

Verb add_create(CLI::App& mq) {
  auto o = std::make_shared<CreateOptions>();
  auto* app = mq.add_subcommand("create", "Create a message queue (fails if NAME exists)");
  app->add_option("NAME", o->name, "Queue name")->required()->check(name_validator(name_rules()));
  app->add_option("--mode", o->mode, "Permission bits, in octal (umask is not applied)")
      ->check(mode_validator())
      ->default_str("0600");
  o->max_messages_option =
      app->add_option("--max-messages", o->max_messages,
                      "Capacity in messages (default /proc/sys/fs/mqueue/msg_default)")
          ->check(integer_validator(1, 65536));
  o->message_size_option =
      app->add_option("--message-size", o->message_size,
                      "Largest message (default /proc/sys/fs/mqueue/msgsize_default)")
          ->transform(size_transformer())
          ->check(size_at_least(1));
  return {app, [o] { return run_create(*o); }};
}

// ---- stat ------------------------------------------------------------------------------------

struct QueueState {
  posix::MqAttributes attributes;
  struct stat st;
  long long bytes = -1;  // QSIZE, -1 if unreadable
  long long notify_pid = 0;
};

// "QSIZE:11 NOTIFY:0 SIGNO:0 NOTIFY_PID:0", read from the queue's own descriptor: the mqueue
// file behind an mq_open descriptor reads the same as its /dev/mqueue file, mounted or not.
void read_qsize(const posix::MessageQueue& q, QueueState& state) {
  char text[128];
  const ssize_t n = ::pread(q.fd().get(), text, sizeof text - 1, 0);
  if (n <= 0) return;
  const std::string_view line(text, static_cast<std::size_t>(n));
  auto field = [&](std::string_view label, long long& out) {
    const auto at = line.find(label);
    if (at == std::string_view::npos) return;
    const char* begin = line.data() + at + label.size();
    std::from_chars(begin, line.data() + line.size(), out);
  };
  field("QSIZE:", state.bytes);
  field("NOTIFY_PID:", state.notify_pid);
}

int run_stat(const std::string& name, bool json) {
  auto q = posix::MessageQueue::open(name, posix::MqAccess::kReadOnly, posix::MqBlocking::kBlock);
  if (!q) return report("mq stat", q.error());
  QueueState state{};
  auto attributes = q->attributes();
  if (!attributes) return report("mq stat", attributes.error());
  state.attributes = *attributes;
  if (::fstat(q->fd().get(), &state.st) != 0)
    return report("mq stat", Error::from_errno("fstat", q->name()));
  read_qsize(*q, state);
  const auto& a = state.attributes;
  const std::string mode = octal_mode(state.st.st_mode & 07777u);
  if (json) {
    nlohmann::ordered_json doc = {
        {"name", q->name()},
        {"messages", a.messages},
        {"max_messages", a.max_messages},
        {"message_size", a.message_size},
        {"bytes", nullptr},
        {"mode", mode},
        {"uid", state.st.st_uid},
        {"gid", state.st.st_gid},
        {"notify_pid", state.notify_pid},
    };
    if (state.bytes >= 0) doc["bytes"] = state.bytes;
    print_json(doc);
    return kExitOk;
  }
  print_detail("name", q->name());
  print_detail("messages", fmt::format("{} of {}", a.messages, a.max_messages));
  print_detail("message size", size_detail(static_cast<std::uint64_t>(a.message_size)));
  print_detail("bytes queued", state.bytes >= 0 ? std::to_string(state.bytes) : std::string("?"));
  print_detail("mode", mode);
  print_detail("owner", fmt::format("uid {}, gid {}", state.st.st_uid, state.st.st_gid));
  print_detail("notify", state.notify_pid > 0
                             ? fmt::format("registered by pid {}", state.notify_pid)
                             : std::string("none"));
  return kExitOk;
}

Verb add_stat(CLI::App& mq) {
  struct StatOptions {
    std::string name;
    bool json = false;
  };
  auto o = std::make_shared<StatOptions>();
  auto* app = mq.add_subcommand("stat", "Show a queue's capacity, fill level, mode and owner");
  app->add_option("NAME", o->name, "Queue name")->required()->check(name_validator(name_rules()));
  hint(app->get_option("NAME"), {.live = Live::kMqueue});
  app->add_flag("--json", o->json, "Print one JSON object");
  return {app, [o] { return run_stat(o->name, o->json); }};
}

// ---- rm --------------------------------------------------------------------------------------

Verb add_rm(CLI::App& mq) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* app = mq.add_subcommand("rm", "Remove queues (and the messages in them)");
  app->add_option("NAME", *names, "Queue names")->required()->check(name_validator(name_rules()));
  hint(app->get_option("NAME"), {.live = Live::kMqueue});
  return {app, [names] {
            FirstFailure result("mq rm");
            for (const auto& name : *names) {
              if (auto r = posix::MessageQueue::unlink(name); !r) result.add(r.error());
            }
            return result.code();
          }};
}

Runner register_mq(CLI::App& app) {
  auto* mq =
      app.add_subcommand("mq", "POSIX message queues: create, send, receive, inspect, remove");
  mq->require_subcommand(1);
  return dispatch({add_create(*mq), add_send(*mq), add_recv(*mq), add_stat(*mq), add_rm(*mq)});
}

}  // namespace

IPCKIT_COMMAND(130, register_mq);

}  // namespace ipckit::cli::ipc::mq
