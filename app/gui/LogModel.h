#pragma once

// The Log dock's data (GUI.md "Log"): engine and Lua log lines, newest last, capped. Lines may be
// posted from any thread (the executor logs from its own); they are appended on the model's
// thread. A Lua error's "file.lua:12:" is picked out so the dock can open the file there.
// LogFilterModel narrows it by level and a search text, and turns a click on a line's position
// into locationActivated.

#include <QAbstractListModel>
#include <QDateTime>
#include <QSortFilterProxyModel>
#include <QString>

class LogModel final : public QAbstractListModel
{
    Q_OBJECT

public:
    enum class Level
    {
        Debug = 0,
        Info = 1,
        Warning = 2,
        Error = 3
    };
    Q_ENUM(Level)

    enum Role
    {
        TimeRole = Qt::UserRole + 1,
        LevelRole, // int (Level)
        SourceRole, // "session 1", "hot reload", "engine"
        TextRole,
        FileRole, // "lua/main.lua" when the text names a Lua position, else ""
        LineRole, // its line, 0 when none
    };

    struct Entry
    {
        QDateTime time;
        Level level = Level::Info;
        QString source;
        QString text;
        QString file;
        int line = 0;
    };

    explicit LogModel(QObject* parent = nullptr, int capacity = 10000);

    // Thread-safe: queued to the model's thread.
    void post(Level level, const QString& source, const QString& text);
    // On the model's thread.
    void append(Level level, const QString& source, const QString& text);
    void clear();
    const Entry& entry(int row) const { return m_entries.at(row); }
    int capacity() const { return m_capacity; }

    // The first "path.lua:LINE:" in text (the position Lua puts before its messages).
    static bool findLuaPosition(const QString& text, QString* file, int* line);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

private slots:
    void appendQueued(int level, const QString& source, const QString& text)
    {
        append(static_cast<Level>(level), source, text);
    }

private:
    QList<Entry> m_entries;
    int m_capacity;
};

class LogFilterModel final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_PROPERTY(int minimumLevel READ minimumLevel WRITE setMinimumLevel NOTIFY filterChanged)
    Q_PROPERTY(QString search READ search WRITE setSearch NOTIFY filterChanged)

public:
    explicit LogFilterModel(QObject* parent = nullptr);

    int minimumLevel() const { return m_minimumLevel; }
    void setMinimumLevel(int level);
    QString search() const { return m_search; }
    void setSearch(const QString& text); // case-insensitive, in the text and the source

    // The dock's file:line link on (filtered) `row`: emits locationActivated when that line names
    // a Lua position; the window opens the file (QDesktopServices). Nothing for other rows.
    Q_INVOKABLE void activate(int row);

signals:
    void filterChanged();
    void locationActivated(const QString& file, int line);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    int m_minimumLevel = 0;
    QString m_search;
};
