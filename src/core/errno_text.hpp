#pragma once
// "what: reason" for the system call that just failed, from errno: the text an error line
// or a returned error carries.
#include <cerrno>
#include <cstring>
#include <string>

namespace fulcrum::core {

inline std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace fulcrum::core
