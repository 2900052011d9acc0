// `ipckit mq send NAME (TEXT | --file FILE) [--priority N]` and `ipckit mq recv NAME`: one
// message each way, blocking by default, bounded with --timeout or refused at once with
// --nonblock.
#include <fmt/core.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "cli/completion_hints.hpp"
#include "cli/exit_codes.hpp"
#include "cli/io.hpp"
#include "cli/output.hpp"
#include "cli/values.hpp"
#include "ipckit/posix/mqueue.hpp"
#include "objects/mq_common.hpp"

namespace ipckit::cli::ipc::mq {

namespace {

using cli::DataFile;

struct TransferOptions {
  std::string name;
  std::string text;
  std::string file;
  CLI::Option* file_option = nullptr;
  unsigned priority = 0;
  double timeout = -1;
  bool nonblock = false;
  bool no_newline = false;
  bool verbose = false;
};

// Adds --timeout and --nonblock, which exclude each other. `state` is what makes the verb wait:
// "full" or "empty".
void add_wait_options(CLI::App* app, TransferOptions& o, std::string_view state) {
  auto* timeout =
      app->add_option("--timeout", o.timeout,
                      fmt::format("Give up if the queue stays {} for this many seconds", state))
          ->check(seconds_validator());
  app->add_flag("--nonblock", o.nonblock, fmt::format("Fail at once if the queue is {}", state))
      ->excludes(timeout);
}

// The message from --file: at most limit + 1 bytes are read, enough to tell it is too long.
Result<std::vector<std::byte>> read_message(const std::string& path, std::size_t limit) {
  auto in = DataFile::open_input(path);
  if (!in) return std::unexpected(in.error());
  std::vector<std::byte> data(limit + 1);
  auto done = read_full(*in, data);
  if (!done) return std::unexpected(done.error());
  data.resize(*done);
  return data;
}

int run_send(const TransferOptions& o) {
  auto q = posix::MessageQueue::open(o.name, posix::MqAccess::kWriteOnly);
  if (!q) return report("mq send", q.error());
  const auto limit = static_cast<std::size_t>(q->message_size());
  std::vector<std::byte> from_file;
  std::span<const std::byte> data = std::as_bytes(std::span(o.text));
  if (o.file_option->count() > 0) {
    auto read = read_message(o.file, limit);
    if (!read) return report("mq send", read.error());
    from_file = std::move(*read);
    if (from_file.size() > limit) {
      return report("mq send",
                    Error(EMSGSIZE, "mq_send", q->name(),
                          fmt::format("{} is longer than the queue's message size of {} bytes",
                                      o.file == "-" || o.file.empty() ? "stdin" : o.file, limit)));
    }
    data = from_file;
  }
  if (o.nonblock) {
    auto sent = q->try_send(data, o.priority);
    if (!sent) return report("mq send", sent.error());
    if (*sent == posix::MqSendResult::kFull) {
      return report("mq send",
                    Error(EAGAIN, "send", q->name(),
                          fmt::format("the queue is full ({} messages)", q->max_messages())));
    }
    return kExitOk;
  }
  auto sent = o.timeout >= 0 ? q->send_for(data, o.priority, to_duration(o.timeout))
                             : q->send(data, o.priority);
  if (!sent && sent.error().code() == ETIMEDOUT) {
    return report("mq send",
                  Error(ETIMEDOUT, "send", q->name(),
                        fmt::format("the queue stayed full for {}", describe_seconds(o.timeout))));
  }
  if (!sent) return report("mq send", sent.error());
  return kExitOk;
}

int run_recv(const TransferOptions& o) {
  auto q = posix::MessageQueue::open(o.name, posix::MqAccess::kReadOnly);
  if (!q) return report("mq recv", q.error());
  posix::MqMessage message;
  if (o.nonblock) {
    auto got = q->try_receive();
    if (!got) return report("mq recv", got.error());
    if (!*got) return report("mq recv", Error(EAGAIN, "receive", q->name(), "the queue is empty"));
    message = std::move(**got);
  } else {
    auto got = o.timeout >= 0 ? q->receive_for(to_duration(o.timeout)) : q->receive();
    if (!got && got.error().code() == ETIMEDOUT) {
      return report("mq recv",
                    Error(ETIMEDOUT, "receive", q->name(),
                          fmt::format("no message for {}", describe_seconds(o.timeout))));
    }
    if (!got) return report("mq recv", got.error());
    message = std::move(*got);
  }
  if (o.verbose) {
    warn("mq recv: {}: priority {}, {} byte{}", q->name(), message.priority, message.data.size(),
         message.data.size() == 1 ? "" : "s");
  }
  if (!o.no_newline) message.data.push_back(std::byte{'\n'});
  auto out = DataFile::open_output("");
  if (!out) return report("mq recv", out.error());
  if (auto r = write_all(*out, message.data); !r) return report("mq recv", r.error());
  return kExitOk;
}

}  // namespace

Verb add_send(CLI::App& mq) {
  auto o = std::make_shared<TransferOptions>();
  auto* app = mq.add_subcommand("send", "Send one message: TEXT, or a file's bytes");
  app->add_option("NAME", o->name, "Queue name")->required()->check(name_validator(name_rules()));
  hint(app->get_option("NAME"), {.live = Live::kMqueue});
  o->file_option = add_text_or_file(*app, o->text, o->file, "The message (no newline is added)",
                                    "Send this file's bytes as the message ('-' for stdin)",
                                    "give the message as TEXT or with --file FILE");
  app->add_option("--priority", o->priority, "0 to 32767; higher priorities are received first")
      ->check(unsigned_validator(0, posix::kMqPriorityMax))
      ->default_str("0");
  add_wait_options(app, *o, "full");
  return {app, [o] { return run_send(*o); }};
}

Verb add_recv(CLI::App& mq) {
  auto o = std::make_shared<TransferOptions>();
  auto* app = mq.add_subcommand(
      "recv", "Receive one message (the oldest of the highest priority) and print it");
  app->add_option("NAME", o->name, "Queue name")->required()->check(name_validator(name_rules()));
  hint(app->get_option("NAME"), {.live = Live::kMqueue});
  add_wait_options(app, *o, "empty");
  app->add_flag("-n,--no-newline", o->no_newline,
                "Print the message's bytes only, with no newline after them");
  app->add_flag("-v,--verbose", o->verbose, "Also report the priority and size on stderr");
  return {app, [o] { return run_recv(*o); }};
}

}  // namespace ipckit::cli::ipc::mq
