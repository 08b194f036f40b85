-- Fixture for tests/engine/test_webroutes.cpp: HTTP routes written in Lua. They are answered by
-- the site's service session; `hits` counts the requests it handled.
local web = require("web")
local time = require("time")

App = session:prototype("App", { hits = 0 })

if not session:getApp() then
  session:createAppVariable(App:new())
end

local function hit()
  local app = session:getApp()
  app.hits = app.hits + 1
  return app.hits
end

web.route("GET", web.prefix .. "/ping", function(req)
  return { json = { ok = true, hits = hit() } }
end)

web.route("POST", web.prefix .. "/echo", function(req)
  return {
    status = 201,
    headers = { ["X-Echo"] = "yes" },
    json = { method = req.method, path = req.path, body = req.body, query = req.query,
             test = req.headers["x-test"], cookie = req.headers["cookie"] or false },
  }
end)

web.route("GET", web.prefix .. "/text", function() return "plain text" end)
web.route("DELETE", web.prefix .. "/nothing", function() end)
web.route("GET", web.prefix .. "/html", function()
  return { body = "<b>hi</b>", headers = { ["Content-Type"] = "text/html" } }
end)
web.route("GET", web.prefix .. "/fail", function() error("the handler broke") end)
web.route("GET", web.prefix .. "/bad", function() return { status = "soon" } end)
web.route("GET", web.prefix .. "/slow", function()
  time.sleep(30)
  return { json = { slept = true, hits = hit() } }
end)
