# Run at build time (cmake -P), not at configure time, so that the commit is the one being
# built: writes OUTPUT, the definitions of fulcrum::core::version() and git_commit()
# (src/core/build_info.hpp), and touches it only when its text changes, so that an unchanged
# commit relinks nothing.
# Inputs: SOURCE_DIR, OUTPUT, VERSION.
execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                OUTPUT_VARIABLE commit RESULT_VARIABLE status OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT status EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
else()
  execute_process(COMMAND git -C "${SOURCE_DIR}" diff --quiet HEAD -- RESULT_VARIABLE dirty ERROR_QUIET)
  if(dirty EQUAL 1)
    string(APPEND commit "-dirty")
  endif()
endif()
set(text "// Written by cmake/build_info.cmake at build time; do not edit.
#include \"core/build_info.hpp\"

namespace fulcrum::core {

std::string_view version() { return \"${VERSION}\"; }
std::string_view git_commit() { return \"${commit}\"; }

}  // namespace fulcrum::core
")
set(old "")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUTPUT}" "${text}")
endif()
