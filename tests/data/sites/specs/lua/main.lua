-- Fixture for the Lua specs (tests/lua/*_spec.lua): a minimal app; the specs bring the rest.
if not session:getApp() then
  session:createAppVariable({ name = "specs" })
end
