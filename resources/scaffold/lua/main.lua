-- @TITLE@: a new Lunette site. This file runs once per session; its objects are the page's state.
-- Edit it while the app runs: the page updates in place and keeps its state (hot reload).

App = session:prototype("App", {
  title = @TITLE_LUA@,
  name = "",
  clicks = 0,
})

-- A getter: the page shows its result and updates it whenever its inputs change.
function App:greeting()
  if self.name == "" then return "Hello! What is your name?" end
  return "Hello, " .. self.name .. "!"
end

-- An action: bound to the button with ui-action="click()".
function App:click()
  self.clicks = self.clicks + 1
end

-- Guarded so a hot reload of this file keeps the session's state.
if not session:getApp() then
  session:createAppVariable(App:new())
end
