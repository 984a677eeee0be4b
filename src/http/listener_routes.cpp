#include "http/listener_routes.hpp"

namespace fulcrum::http {

ListenerRoutes::ListenerRoutes(const upstream::Snapshot& snapshot, const config::ListenerConfig& listener) {
  default_.action = &listener.default_action;
  default_.split = upstream::GroupSplit(snapshot, listener.default_action.forward);
}

}  // namespace fulcrum::http
