// What the `ipckit sock` and `ipckit fd` verbs share beyond the CLI floor: addresses and socket
// types on the command line, access-policy options, waiting with the stop signals
// (cli/signals.hpp), receiving on a bound datagram socket, and the loop that copies stdin to a
// socket and the socket to stdout at the same time.
//
// Internal to the `ipckit` command (tools/sock/). Single-threaded,
// like the command. docs/cli.md documents the behaviour these helpers implement.
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "cli/signals.hpp"
#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/unix/access_policy.hpp"
#include "ipckit/unix/address.hpp"
#include "ipckit/unix/bound_datagram.hpp"
#include "ipckit/unix/credentials.hpp"
#include "ipckit/unix/listener.hpp"
#include "ipckit/unix/lock_wait.hpp"
#include "ipckit/unix/socket.hpp"

namespace ipckit::cli::sock {

using uds::SocketType;
using uds::UnixAddress;
using uds::UnixSocket;

// sock_send_recv.cpp's verbs (listen and connect are in sock_command.cpp).
Verb add_send(CLI::App& sock);
Verb add_recv(CLI::App& sock);

// ADDR: "@name" is abstract, anything else a path; "" (unnamed) is refused. Checked at parse
// time: "invalid address '': ..." and ENAMETOOLONG for 108 bytes or more.
[[nodiscard]] Result<UnixAddress> parse_address(std::string_view text);
[[nodiscard]] CLI::Validator address_validator();
// The required ADDR argument, checked with address_validator().
void add_address_argument(CLI::App& app, std::string& address,
                          const std::string& help = "A path, or @name for an abstract name");
// --mode OCTAL: the permission bits of a path socket's file (the verbs that bind).
void add_socket_mode_option(CLI::App& app, std::string& mode);

// --type stream|dgram|seqpacket (also "datagram").
void add_type_option(CLI::App& app, std::string& type);
[[nodiscard]] SocketType type_value(const std::string& text);
// "stream", "dgram", "seqpacket": the word the command line uses.
[[nodiscard]] std::string_view type_word(SocketType type) noexcept;

// --allow-uid UID (repeatable), --allow-gid GID (repeatable), --allow-any. An id is decimal
// (uds::parse_id); an empty or malformed one is a usage error, never uid 0.
struct PolicyOptions {
  std::vector<uid_t> uids;
  std::vector<gid_t> gids;
  bool any = false;
};
// Who the options are about: the peers a server accepts, or the server a client talks to.
enum class PolicyRole { kServer, kClient };
void add_policy_options(CLI::App& app, PolicyOptions& options,
                        PolicyRole role = PolicyRole::kServer);
// The policy the options ask for; none given: the library's default for the address (the same
// user for abstract names, anyone for paths).
[[nodiscard]] uds::AccessPolicy policy_for(const PolicyOptions& options,
                                           const UnixAddress& address);
// A client's policy on its server: none given means no check (std::nullopt).
[[nodiscard]] std::optional<uds::AccessPolicy> client_policy(const PolicyOptions& options);
// Whether any --allow-* option was given.
[[nodiscard]] bool policy_given(const PolicyOptions& options) noexcept;

// The usage error for --allow-* on a datagram client: a datagram socket has no peer credentials.
int dgram_policy_usage(std::string_view prefix);

// Prints "ipckit: PREFIX: <e.message()>" with the error's object replaced by `address` when it
// named a bare descriptor ("fd 5", "socket 5"), and returns the exit code for e's errno.
int report(std::string_view prefix, const Error& e, const UnixAddress* address = nullptr);

// "ipckit: PREFIX: WHAT pid P uid U gid G" on stderr (the -v lines).
void print_peer(std::string_view prefix, std::string_view what, const uds::PeerCredentials& peer);

// How long binding a path waits for its "<path>.lock": --timeout SECONDS when given (negative:
// not given), else the library's default; a stop signal ends the wait (EINTR).
[[nodiscard]] uds::LockWait lock_wait(double timeout_seconds);
// Reports a failed bind, or (after a stop signal ended it) returns 1 quietly: dispatch() then
// dies of the signal.
int report_bind(std::string_view prefix, const Error& e, const UnixAddress& address);

// What the verbs that bind ADDR give the library: non-blocking, --mode, --timeout's lock wait.
// listen_on() binds a listener that accepts the peers `policy` allows; bind_datagram() a
// datagram socket that receives its senders' credentials. Errors: those of UnixListener::bind and
// BoundDatagram::bind (report them with report_bind()).
[[nodiscard]] Result<uds::UnixListener> listen_on(const UnixAddress& address, SocketType type,
                                                  const std::string& mode,
                                                  const uds::AccessPolicy& policy,
                                                  double timeout_seconds);
[[nodiscard]] Result<uds::BoundDatagram> bind_datagram(const UnixAddress& address,
                                                       const std::string& mode,
                                                       double timeout_seconds);

// ETIMEDOUT on `address` after --timeout: "no WHAT for N seconds".
[[nodiscard]] Error timed_out(const char* operation, const UnixAddress& address,
                              std::string_view what, double timeout_seconds);

// Waits (with the stop signals, for --timeout seconds; negative: forever) for the next connection
// `listener` allows and accepts it; a connection refused or gone before accept() is skipped.
// Returns: the connection, or std::nullopt when a stop signal came. Errors: ETIMEDOUT
// (timed_out("accept", address, "connection", ...)), those of poll(2) and accept(2).
[[nodiscard]] Result<std::optional<uds::Connection>> accept_next(const uds::UnixListener& listener,
                                                                 const UnixAddress& address,
                                                                 double timeout_seconds);

// The wait outcome of wait_for().
enum class Ready { kReady, kStopped, kTimedOut };
// poll(2) for `events` on `fd`, or a stop signal, for at most `timeout_ms` (-1: forever).
// Errors: those of poll(2) other than EINTR.
[[nodiscard]] Result<Ready> wait_for(FdView fd, short events, int timeout_ms);

// The largest message the commands receive whole (a datagram or seqpacket larger than this is
// an error, EMSGSIZE): more than the kernel's default send buffer allows.
inline constexpr std::size_t kMaxMessage = std::size_t{256} << 10;

// One datagram taken by receive_datagram(), with its sender's credentials.
struct Message {
  std::size_t size;
  uds::PeerCredentials sender;
};
// Waits (with stop signals and `timeout_ms`) for a datagram the policy allows on `bound`;
// refused senders' messages are dropped and logged as UnixListener logs refused peers.
// Returns: the message in buffer's first `size` bytes, or std::nullopt when stopped or timed out
// (`ready` says which). Errors: EMSGSIZE (longer than the buffer), those of recvmsg(2).
[[nodiscard]] Result<std::optional<Message>> receive_datagram(const uds::BoundDatagram& bound,
                                                              const uds::AccessPolicy& policy,
                                                              std::span<std::byte> buffer,
                                                              int timeout_ms, Ready& ready);

// How print_datagrams() serves `sock listen` and `sock recv` on a datagram socket.
struct DatagramSink {
  std::string_view prefix;           // "sock listen", "sock recv": for messages
  std::string mode;                  // --mode of a path socket's file
  double timeout = -1;               // --timeout for each message (negative: none)
  std::uint64_t count = UINT64_MAX;  // stop after this many messages
  bool lines = false;                // write a newline after each message
  bool verbose = false;              // each sender's credentials on stderr
  bool announce = false;             // with verbose: "receiving on ADDR" once bound
};
// Binds a datagram socket to `address` and writes each message `policy` allows to stdout.
// Returns the exit code: 0 after sink.count messages; 1 quietly after a stop signal; the reported
// error's code otherwise (a bind error, a timeout, a write error on stdout).
int print_datagrams(const DatagramSink& sink, const UnixAddress& address,
                    const uds::AccessPolicy& policy);

// Where stdin stands across the connections one command serves.
struct Input {
  bool eof = false;  // stdin reached its end: later connections get none of it
};

// Copies stdin to `socket` and `socket` to stdout at the same time, with poll(2), until both
// directions have ended (docs/cli.md, "Both directions"): stdin's end shuts the socket's write
// side (stream, seqpacket); the socket's end (EOF) ends the other direction. When the peer has
// closed completely, reading stdin stops too. A datagram socket has no end: the copy ends with
// stdin. Each read of stdin is one message on a datagram or seqpacket socket.
// REQUIRES: `socket` is connected. Returns: nothing once done; StopSignals::stopped() when a stop
// signal came. Errors: EPIPE, ECONNRESET (the peer left while input was unsent), EMSGSIZE, and
// those of read(2) and write(2) on stdin and stdout.
[[nodiscard]] Result<void> copy_both_ways(const UnixSocket& socket, const UnixAddress& address,
                                          Input& input);

// write(2) of all of `data` to stdout across short writes. A stop signal that interrupts it
// ends it with StopSignals::stopped(). Errors: those of write(2) (EPIPE: stdout was closed).
[[nodiscard]] Result<void> write_stdout(std::span<const std::byte> data);

// Reads stdin to its end. Errors: those of read(2); EMSGSIZE past `limit` bytes.
[[nodiscard]] Result<std::vector<std::byte>> read_stdin(std::size_t limit);

}  // namespace ipckit::cli::sock
