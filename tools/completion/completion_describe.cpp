#include "completion/completion_describe.hpp"

#include <nlohmann/json.hpp>

#include "cli/completion_hints.hpp"
#include "cli/drop_in.hpp"

namespace ipckit::cli::completion {

namespace {

using Json = nlohmann::ordered_json;

Json option_json(const CLI::Option* o) {
  Json names = Json::array();
  for (const auto& s : o->get_snames())
    names.push_back("-" + s);
  for (const auto& l : o->get_lnames())
    names.push_back("--" + l);
  const bool positional = names.empty();
  Json j = {{"names", positional ? Json::array({o->get_name()}) : names},
            {"positional", positional},
            {"value", o->get_items_expected_max() != 0 ? o->get_type_name() : ""},
            {"required", o->get_required()},
            {"description", o->get_description()}};
  if (const ValueHint* h = hint_of(o); h != nullptr && !h->choices.empty())
    j["choices"] = h->choices;
  return j;
}

Json app_json(const CLI::App& app) {
  Json options = Json::array();
  for (const auto* o : app.get_options())
    if (!o->get_group().empty()) options.push_back(option_json(o));
  Json subcommands = Json::array();
  for (const auto* s :
       app.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); }))
    subcommands.push_back(app_json(*s));
  return {{"name", app.get_name()},
          {"description", app.get_description()},
          {"footer", app.get_footer()},
          {"options", options},
          {"subcommands", subcommands}};
}

}  // namespace

std::string describe_json(const CLI::App& root) {
  Json doc = app_json(root);
  Json drop_ins = Json::object();
  for (const char* name : {"ipcs", "ipcmk", "ipcrm", "lsipc"}) {
    Json options = Json::array();
    for (const auto& o : drop_in_options(name)) {
      Json names = Json::array();
      if (o.short_name != 0) names.push_back(std::string("-") + o.short_name);
      if (!o.long_name.empty()) names.push_back("--" + o.long_name);
      options.push_back({{"names", names}, {"takes_value", o.takes_value}});
    }
    drop_ins[name] = options;
  }
  doc["drop_ins"] = drop_ins;
  return doc.dump(2);
}

}  // namespace ipckit::cli::completion
