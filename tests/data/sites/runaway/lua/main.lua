-- A site with a runaway action (the desktop scenario "Stop script"): spin() never returns on its
-- own; bump() shows the session still works afterwards.
App = session:prototype("App", { count = 0, status = "idle" })

function App:spin()
  self.status = "spinning"
  while true do end
end

function App:bump()
  self.count = self.count + 1
end

if not session:getApp() then
  session:createAppVariable(App:new())
end
