-- Fixture for the require gate of tests/engine/test_storage.cpp and test_fs.cpp: lunette.json
-- grants no permission.
App = session:prototype("App", {})

if not session:getApp() then
  session:createAppVariable(App:new())
end
