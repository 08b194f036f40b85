#include "LuaError.h"

namespace lunette {

const char* LuaError::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Syntax:
        return "syntax";
    case Kind::Runtime:
        return "runtime";
    case Kind::Memory:
        return "memory";
    case Kind::Timeout:
        return "timeout";
    case Kind::Stopped:
        return "stopped";
    case Kind::Internal:
        return "internal";
    }
    return "unknown";
}

} // namespace lunette
