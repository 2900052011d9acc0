// The printers behind `ipckit ipcs`: one section per resource in each output format, and the
// `-i ID` detail views, byte for byte as util-linux 2.38's ipcs prints them. They read the data
// model in ipckit/inspect/sysv_objects.hpp and write to stdout. Single-threaded.
#pragma once

#include "utillinux/ipcs_format.hpp"

namespace ipckit::cli::ipcs {

// The output option: the last of -l, -u, -c, -t, -p given, or the plain table.
enum class Format { kDefault, kLimits, kStatus, kCreator, kTime, kPid };

// One section ("------ Message Queues --------" ...), without the blank line that follows it.
void print_msg_section(Format format, Unit unit, Names& names);
void print_shm_section(Format format, Unit unit, Names& names);
void print_sem_section(Format format, Names& names);

// `ipcs -q|-m|-s -i ID`. An id that names no object prints "ipcs: id N not found" on stderr
// (exit status stays 0, as in util-linux). Fatal errors (a semaphore set the caller may not
// read) print util-linux's message and throw ul::Exit{1}.
void print_msg_detail(int id, Unit unit);
void print_shm_detail(int id, Unit unit);
void print_sem_detail(int id);

}  // namespace ipckit::cli::ipcs
