# ipckit_warnings(target): the project's warning set, fatal when IPCKIT_WERROR is on.
add_library(ipckit_warnings INTERFACE)
target_compile_options(ipckit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
  $<$<BOOL:${IPCKIT_WERROR}>:-Werror>)
