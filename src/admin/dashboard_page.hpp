#pragma once
// GET / on the admin listener: one self-contained page (no CDN, no external font, no image
// file) that polls the API every second and draws listeners, target groups and targets with
// their state and reason, requests/s and p99 latency per target as live charts, and drain /
// enable buttons (PATCH through the API). With admin.token_file set, the page asks for the
// token once and keeps it in the tab's sessionStorage.
#include <string_view>

namespace fulcrum::admin {

std::string_view dashboard_html();

// Served with the page: nothing but its own inline script and style, and calls to its origin.
inline constexpr const char* kDashboardPolicy =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:";

}  // namespace fulcrum::admin
