#pragma once
// The completion token every coroutine here passes to Asio: the awaited operation returns its
// error_code inside a tuple (with its result, if any) instead of throwing, so each caller
// decides what an error means where it happens. One definition for all rooms, so that a
// translation unit holding several files (unity build) sees it once.
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

namespace fulcrum {

inline constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace fulcrum
