#include "harness/round.hpp"

#include <nlohmann/json.hpp>

namespace ipckit::bench {

std::string_view test_name(Test test) {
  return test == Test::kLatency ? "latency" : "throughput";
}

std::optional<Test> parse_test(std::string_view name) {
  if (name == "latency") return Test::kLatency;
  if (name == "throughput") return Test::kThroughput;
  return std::nullopt;
}

std::string_view load_name(Load load) {
  return load == Load::kIdle ? "idle" : "busy-cpu";
}

std::optional<Load> parse_load(std::string_view name) {
  if (name == "idle") return Load::kIdle;
  if (name == "busy-cpu") return Load::kBusyCpu;
  return std::nullopt;
}

// Every field is always written, so a reader can tell a truncated line from a failed round;
// "error" only when the round failed.
void to_json(nlohmann::json& j, const RoundResult& r) {
  j = nlohmann::json{
      {"verified", r.verified},     {"p50_ns", r.p50_ns},           {"p99_ns", r.p99_ns},
      {"p999_ns", r.p999_ns},       {"max_ns", r.max_ns},           {"samples", r.samples},
      {"msgs_per_s", r.msgs_per_s}, {"bytes_per_s", r.bytes_per_s}, {"messages", r.messages}};
  if (!r.error.empty()) j["error"] = r.error;
}

// Throws nlohmann::json::exception when a field is missing or has the wrong type: a peer that
// printed something else than a RoundResult is an error, never a zero.
void from_json(const nlohmann::json& j, RoundResult& r) {
  r = RoundResult{};
  j.at("verified").get_to(r.verified);
  j.at("p50_ns").get_to(r.p50_ns);
  j.at("p99_ns").get_to(r.p99_ns);
  j.at("p999_ns").get_to(r.p999_ns);
  j.at("max_ns").get_to(r.max_ns);
  j.at("samples").get_to(r.samples);
  j.at("msgs_per_s").get_to(r.msgs_per_s);
  j.at("bytes_per_s").get_to(r.bytes_per_s);
  j.at("messages").get_to(r.messages);
  if (auto it = j.find("error"); it != j.end()) it->get_to(r.error);
}

}  // namespace ipckit::bench
