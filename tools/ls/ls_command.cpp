// `ipckit ls [--type T,..] [--user U] [--name GLOB] [--key KEY] [-o COL,..] [--json|--raw]`:
// every local IPC object in one view, with the processes that hold each one. docs/ls.md.
#include <fmt/core.h>

#include <clocale>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "cli/completion_hints.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "ipckit/inspect/ipc_listing.hpp"
#include "ls/ls_model.hpp"

namespace ipckit::cli {

namespace {

// -o's values, for completion.
std::vector<std::string> column_names() {
  std::vector<std::string> names;
  for (const auto& c : ls::columns())
    names.emplace_back(c.spec.name);
  return names;
}

}  // namespace

namespace {

struct LsOptions {
  ls::FilterOptions filter;
  std::string output;
  bool json = false;
  bool raw = false;
};

int run_ls(const LsOptions& o) {
  // Names print in the user's character set: libsmartcols measures UTF-8 names by their screen
  // width and escapes what the locale cannot print, as util-linux's listings do.
  std::setlocale(LC_CTYPE, "");
  auto filter = o.filter.build();
  if (!filter) return report(filter.error());
  auto cols = o.output.empty() ? ls::default_columns() : ls::parse_columns(o.output).value();
  auto listing = inspect::list_ipc_objects(filter->types);
  if (!listing) return report(listing.error());
  int code = kExitOk;
  for (const auto& w : listing->warnings) {
    warn("ls: {}", w.message());
    code = kExitFailure;
  }
  if (filter->types.has(inspect::ObjectType::kMqueue) && !listing->mqueue_mounted)
    warn("ls: POSIX message queues not listed: {}", listing->mqueue_hint);
  if (filter->types.has(inspect::ObjectType::kUnix) && !listing->unix_peers_known)
    warn("ls: Unix socket peers not shown (PEER is empty): {}", listing->unix_peers_error);
  if (listing->unreadable_processes > 0)
    warn("ls: {} processes could not be read (permission denied): their holdings are not shown",
         listing->unreadable_processes);
  std::vector<const inspect::IpcObject*> shown;
  shown.reserve(listing->objects.size());
  for (const auto& obj : listing->objects)
    if (filter->matches(obj)) shown.push_back(&obj);
  ls::print(shown, cols,
            o.json  ? ls::Mode::kJson
            : o.raw ? ls::Mode::kRaw
                    : ls::Mode::kTable,
            *listing);
  return code;
}

Runner register_ls(CLI::App& app) {
  auto o = std::make_shared<LsOptions>();
  auto* ls_app =
      app.add_subcommand("ls", "List every local IPC object and the processes that hold it");
  o->filter.add_to(*ls_app);
  ls_app->add_option("--output,-o", o->output, "Columns to show, comma-separated (see below)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            auto r = ls::parse_columns(text);
            return r ? std::string() : r.error().detail();
          },
          "COL[,COL]", "columns"));
  hint(ls_app->get_option("--output"), {.choices = column_names(), .list = true});
  auto* json = ls_app->add_flag("--json,-J", o->json, "Print one JSON document");
  ls_app->add_flag("--raw,-r", o->raw, "Unaligned columns, one space apart, blanks escaped")
      ->excludes(json);
  ls_app->footer(ls::columns_help());
  return [o] { return run_ls(*o); };
}

}  // namespace

IPCKIT_COMMAND(300, register_ls);

}  // namespace ipckit::cli
