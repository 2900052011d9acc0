# Descriptor-passing benchmark (not run by ctest): included from bench/CMakeLists.txt.
add_executable(ipckit_fd_passing_bench ${CMAKE_CURRENT_LIST_DIR}/fd_passing_bench.cpp)
set_target_properties(ipckit_fd_passing_bench PROPERTIES OUTPUT_NAME ipckit-fd-passing-bench
                                                          CXX_EXTENSIONS OFF)
target_link_libraries(ipckit_fd_passing_bench PRIVATE ipckit_static ipckit_warnings)
