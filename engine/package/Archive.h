#pragma once

// libarchive helpers shared by the package formats: owners for its handles, its error text, and
// a folder written as a compressed tar (the portable format's .tar.zst).

#include <atomic>
#include <functional>

#include <QString>

#include <archive.h>
#include <archive_entry.h>

#include "lua/Expected.h"

namespace lunette::package {

struct ArchiveReader
{
    archive* a = archive_read_new();
    ArchiveReader() = default;
    ArchiveReader(const ArchiveReader&) = delete;
    ArchiveReader& operator=(const ArchiveReader&) = delete;
    ~ArchiveReader() { archive_read_free(a); }
};

struct ArchiveWriter
{
    archive* a = archive_write_new();
    ArchiveWriter() = default;
    ArchiveWriter(const ArchiveWriter&) = delete;
    ArchiveWriter& operator=(const ArchiveWriter&) = delete;
    ~ArchiveWriter() { archive_write_free(a); }
};

struct EntryHolder
{
    archive_entry* e = archive_entry_new();
    EntryHolder() = default;
    EntryHolder(const EntryHolder&) = delete;
    EntryHolder& operator=(const EntryHolder&) = delete;
    ~EntryHolder() { archive_entry_free(e); }
};

QString archiveError(archive* a);

// Write folder (files, folders and links, with their permissions) as outFile, a tar compressed
// with zstd at level (1..19), every entry under rootName/. progress(bytesDone, bytesTotal) is
// called as file contents go in; a set cancel stops with the error "cancelled". outFile is
// written in place: the caller writes it in a staging folder.
Expected<void, QString> writeTarZst(const QString& folder, const QString& rootName,
    const QString& outFile, int level,
    const std::function<void(qint64 done, qint64 total)>& progress = {},
    const std::atomic_bool* cancel = nullptr);

} // namespace lunette::package
