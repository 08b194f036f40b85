-- Fixture for tests/engine/test_tasks.cpp: actions and timers that wait (time.sleep) and a
-- trace the tests read back.
local time = require("time")

App = session:prototype("App", { loading = false, result = "" })

function App:load()
  self.loading = true
  time.sleep(300) -- long enough for the test to look while it waits
  self.result = "loaded"
  self.loading = false
end

function App:waitingGetter()
  time.sleep(1)
  return 1
end

trace = {}
function record(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  trace[#trace + 1] = table.concat(parts, " ")
end

if not session:getApp() then
  session:createAppVariable(App:new())
end
