#pragma once

// How a polled list model moves from the rows it shows to a new snapshot with the signals a view
// needs to keep its scroll position and delegates: rows that are gone are removed (in runs, from
// the back), new rows are inserted where they belong (in runs), rows that stayed and changed get
// dataChanged. Only when rows that stayed changed their relative order is the model reset.
//
// The begin/end functions of QAbstractItemModel are protected, so the model hands them in as
// lambdas (RowSignals).

#include <functional>
#include <map>
#include <vector>

struct RowSignals
{
    std::function<void(int first, int last)> beginRemove;
    std::function<void()> endRemove;
    std::function<void(int first, int last)> beginInsert;
    std::function<void()> endInsert;
    std::function<void()> beginReset;
    std::function<void()> endReset;
    std::function<void(int row)> changed; // after the row's data was replaced
};

// keyOf(row) identifies a row (ordered: operator<); rows with equal keys are the same row, and
// Row::operator== tells whether its data changed.
template <typename Row, typename KeyOf>
void updateRows(std::vector<Row>& rows, std::vector<Row> next, KeyOf keyOf, const RowSignals& s)
{
    using Key = decltype(keyOf(next.front()));
    std::map<Key, std::size_t> nextIndex;
    for (std::size_t i = 0; i < next.size(); ++i)
        nextIndex.emplace(keyOf(next[i]), i);

    // Removals, from the back so the indexes of the runs still to go stay valid.
    const auto gone = [&](std::size_t i) { return !nextIndex.count(keyOf(rows[i])); };
    for (std::ptrdiff_t i = static_cast<std::ptrdiff_t>(rows.size()) - 1; i >= 0;) {
        if (!gone(static_cast<std::size_t>(i))) {
            --i;
            continue;
        }
        std::ptrdiff_t first = i;
        while (first > 0 && gone(static_cast<std::size_t>(first - 1)))
            --first;
        s.beginRemove(static_cast<int>(first), static_cast<int>(i));
        rows.erase(rows.begin() + first, rows.begin() + i + 1);
        s.endRemove();
        i = first - 1;
    }

    // The rows that stayed must keep their order; otherwise start over.
    std::size_t previous = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::size_t at = nextIndex.at(keyOf(rows[i]));
        if (i > 0 && at <= previous) {
            s.beginReset();
            rows = std::move(next);
            s.endReset();
            return;
        }
        previous = at;
    }

    // Insertions in runs between the rows that stayed; those are updated on the way. Rows before
    // the walk's position do not move any more, so their indexes are final when signalled.
    std::size_t at = 0;
    for (std::size_t j = 0; j < next.size();) {
        if (at < rows.size() && keyOf(rows[at]) == keyOf(next[j])) {
            if (!(rows[at] == next[j])) {
                rows[at] = std::move(next[j]);
                s.changed(static_cast<int>(at));
            }
            ++at;
            ++j;
            continue;
        }
        std::size_t end = j;
        while (end < next.size() && !(at < rows.size() && keyOf(rows[at]) == keyOf(next[end])))
            ++end;
        const int first = static_cast<int>(at);
        s.beginInsert(first, first + static_cast<int>(end - j) - 1);
        rows.insert(rows.begin() + static_cast<std::ptrdiff_t>(at),
            std::make_move_iterator(next.begin() + static_cast<std::ptrdiff_t>(j)),
            std::make_move_iterator(next.begin() + static_cast<std::ptrdiff_t>(end)));
        s.endInsert();
        at += end - j;
        j = end;
    }
}
