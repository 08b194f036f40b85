-- Fixture for tests/engine/test_apiroutes.cpp: a counter to read and change through the REST
-- API, and `loads`, how many times this file ran in the session (a reload runs it again).
App = session:prototype("App", { count = 0, greeting = "hello" })

function App:bump()
  self.count = self.count + 1
end

loads = (loads or 0) + 1

if not session:getApp() then
  session:createAppVariable(App:new())
end
