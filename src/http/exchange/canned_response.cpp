#include "http/exchange/canned_response.hpp"

namespace fulcrum::http {

std::string_view reason_phrase(uint16_t status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
  }
}

void write_canned_response(HeadWriter& out, uint16_t status, bool close, std::string_view extra_headers,
                           std::string_view content_type, std::string_view body, bool head_request,
                           bool use_default_body) {
  const std::string_view reason = reason_phrase(status);
  const bool default_body = body.empty() && use_default_body;
  // "502 Bad Gateway\n"
  const uint64_t length = default_body ? 3 + 1 + reason.size() + 1 : body.size();
  out.append("HTTP/1.1 ");
  out.append_decimal(status);
  out.append(" ");
  out.append(reason);
  out.append("\r\nServer: fulcrum\r\n");
  out.append(extra_headers);
  if (length > 0 || !default_body) {
    out.append("Content-Type: ");
    out.append(content_type);
    out.append("\r\n");
  }
  out.append("Content-Length: ");
  out.append_decimal(length);
  out.append(close ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n");
  if (head_request) return;
  if (default_body) {
    out.append_decimal(status);
    out.append(" ");
    out.append(reason);
    out.append("\n");
  } else {
    out.append(body);
  }
}

}  // namespace fulcrum::http
