#pragma once
// What this binary is: the project's version (CMakeLists.txt `project(... VERSION)`, also the
// Debian package's) and the git commit it was built from, "-dirty" when the work tree had
// changes, "unknown" when built outside a git checkout (a source tarball). Shown by
// `fulcrum --version`, the start log line and the admin API, so an operator can tell which build
// answers. Defined in a file CMake writes at build time (cmake/build_info.cmake).
#include <string_view>

namespace fulcrum::core {

std::string_view version();
std::string_view git_commit();

}  // namespace fulcrum::core
