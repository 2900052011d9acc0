// `ipckit tour`: a narrated run through every mechanism ipckit has.
//
// Each mechanism contributes steps from its own file (tools/tour/*.cpp) with IPCKIT_TOUR_STEP.
// A step narrates what it does in plain words through the Tour object, creates only objects with
// names/keys unique to this run, removes every one of them before it returns (also on failure),
// and returns false if the mechanism did not behave as described.
#pragma once

#include <fmt/core.h>

#include <string>
#include <string_view>
#include <vector>

namespace ipckit::tour {

class Tour {
 public:
  // Plain narration, wrapped as a paragraph.
  template <class... Args>
  void say(fmt::format_string<Args...> f, Args&&... args) {
    say_text(fmt::format(f, std::forward<Args>(args)...));
  }
  // A shell-like line showing what is being run or observed.
  template <class... Args>
  void show(fmt::format_string<Args...> f, Args&&... args) {
    show_text(fmt::format(f, std::forward<Args>(args)...));
  }
  // A check the tour makes; returns `ok` and records a failure when it is false.
  bool check(bool ok, std::string_view what);

  // A name unique to this tour run: "ipckit-tour-<pid>-<suffix>".
  [[nodiscard]] std::string unique_name(std::string_view suffix) const;

  void say_text(std::string_view text);
  void show_text(std::string_view text);
  [[nodiscard]] int failures() const { return failures_; }

 private:
  int failures_ = 0;
};

using StepFn = bool (*)(Tour&);

struct Step {
  int order;  // steps run in ascending order; 100s: System V, 200s: channel, 300s: sockets...
  const char* title;
  StepFn run;
};

std::vector<Step>& step_registry();

struct RegisterStep {
  RegisterStep(int order, const char* title, StepFn run) {
    step_registry().push_back({order, title, run});
  }
};

}  // namespace ipckit::tour

#define IPCKIT_TOUR_STEP(order, title, fn)                          \
  static const ::ipckit::tour::RegisterStep ipckit_tour_step_##fn { \
    order, title, &fn                                               \
  }
