#include "cli/drop_in.hpp"

#include <array>
#include <string>
#include <vector>

namespace ipckit::cli {

namespace {

std::vector<DropIn>& registry() {
  static std::vector<DropIn> drop_ins;
  return drop_ins;
}

}  // namespace

const DropIn* find_drop_in(std::string_view name) {
  for (const DropIn& d : registry()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

bool is_util_linux_name(std::string_view name) {
  static constexpr std::array<std::string_view, 4> kNames = {"ipcs", "ipcmk", "ipcrm", "lsipc"};
  for (std::string_view n : kNames) {
    if (n == name) return true;
  }
  return false;
}

int run_drop_in(const DropIn& drop_in, int argc, char** argv) {
  return drop_in.main(argc, argv);
}

RegisterDropIn::RegisterDropIn(std::string_view name, DropInMain main) {
  if (find_drop_in(name) == nullptr) registry().push_back({name, main});
}

Runner add_drop_in_subcommand(CLI::App& app, std::string_view name, const char* description,
                              DropInMain main) {
  auto* sub = app.add_subcommand(std::string(name), description);
  // Everything after the name belongs to the drop-in, --help included.
  sub->prefix_command();
  sub->set_help_flag();
  return [sub, name, main] {
    std::vector<std::string> args{std::string(name)};
    for (const std::string& a : sub->remaining())
      args.push_back(a);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    return main(static_cast<int>(args.size()), argv.data());
  };
}

}  // namespace ipckit::cli
