-- Fixture for tests/engine/test_storage.cpp and test_fs.cpp: a site granted "storage" and "fs".
-- The tests copy it into a temporary folder, so its data/ folder is written there.
App = session:prototype("App", {})

if not session:getApp() then
  session:createAppVariable(App:new())
end
