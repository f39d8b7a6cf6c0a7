// The route and method labels of mixcast_http_requests_total{route,method,status}.
// Clients choose paths and methods; a label value per room name, session id or
// stray URL would grow the series without bound. So a request is labelled by
// the template of the route it hit ("/api/v1/rooms/{room}/participants/{id}"),
// from a fixed list, and by its method when it is a known one. Pure code.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace mixcast {

// Every route template route_label() returns, besides the fallbacks below.
std::span<const std::string_view> route_templates();

// The template of the route `path` hits (as the server got it: percent-encoded
// as sent, without the query). A template segment "{...}" matches one
// non-empty segment other than "." and "..". Paths that no template matches:
// "/api/v1/other" under /api/v1, "/{page}" for what the web root would serve
// (one to three such segments, the first not a routed prefix), "other" for the
// rest, and "other" for any path when the method is not a known one.
std::string route_label(std::string_view method, std::string_view path);

// Whether the request would start something new on the server: a WHIP or
// WHEP session, a room, a source, an output (POST on their collections).
// While the server drains these are refused (503 with Retry-After); what
// exists goes on being served until it stops.
bool starts_something_new(std::string_view method, std::string_view path);

// GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS as sent (methods are case
// sensitive), else "other".
std::string_view method_label(std::string_view method);

}  // namespace mixcast
