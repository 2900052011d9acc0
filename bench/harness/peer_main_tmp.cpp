// TEMPORARY (not committed): stands in for helper A's peer_main.cpp.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include "harness/peer_main.hpp"
#include "harness/runner.hpp"
namespace ipckit::bench {
int peer_main(int argc, char** argv, const Mechanism& m) {
  Cell cell; cell.mechanism = m.name; cell.mode = "default";
  RoundOptions options; options.cpus = default_cpus();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--probe") {
      nlohmann::json j{{"name", m.name}, {"modes", m.modes}, {"note", m.note}};
      j["tests"] = nlohmann::json::array();
      for (auto t : m.tests) j["tests"].push_back(std::string(test_name(t)));
      std::cout << j.dump() << "\n";
      return 0;
    } else if (a == "--test") cell.test = *parse_test(next());
    else if (a == "--size") cell.size = std::stoul(next());
    else if (a == "--mode") cell.mode = next();
    else if (a == "--producers") cell.producers = std::stoi(next());
    else if (a == "--load") cell.load = *parse_load(next());
    else if (a == "--duration-ms") options.duration = std::chrono::milliseconds(std::stoi(next()));
    else if (a == "--deadline-s") options.deadline = std::chrono::seconds(std::stoi(next()));
    else if (a == "--cpus") { auto v = next(); if (v == "none") options.cpus.reset(); }
    else { std::fprintf(stderr, "bad arg %s\n", a.c_str()); return 2; }
  }
  nlohmann::json j = m.run(cell, options);
  std::cout << j.dump() << "\n";
  return 0;
}
}
