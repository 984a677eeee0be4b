#include "l4/accept_loop.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "core/clock.hpp"
#include "core/log.hpp"

namespace fulcrum::l4 {

asio::awaitable<void> accept_loop(WorkerContext& context, asio::ip::tcp::acceptor& acceptor,
                                  size_t listener_index, SessionStarter start_session) {
  constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
  asio::ip::tcp::endpoint peer;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(peer, use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors or memory: say so at most once a second, back off briefly, go on.
      int64_t now = core::now_ms();
      if (now - context.last_accept_error_log_ms >= 1000) {
        context.last_accept_error_log_ms = now;
        core::LogLine(core::LogLevel::error, "listener.accept_failed").field("reason", ec.message()).emit();
      }
      if (ec == asio::error::no_descriptors || ec == asio::error::no_memory || ec == asio::error::no_buffer_space) {
        asio::steady_timer pause(context.loop(), std::chrono::milliseconds(50));
        co_await pause.async_wait(use_tuple);
      }
      continue;
    }
    start_session(context, listener_index, std::move(socket), peer);
  }
}

}  // namespace fulcrum::l4
