#pragma once

// `lunette types SITE` (LUA_API.md): LuaLS stubs for a site's editor — `---@meta` files for every
// built-in module and for the globals (session, ui, diag, EMPTY, timers) in .lunette/meta/, and a
// .luarc.json whose workspace.library includes that folder (other settings are kept). New Site
// writes them too.

#include <QString>
#include <QStringList>

#include "lua/Expected.h"

namespace lunette {

// The stub of the globals (resource engine/runtime/stubs/lunette.lua).
QByteArray globalsStub();

// Writes the stubs into siteFolder; returns the files written (relative, sorted).
Expected<QStringList, QString> writeTypeStubs(const QString& siteFolder);

} // namespace lunette
