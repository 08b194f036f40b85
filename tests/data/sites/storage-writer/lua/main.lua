-- Fixture for the crash test of tests/engine/test_storage.cpp (run by tests/engine/
-- storage_writer.cpp, which the test kills with SIGKILL): rewrites storage.json as fast as it
-- can, each time with a counter and a large value derived from it, so that a torn write would
-- show. It continues from the counter a killed run left.
local storage = require("storage")

App = session:prototype("App", {})
if not session:getApp() then
  session:createAppVariable(App:new())
end

local function fill(n)
  return string.rep(string.char(65 + n % 26), 1000000)
end

local n = (storage.get("counter") or { n = 0 }).n
assert(storage.set("fixed", { hello = "world", list = { 1, 2, 3 } }))

setInterval(function()
  n = n + 1
  assert(storage.set("counter", { n = n, fill = fill(n) }))
end, 0)
