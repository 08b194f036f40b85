#pragma once

// The Lua console of a session (GUI.md "Console"), with the semantics of the stand-alone `lua`
// interpreter (lua.c): input is first tried as `return <input>` so an expression shows its
// value; input that ends too early (a `<eof>` syntax error) asks for more lines; results are
// shown with tostring() (so `__tostring` is honoured), several of them tab-separated; `print`
// output of the evaluation comes back with the reply; errors carry their traceback.
//
// Both functions run on the executor thread. evaluate() runs the input as a session turn, so
// whatever it changes reaches the session's pages at once.

#include <functional>

#include <QString>
#include <QStringList>

namespace lunette {

class Session;

struct ConsoleReply
{
    enum class Status
    {
        Ok,
        Incomplete,
        Error,
        Waiting, // the input waits (time.sleep, http…): the reply follows when it is done
    };
    Status status = Status::Ok;
    QString results; // the values, tab-separated; "" when there are none
    QStringList shown; // the same values one by one
    // The values as a JSON array: each as json.encode writes it, or, when it has no JSON form (a
    // function, a cycle, a userdata), its tostring() text as a JSON string.
    QByteArray valuesJson = QByteArrayLiteral("[]");
    QStringList output; // print() lines written during the evaluation
    QString error; // "console:1: message" (Error; for Incomplete, the compiler's complaint)
    QString traceback; // "stack traceback:\n…" for runtime errors
};

// Runs input as a task of the session. done is called before this returns with the reply — or,
// when the input waits, with a Waiting reply (the print output so far) and then once more from
// the later turn that finishes it (print output after the wait goes to the session log); that
// second call does not come if the session ends first.
void evaluateInConsole(
    Session& session, const QString& input, std::function<void(const ConsoleReply&)> done);
// The same, returning the first reply: Waiting when the input waits (its end is then dropped).
ConsoleReply evaluateInConsole(Session& session, const QString& input);

// Completions for the name being typed at the end of `text`: globals ("ses" → "session"),
// fields after '.', methods after ':' (following __index tables, never calling Lua). Each
// candidate is the whole text with the name completed; sorted, without duplicates.
QStringList completeInConsole(Session& session, const QString& text);

} // namespace lunette
