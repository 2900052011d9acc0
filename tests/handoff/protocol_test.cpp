// The handoff wire protocol (docs/handoff.md "Wire protocol"): every message survives
// encode → decode unchanged, and every malformed payload is refused with EPROTO and a detail
// that names the problem.
#include "ipckit/handoff/protocol.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace ipckit::handoff::protocol {
namespace {

net::InetAddress address(const char* text) {
  auto parsed = net::InetAddress::parse(text);
  EXPECT_TRUE(parsed) << text;
  return parsed ? *parsed : net::InetAddress{};
}

ClientInfo sample_client() {
  ClientInfo info;
  info.id = 18446744073709551615ULL;  // the largest id survives (no double rounding)
  info.peer = address("192.0.2.7:40512");
  info.local = address("[2001:db8::1]:25");
  info.accepted_unix_ns = 1796218645123456789;
  info.screens = {"access", "rate", "concurrency", "pregreet"};
  info.banner_sent = true;
  info.redispatched = 2;
  return info;
}

WorkerMessage worker_round_trip(const WorkerMessage& message) {
  auto decoded = decode_worker_message(encode(message));
  EXPECT_TRUE(decoded) << decoded.error().message();
  return decoded ? *decoded : WorkerMessage{};
}

DaemonMessage daemon_round_trip(const DaemonMessage& message) {
  auto decoded = decode_daemon_message(encode(message));
  EXPECT_TRUE(decoded) << decoded.error().message();
  return decoded ? *decoded : DaemonMessage{};
}

// Decoding `payload` as a worker message fails with EPROTO and a detail containing `detail`.
void expect_worker_refused(const std::string& payload, const std::string& detail) {
  auto decoded = decode_worker_message(payload);
  ASSERT_FALSE(decoded) << payload;
  EXPECT_EQ(decoded.error().code(), EPROTO) << payload;
  EXPECT_NE(decoded.error().detail().find(detail), std::string::npos)
      << payload << " → " << decoded.error().message();
}

void expect_daemon_refused(const std::string& payload, const std::string& detail) {
  auto decoded = decode_daemon_message(payload);
  ASSERT_FALSE(decoded) << payload;
  EXPECT_EQ(decoded.error().code(), EPROTO) << payload;
  EXPECT_NE(decoded.error().detail().find(detail), std::string::npos)
      << payload << " → " << decoded.error().message();
}

// A valid "client" message with member `key` replaced by the JSON text `value`.
std::string client_with(const std::string& key, const std::string& value) {
  std::string json =
      R"({"op":"client","id":7,"peer":"192.0.2.7:40512","local":"192.0.2.1:25",)"
      R"("accepted_unix_ns":1,"screens":["cache"],"banner_sent":false,"redispatched":0})";
  const std::string needle = "\"" + key + "\":";
  const auto start = json.find(needle) + needle.size();
  auto end = json.find_first_of(",}", start);
  if (json[start] == '[') end = json.find(']', start) + 1;
  return json.replace(start, end - start, value);
}

TEST(HandoffProtocol, RegisterRoundTrips) {
  const auto message = worker_round_trip(Register{.name = "smtpd", .capacity = 64});
  const auto* reg = std::get_if<Register>(&message);
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->name, "smtpd");
  EXPECT_EQ(reg->capacity, 64U);
}

TEST(HandoffProtocol, RegisterIsTheDocumentedJson) {
  EXPECT_EQ(encode(WorkerMessage{Register{.name = "smtpd", .capacity = 64}}),
            R"({"op":"register","protocol":1,"name":"smtpd","capacity":64})");
  EXPECT_EQ(encode(WorkerMessage{Ack{.id = 7}}), R"({"op":"ack","id":7})");
  EXPECT_EQ(encode(WorkerMessage{Done{.id = 7}}), R"({"op":"done","id":7})");
  EXPECT_EQ(encode(WorkerMessage{StatsRequest{}}), R"({"op":"stats"})");
}

TEST(HandoffProtocol, AckDoneAndStatsRequestRoundTrip) {
  auto ack = worker_round_trip(Ack{.id = 18446744073709551615ULL});
  ASSERT_TRUE(std::holds_alternative<Ack>(ack));
  EXPECT_EQ(std::get<Ack>(ack).id, 18446744073709551615ULL);
  auto done = worker_round_trip(Done{.id = 0});
  ASSERT_TRUE(std::holds_alternative<Done>(done));
  EXPECT_EQ(std::get<Done>(done).id, 0U);
  EXPECT_TRUE(std::holds_alternative<StatsRequest>(worker_round_trip(StatsRequest{})));
}

TEST(HandoffProtocol, RegisteredRoundTrips) {
  auto message = daemon_round_trip(Registered{.worker = 4294967295U, .daemon_pid = 4242});
  const auto* reg = std::get_if<Registered>(&message);
  ASSERT_NE(reg, nullptr);
  EXPECT_EQ(reg->worker, 4294967295U);
  EXPECT_EQ(reg->daemon_pid, 4242);
}

TEST(HandoffProtocol, ClientRoundTripsEveryField) {
  const ClientInfo sent = sample_client();
  auto message = daemon_round_trip(Client{.info = sent});
  const auto* client = std::get_if<Client>(&message);
  ASSERT_NE(client, nullptr);
  const ClientInfo& got = client->info;
  EXPECT_EQ(got.id, sent.id);
  EXPECT_EQ(got.peer, sent.peer);
  EXPECT_EQ(got.local, sent.local);
  EXPECT_EQ(got.accepted_unix_ns, sent.accepted_unix_ns);
  EXPECT_EQ(got.screens, sent.screens);
  EXPECT_EQ(got.banner_sent, sent.banner_sent);
  EXPECT_EQ(got.redispatched, sent.redispatched);
}

TEST(HandoffProtocol, ClientAddressesUseTheTextForm) {
  const std::string json = encode(DaemonMessage{Client{.info = sample_client()}});
  EXPECT_NE(json.find(R"("peer":"192.0.2.7:40512")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("local":"[2001:db8::1]:25")"), std::string::npos) << json;
  EXPECT_EQ(json.rfind(R"({"op":"client",)", 0), 0U) << json;
}

TEST(HandoffProtocol, RefusedRoundTrips) {
  auto message = daemon_round_trip(Refused{.reason = "uid 1000 is not allowed"});
  ASSERT_TRUE(std::holds_alternative<Refused>(message));
  EXPECT_EQ(std::get<Refused>(message).reason, "uid 1000 is not allowed");
}

TEST(HandoffProtocol, StatsReplyKeepsTheWholeObject) {
  const std::string json = R"({"op":"stats","accepted":3,"future":[1,2]})";
  EXPECT_EQ(encode(DaemonMessage{StatsReply{.json = json}}), json);
  auto message = daemon_round_trip(StatsReply{.json = json});
  ASSERT_TRUE(std::holds_alternative<StatsReply>(message));
  EXPECT_EQ(std::get<StatsReply>(message).json, json);
}

TEST(HandoffProtocol, UnknownMembersAreIgnored) {
  auto decoded = decode_worker_message(
      R"({"op":"register","protocol":1,"name":"a","capacity":1,"colour":"blue","x":{}})");
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(std::get<Register>(*decoded).name, "a");
  ASSERT_TRUE(decode_daemon_message(client_with("id", "7") + " "));
}

TEST(HandoffProtocol, NotJsonIsRefused) {
  expect_worker_refused("", "not JSON");
  expect_worker_refused("{\"op\":\"ack\",", "not JSON");
  expect_worker_refused("\xff\xfe", "not JSON");
  expect_worker_refused("{\"op\":\"done\",\"id\":1} trailing", "not JSON");
  expect_daemon_refused("registered", "not JSON");
  // Invalid UTF-8 inside a string.
  expect_daemon_refused("{\"op\":\"refused\",\"reason\":\"\xc3\x28\"}", "not JSON");
}

TEST(HandoffProtocol, NotAnObjectIsRefused) {
  expect_worker_refused("[]", "not a JSON object");
  expect_worker_refused("\"register\"", "not a JSON object");
  expect_worker_refused("42", "not a JSON object");
  expect_daemon_refused("null", "not a JSON object");
}

TEST(HandoffProtocol, MissingOrUnknownOpIsRefused) {
  expect_worker_refused("{}", "no op");
  expect_worker_refused(R"({"id":1})", "no op");
  expect_worker_refused(R"({"op":1})", "op must be a string");
  expect_worker_refused(R"({"op":"registered","worker":1,"daemon_pid":2})",
                        "unknown op 'registered'");
  expect_worker_refused(R"({"op":"Ack","id":1})", "unknown op 'Ack'");
  expect_daemon_refused(R"({"op":"register","protocol":1,"name":"a","capacity":1})",
                        "unknown op 'register'");
  expect_daemon_refused(R"({"op":"ack","id":1})", "unknown op 'ack'");
  // A hostile op is quoted safely and cut short.
  expect_daemon_refused(R"({"op":"a\n)" + std::string(200, 'x') + "\"}", "unknown op 'a\\x0axx");
}

TEST(HandoffProtocol, WrongTypesAreRefused) {
  expect_worker_refused(R"({"op":"register","protocol":1,"name":5,"capacity":1})",
                        "'name' must be a string");
  expect_worker_refused(R"({"op":"register","protocol":1,"name":"a","capacity":"1"})",
                        "'capacity' must be a non-negative integer");
  expect_worker_refused(R"({"op":"register","protocol":"1","name":"a","capacity":1})",
                        "'protocol' must be a non-negative integer");
  expect_worker_refused(R"({"op":"ack","id":"7"})", "'id' must be a non-negative integer");
  expect_worker_refused(R"({"op":"done","id":true})", "'id' must be a non-negative integer");
  expect_daemon_refused(client_with("banner_sent", "1"), "'banner_sent' must be a boolean");
  expect_daemon_refused(client_with("screens", "\"cache\""), "'screens' must be an array");
  expect_daemon_refused(client_with("screens", "[1]"), "'screens' must hold strings");
  expect_daemon_refused(client_with("peer", "7"), "'peer' must be a string");
  expect_daemon_refused(client_with("accepted_unix_ns", "\"now\""),
                        "'accepted_unix_ns' must be an integer");
  expect_daemon_refused(client_with("redispatched", "-1"),
                        "'redispatched' must be a non-negative integer");
  expect_daemon_refused(R"({"op":"refused","reason":null})", "'reason' must be a string");
  expect_daemon_refused(R"({"op":"registered","worker":1,"daemon_pid":0})",
                        "'daemon_pid' must be at least 1");
  expect_daemon_refused(R"({"op":"registered","worker":4294967296,"daemon_pid":1})",
                        "'worker' must be at most 4294967295");
}

TEST(HandoffProtocol, MissingMembersAreRefused) {
  expect_worker_refused(R"({"op":"register","name":"a","capacity":1})", "missing 'protocol'");
  expect_worker_refused(R"({"op":"register","protocol":1,"capacity":1})", "missing 'name'");
  expect_worker_refused(R"({"op":"register","protocol":1,"name":"a"})", "missing 'capacity'");
  expect_worker_refused(R"({"op":"ack"})", "missing 'id'");
  expect_daemon_refused(R"({"op":"client","id":1})", "missing 'peer'");
  expect_daemon_refused(R"({"op":"refused"})", "missing 'reason'");
}

TEST(HandoffProtocol, OtherProtocolVersionsAreRefused) {
  expect_worker_refused(R"({"op":"register","protocol":2,"name":"a","capacity":1})",
                        "unsupported protocol 2");
}

TEST(HandoffProtocol, CapacityZeroIsRefused) {
  expect_worker_refused(R"({"op":"register","protocol":1,"name":"a","capacity":0})",
                        "capacity must be at least 1");
  expect_worker_refused(R"({"op":"register","protocol":1,"name":"a","capacity":4294967296})",
                        "'capacity' must be at most 4294967295");
}

TEST(HandoffProtocol, BadNamesAreRefused) {
  const std::string kBad = "name must be 1-64 printable characters";
  auto reg = [](const std::string& name_json) {
    return R"({"op":"register","protocol":1,"name":)" + name_json + R"(,"capacity":1})";
  };
  expect_worker_refused(reg("\"\""), kBad);
  expect_worker_refused(reg("\"" + std::string(65, 'n') + "\""), kBad);
  expect_worker_refused(reg(R"("tab\there")"), kBad);
  expect_worker_refused(reg(R"("nul\u0000")"), kBad);
  expect_worker_refused(reg(R"("caf\u00e9")"), kBad);
  expect_worker_refused(reg(R"("del\u007f")"), kBad);
  // The limits themselves are fine.
  EXPECT_TRUE(decode_worker_message(reg("\"" + std::string(64, 'n') + "\"")));
  EXPECT_TRUE(decode_worker_message(reg(R"("smtpd ~!")")));
}

TEST(HandoffProtocol, IdsMustBeNonNegativeIntegers) {
  expect_worker_refused(R"({"op":"ack","id":-1})", "'id' must be a non-negative integer");
  expect_worker_refused(R"({"op":"done","id":1.5})", "'id' must be a non-negative integer");
  expect_worker_refused(R"({"op":"done","id":1.0})", "'id' must be a non-negative integer");
  expect_worker_refused(R"({"op":"ack","id":1e3})", "'id' must be a non-negative integer");
  // Past 2^64: the parser makes it a float, which is refused too.
  expect_worker_refused(R"({"op":"ack","id":18446744073709551616})",
                        "'id' must be a non-negative integer");
  expect_daemon_refused(client_with("id", "-7"), "'id' must be a non-negative integer");
}

TEST(HandoffProtocol, BadAddressesAreRefused) {
  expect_daemon_refused(client_with("peer", "\"192.0.2.7\""), "'peer': bad address '192.0.2.7'");
  expect_daemon_refused(client_with("local", "\"mail.example:25\""),
                        "'local': bad address 'mail.example:25'");
  expect_daemon_refused(client_with("peer", "\"::1:25\""), "'peer': bad address");
}

TEST(HandoffProtocol, OversizePayloadIsRefused) {
  // Valid JSON, one byte too long.
  std::string payload = R"({"op":"ack","id":1,"pad":")";
  payload += std::string(kMaxMessage + 1 - payload.size() - 2, 'p');
  payload += "\"}";
  ASSERT_EQ(payload.size(), kMaxMessage + 1);
  expect_worker_refused(payload, "larger than 65536");
  expect_daemon_refused(payload, "larger than 65536");
  // At the limit it is fine.
  payload.erase(payload.size() - 3, 1);
  ASSERT_EQ(payload.size(), kMaxMessage);
  EXPECT_TRUE(decode_worker_message(payload));
}

TEST(HandoffProtocol, ErrorsSayWhichSideSentTheMessage) {
  auto worker = decode_worker_message("{}");
  ASSERT_FALSE(worker);
  EXPECT_EQ(worker.error().message(), "decode(worker message): no op");
  auto daemon = decode_daemon_message("[]");
  ASSERT_FALSE(daemon);
  EXPECT_EQ(daemon.error().message(), "decode(daemon message): not a JSON object");
}

}  // namespace
}  // namespace ipckit::handoff::protocol
