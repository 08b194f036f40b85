-- Requires cycle_a while cycle_a is still loading: gets `true`, not a recursion.
local a = require("cycle_a")
return { name = "b", sawA = a }
