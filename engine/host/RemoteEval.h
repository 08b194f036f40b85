#pragma once

// `lunette eval`: run Lua in a session of a running Lunette through its REST API
// (POST /api/sessions/{id}/eval) and report like the console does. For editors and scripts.
//
//   lunette eval 'session:getApp().count'          # the newest running instance, its most
//   echo 'print(1)' | lunette eval                 # recently active session
//   lunette eval --url 'http://127.0.0.1:8123/?token=…' --session 3f… 'reload()'

#include <QString>
#include <QStringList>

namespace lunette::remote {

struct EvalRequest
{
    // The server: its URL as printed (the ?token= in it is used), or empty for the most recently
    // started running instance (Instances.h). token: overrides the URL's.
    QString url;
    QString token;
    // The session; empty for the most recently active one.
    QString session;
    QString code;
    // Print the API's JSON reply as it is instead of the console's text.
    bool json = false;
};

struct EvalReport
{
    int exitCode = 0; // 0: it ran; 1: a Lua error or a failed request
    QString out; // print() output, then the values (tab-separated), as the console shows them
    QString err; // the error, with its traceback, and what went wrong reaching the server
};

// Blocking (a local event loop); needs a QCoreApplication.
EvalReport evaluate(const EvalRequest& request);

} // namespace lunette::remote
