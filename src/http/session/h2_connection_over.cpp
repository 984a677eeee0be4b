#include "http/session/h2_connection_over.hpp"

namespace fulcrum::http {

// The server's connection, compiled once here.
template class H2ConnectionOver<SocketStream, PooledTargets>;

}  // namespace fulcrum::http
