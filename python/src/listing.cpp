// ipckit.ls() and ipckit.stale(): the machine's IPC objects as dicts with the fields and values
// of `ipckit ls --json` (docs/ls-schema.json; every column, lower case), and what
// `ipckit rm --stale` would remove, with why (the library's find_stale, ipckit/inspect/stale.hpp).
#include <fmt/core.h>
#include <pwd.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "errors.hpp"
#include "ipckit/inspect/ipc_listing.hpp"
#include "ipckit/inspect/stale.hpp"

namespace py = pybind11;
using namespace py::literals;

namespace ipckit::python {

namespace {

using inspect::IpcObject;

template <class T>
py::object opt(const std::optional<T>& v) {
  return v ? py::cast(*v) : py::none();
}

py::object text(const std::string& s) {
  return s.empty() ? py::none() : py::cast(s);
}

// The owner's user name, as `ls` shows it (the uid as text when it has no passwd entry).
std::string user_name(uid_t uid, std::map<uid_t, std::string>& cache) {
  if (const auto it = cache.find(uid); it != cache.end()) return it->second;
  std::string name = std::to_string(uid);
  struct passwd pw {};
  struct passwd* result = nullptr;
  char buffer[1024];
  if (::getpwuid_r(uid, &pw, buffer, sizeof buffer, &result) == 0 && result != nullptr)
    name = pw.pw_name;
  cache.emplace(uid, name);
  return name;
}

// One object as `ipckit ls --json -o` with every column prints it.
py::dict to_dict(const IpcObject& o, std::map<uid_t, std::string>& users) {
  py::dict d;
  d["type"] = std::string(inspect::type_name(o.type));
  d["id"] = opt(o.id);
  d["key"] =
      o.key ? py::cast(fmt::format("0x{:08x}", static_cast<std::uint32_t>(*o.key))) : py::none();
  d["name"] = text(o.name);
  d["owner"] = o.uid ? py::cast(user_name(*o.uid, users)) : py::none();
  d["uid"] = opt(o.uid);
  d["perms"] = o.perms ? py::cast(fmt::format("{:04o}", *o.perms)) : py::none();
  d["size"] = opt(o.size);
  d["rss"] = opt(o.rss);
  d["swap"] = opt(o.swap);
  d["nattch"] = opt(o.nattch);
  d["msgs"] = opt(o.messages);
  d["nsems"] = opt(o.nsems);
  d["cpid"] = opt(o.cpid);
  d["lpid"] = opt(o.lpid);
  d["capacity"] = opt(o.capacity);
  d["used"] = opt(o.used);
  d["attached"] = opt(o.attached);
  d["stale"] = opt(o.stale);
  d["socktype"] = text(o.socket_type);
  d["state"] = text(o.state);
  d["inode"] = opt(o.inode);
  d["peer"] = opt(o.peer);
  d["nholders"] = o.holders.size();
  py::list holders;
  for (const auto& h : o.holders)
    holders.append(py::dict("pid"_a = h.pid, "command"_a = h.command));
  d["holders"] = holders;
  return d;
}

// None: every type; else names as `ls --type` takes them. Raises ValueError naming a bad one.
inspect::TypeSet types_of(const std::optional<std::vector<std::string>>& names) {
  if (!names) return inspect::TypeSet::all();
  inspect::TypeSet set;
  for (const auto& n : *names) {
    const auto t = inspect::parse_type_name(n);
    if (!t)
      raise_value_error("unknown type '" + n +
                        "': sysv-shm, sysv-sem, sysv-msg, posix-shm, posix-sem, mqueue, unix, "
                        "fifo, channel");
    set.add(*t);
  }
  return set;
}

}  // namespace

void register_listing(py::module_& m) {
  m.def(
      "ls",
      [](const std::optional<std::vector<std::string>>& types) {
        const inspect::TypeSet set = types_of(types);
        Result<inspect::Listing> listing = [&] {
          py::gil_scoped_release nogil;
          return inspect::list_ipc_objects(set);
        }();
        std::map<uid_t, std::string> users;
        py::list out;
        for (const auto& o : value_or_raise(std::move(listing)).objects)
          out.append(to_dict(o, users));
        return out;
      },
      "types"_a = py::none(),
      R"doc(Every IPC object on the machine (or of `types`: 'sysv-shm', 'channel', ...) as a
list of dicts with the fields of `ipckit ls --json -o` with every column: type, id, key, name,
owner, uid, perms, size, ..., holders (a list of {"pid", "command"}).)doc");
  m.def(
      "stale",
      [](const std::optional<std::vector<std::string>>& types) {
        const inspect::TypeSet set = types_of(types);
        Result<inspect::StaleReport> report = [&] {
          py::gil_scoped_release nogil;
          return inspect::find_stale(set);
        }();
        const inspect::StaleReport found = value_or_raise(std::move(report));
        // Kinds not judged (processes that cannot be read, no mqueue mount) and objects kept
        // for a sign that could not be read: warnings, as `rm --stale` prints them on stderr.
        for (const auto& w : found.warnings)
          if (PyErr_WarnEx(PyExc_RuntimeWarning, w.c_str(), 1) != 0) throw py::error_already_set();
        for (const auto& k : found.kept) {
          const std::string line = k.object.name + ": " + k.why;
          if (PyErr_WarnEx(PyExc_RuntimeWarning, line.c_str(), 1) != 0)
            throw py::error_already_set();
        }
        std::map<uid_t, std::string> users;
        py::list out;
        for (const auto& s : found.stale) {
          py::dict d = to_dict(s.object, users);
          d["reason"] = s.reason;
          out.append(d);
        }
        return out;
      },
      "types"_a = py::none(),
      R"doc(What `ipckit rm --stale` would remove: the ls() dicts of objects nobody will use
again, each with a "reason". Nothing is removed. What could not be judged (another user's
processes unreadable, no mqueue mount) is said with warnings.warn(RuntimeWarning).)doc");
}

}  // namespace ipckit::python
