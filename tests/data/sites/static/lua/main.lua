-- Fixture for the site and server tests: the server tests never run it (their session service
-- is a stand-in), Site::open only checks that it exists.
App = { type = "App", greeting = "hello" }
session:createAppVariable(App)
