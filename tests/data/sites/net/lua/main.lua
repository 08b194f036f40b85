-- Fixture for tests/engine/test_http.cpp, test_websocket.cpp, test_tcp.cpp and test_udp.cpp:
-- the network modules against servers the tests start on 127.0.0.1. The tests set `base` (the
-- server's address) and read back `trace`.
local http = require("http")

App = session:prototype("App", { loading = false, result = "" })

-- The page-visible effect of a wait: loading = true reaches the page before the response.
function App:load()
  self.loading = true
  local resp, err = http.get(base .. "/slow")
  self.result = resp and resp.body or tostring(err)
  self.loading = false
end

trace = {}
function record(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  trace[#trace + 1] = table.concat(parts, " ")
end

-- Run fn as a task (a timer callback, so it may wait); errors are recorded.
function spawn(fn)
  setTimeout(function()
    local ok, err = pcall(fn)
    if not ok then record("error: " .. tostring(err)) end
  end, 0)
end

if not session:getApp() then
  session:createAppVariable(App:new())
end
