#include "bench/bench_aggregate.hpp"

#include <algorithm>
#include <optional>

namespace ipckit::bench {

namespace {

// The plan index of the reference row for `cell` (mechanism `reference`, mode "default"), or
// nullopt when the plan has none.
std::optional<std::size_t> reference_of(std::span<const PlannedCell> plan, const Cell& cell,
                                        std::string_view reference) {
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const Cell& c = plan[i].cell;
    if (c.mechanism == reference && c.mode == "default" && c.test == cell.test &&
        c.size == cell.size && c.load == cell.load && c.producers == 1)
      return i;
  }
  return std::nullopt;
}

bool ok(const RoundResult& r) {
  return r.error.empty();
}

bool row_ok(const std::vector<RoundResult>& rounds) {
  return !rounds.empty() && std::all_of(rounds.begin(), rounds.end(), ok);
}

// Median over rounds of row/reference for the rounds both ran (the row's headline over the
// reference's: latency >1 is slower, throughput <1 is slower).
std::optional<double> ratio(Test test, const std::vector<RoundResult>& row,
                            const std::vector<RoundResult>& reference) {
  if (!row_ok(row) || !row_ok(reference)) return std::nullopt;
  std::vector<double> ratios;
  for (std::size_t r = 0; r < row.size() && r < reference.size(); ++r) {
    const double ref = headline(test, reference[r]);
    if (ref > 0) ratios.push_back(headline(test, row[r]) / ref);
  }
  return median(std::move(ratios));  // nullopt when no round had both
}

template <class Field>
double median_of(const std::vector<RoundResult>& rounds, Field field) {
  std::vector<double> values;
  values.reserve(rounds.size());
  for (const auto& r : rounds)
    values.push_back(static_cast<double>(r.*field));
  return *median(std::move(values));  // REQUIRES: rounds not empty
}

}  // namespace

double headline(Test test, const RoundResult& r) {
  return test == Test::kLatency ? static_cast<double>(r.p50_ns) : r.msgs_per_s;
}

std::vector<Row> aggregate(std::span<const PlannedCell> plan,
                           std::span<const std::vector<RoundResult>> results,
                           std::span<const Mechanism> mechanisms) {
  std::vector<Row> rows;
  rows.reserve(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const PlannedCell& p = plan[i];
    const auto& rounds = results[i];
    Row row;
    row.cell = p.cell;
    row.note = p.mechanism < mechanisms.size() ? mechanisms[p.mechanism].note : std::string();
    if (!p.cannot.empty()) {
      row.cannot = p.cannot;
      rows.push_back(std::move(row));
      continue;
    }
    row.rounds = static_cast<int>(rounds.size());
    if (rounds.empty()) {
      row.error = "not run (the run was stopped first)";
      rows.push_back(std::move(row));
      continue;
    }
    const auto failed =
        std::find_if(rounds.begin(), rounds.end(), [](const RoundResult& r) { return !ok(r); });
    if (failed != rounds.end()) {
      row.error = failed->error;
      rows.push_back(std::move(row));
      continue;
    }
    row.verified =
        std::all_of(rounds.begin(), rounds.end(), [](const RoundResult& r) { return r.verified; });
    const Test test = p.cell.test;
    if (test == Test::kLatency) {
      row.p50_ns = median_of(rounds, &RoundResult::p50_ns);
      row.p99_ns = median_of(rounds, &RoundResult::p99_ns);
      row.p999_ns = median_of(rounds, &RoundResult::p999_ns);
      row.max_ns = median_of(rounds, &RoundResult::max_ns);
    } else {
      row.msgs_per_s = median_of(rounds, &RoundResult::msgs_per_s);
      row.bytes_per_s = median_of(rounds, &RoundResult::bytes_per_s);
    }
    std::vector<double> heads;
    heads.reserve(rounds.size());
    for (const auto& r : rounds)
      heads.push_back(headline(test, r));
    row.spread.min = *std::min_element(heads.begin(), heads.end());
    row.spread.max = *std::max_element(heads.begin(), heads.end());
    if (auto f = reference_of(plan, p.cell, kFloor))
      row.vs_floor = ratio(test, rounds, results[*f]);
    if (auto q = reference_of(plan, p.cell, kPipe)) row.vs_pipe = ratio(test, rounds, results[*q]);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace ipckit::bench
