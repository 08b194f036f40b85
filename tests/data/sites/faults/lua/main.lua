-- Fixture for tests/engine/test_faults.cpp: actions that misbehave on purpose, and bump() to show
-- the session still works afterwards. The test runs it with a short per-turn deadline and a small
-- memory limit.
local time = require("time")

App = session:prototype("App", { count = 0, status = "idle" })

function App:bump()
  self.count = self.count + 1
end

-- About 150 ms of work, then a bump: long enough for the client to go away meanwhile.
function App:slowBump()
  local start = os.clock()
  while os.clock() - start < 0.15 do end
  self.count = self.count + 1
end

local function down(n)
  return down(n + 1) + 1 -- not a tail call: the stack grows until Lua refuses
end

function App:recurse()
  self.status = "recursing"
  return down(1)
end

function App:bomb()
  self.status = "bombing"
  local hoard = {}
  local chunk = string.rep("x", 1024 * 1024)
  for i = 1, math.huge do
    hoard[i] = chunk .. i -- a fresh megabyte every time
  end
end

function App:spin()
  while true do end
end

function App:spinLater()
  self.status = "scheduled"
  setTimeout(function() while true do end end, 0)
end

-- Waits for eleven days: a coroutine that never resumes while the test runs.
function App:hang()
  self.status = "hanging"
  time.sleep(1e9)
  self.status = "woke up"
end

function App:yieldBare()
  self.status = "yielded"
  coroutine.yield()
  self.status = "resumed"
end

-- nativeFault is a C function the test installs; it throws a C++ exception.
function App:callNative()
  self.status = "calling"
  nativeFault()
end

if not session:getApp() then
  session:createAppVariable(App:new())
end
