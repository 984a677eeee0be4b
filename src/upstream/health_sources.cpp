#include "upstream/health_sources.hpp"

namespace fulcrum::upstream {

const char* to_string(ActiveState state) {
  switch (state) {
    case ActiveState::disabled: return "disabled";
    case ActiveState::initial: return "initial";
    case ActiveState::healthy: return "healthy";
    case ActiveState::unhealthy: return "unhealthy";
  }
  return "?";
}

}  // namespace fulcrum::upstream
