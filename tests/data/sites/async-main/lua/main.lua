-- Fixture: main.lua itself waits; the session exists after its first part.
local time = require("time")
phase = "before"
time.sleep(20)
phase = "after"
