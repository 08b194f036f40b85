#pragma once

// New Site: writes a small working site (a prototype with a field, a getter and an action, its
// view template, lunette.json, .luarc.json for LuaLS and a README) into a new folder.
//
//   auto made = lunette::scaffoldSite(parent + u"/hello"_s, u"Hello"_s);
//   if (!made) report(made.error());   // "… already exists and is not empty"
//
// Nothing is overwritten: the folder must not exist or be empty. The files are written into a
// hidden sibling folder first and moved into place at the end, so a failure leaves nothing behind.

#include <QString>
#include <QStringList>

#include "lua/Expected.h"

namespace lunette {

// Returns the files written, relative to the folder, sorted. title: the window title and the
// page heading ("" = the folder's name).
Expected<QStringList, QString> scaffoldSite(const QString& folder, const QString& title = {});

} // namespace lunette
