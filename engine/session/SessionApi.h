#pragma once

// The Lua API of a session (LUA_API.md, ui-engine digest §5): one binding file per global,
// lua_session.cpp (`session`, the timer globals) and lua_ui.cpp (`ui`, `diag`). The prelude
// (prelude.lua) adds the parts written in Lua to the same tables.

struct lua_State;

namespace lunette {
class Session;
}

namespace lunette::api {

// Push the `session` table with its C functions bound to `session`, and set the timer
// globals (setTimeout, setInterval, setImmediate, clear*).  [-0, +1, m]
void openSession(lua_State* L, Session* session);
// Push the `ui` table and set the `diag` global.  [-0, +1, m]
void openUi(lua_State* L, Session* session);

} // namespace lunette::api
