#pragma once

// Content types for files served from a site's html/ folder and the engine's web resources.

#include <QByteArray>
#include <QString>

namespace lunette {

// The Content-Type for a file name: a fixed table for the web types (so a page never depends on
// the machine's shared-mime-info database), then QMimeDatabase by extension, else
// application/octet-stream. Text types carry "; charset=utf-8".
QByteArray mimeTypeFor(const QString& fileName);

} // namespace lunette
