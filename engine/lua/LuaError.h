#pragma once

// The error value returned by every call into user code (LuaState::call and friends).
// Nothing prints it on its own: the caller decides whether it goes to a log, the console or a page.

#include <QString>

namespace lunette {

struct LuaError
{
    enum class Kind {
        Syntax, // the chunk did not compile
        Runtime, // error() or a runtime fault in Lua or a binding
        Memory, // the state's memory cap was reached
        Timeout, // the per-call deadline passed ("script timed out")
        Stopped, // the stop flag was set from another thread ("script stopped")
        Internal, // the engine could not run the call at all (e.g. state closed)
    };

    Kind kind = Kind::Runtime;
    QString message; // the error message, with its "chunk:line:" prefix when Lua added one
    QString traceback; // "stack traceback:\n..." (empty for syntax and memory errors)
    QString chunk; // chunk name as Lua shows it (e.g. "lua/main.lua"), empty when unknown
    int line = -1; // line in chunk, -1 when unknown

    // "chunk:line" or "" when the position is unknown.
    QString location() const
    {
        return chunk.isEmpty() || line < 0 ? QString() : chunk + u':' + QString::number(line);
    }
    // Message followed by the traceback, the way a console shows it.
    QString fullText() const
    {
        return traceback.isEmpty() ? message : message + u'\n' + traceback;
    }
    static const char* kindName(Kind kind);
};

} // namespace lunette
