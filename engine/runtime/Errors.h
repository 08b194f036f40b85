#pragma once

// Structured error values of the built-in modules (LUA_API.md "Modules"): expected failures are
// returned as `nil, err` where err is a table with `kind`, `message`, `retryable` and a
// __tostring ("timeout: request timed out after 2000 ms"); misuse (a wrong argument type)
// raises instead.

#include <QString>

struct lua_State;

namespace lunette {

enum class ErrorKind
{
    Invalid,
    NotFound,
    PermissionDenied,
    Timeout,
    Network,
    Io,
    Internal,
    Canceled,
};

// "invalid", "not_found", "permission_denied", "timeout", "network", "io", "internal", "canceled"
const char* errorKindName(ErrorKind kind);
// Timeouts and network failures are worth retrying; the rest are not.
bool defaultRetryable(ErrorKind kind);

// Push an error value.  [-0, +1, m]
void pushError(lua_State* L, ErrorKind kind, const QString& message);
void pushError(lua_State* L, ErrorKind kind, const QString& message, bool retryable);
// Push nil and an error value; returns 2, so a C function can `return failWith(L, …)`.
int failWith(lua_State* L, ErrorKind kind, const QString& message);

} // namespace lunette
