-- Dashboard: Lunette's async runtime in one page. A clock kept by setInterval, a Fetch button
-- whose action waits for http.get (the page shows "Loading…" while it waits, because a wait ends
-- the turn and pushes what changed so far), a counter kept with storage (it survives a restart),
-- and errors shown as they come back from the modules (never a crash).
local http = require("http")
local storage = require("storage")
local time = require("time")

Dashboard = session:prototype("Dashboard", {
  title = "Dashboard",
  now = "",
  url = "http://127.0.0.1:8765/status",
  loading = false,
  result = "",
  error = "",
  count = 0,
})

function Dashboard:tick()
  self.now = time.format(time.now(), "%H:%M:%S")
end

-- Waits for the server without blocking anything: the page shows the loading state meanwhile.
function Dashboard:fetch()
  self.loading = true
  self.error = ""
  self.result = ""
  local resp, err = http.get(self.url, { timeout = 5000 })
  self.loading = false
  if not resp then
    self.error = tostring(err) -- "network: …", "timeout: …", "invalid: …"
  elseif resp.status ~= 200 then
    self.error = "HTTP " .. resp.status
  else
    self.result = resp.body
  end
end

function Dashboard:increment()
  self.count = self.count + 1
  local ok, err = storage.set("count", self.count)
  if not ok then self.error = tostring(err) end
end

function Dashboard:notLoading() return not self.loading end
function Dashboard:noError() return self.error == "" end

-- Guarded so a hot reload of this file keeps the state (and the one clock).
if not session:getApp() then
  local app = Dashboard:new({ count = storage.get("count") or 0 })
  app:tick()
  session:createAppVariable(app)
  setInterval(function() app:tick() end, 1000)
end
