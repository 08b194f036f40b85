local b = require("cycle_b")
return { name = "a", seenB = b, bSawA = b.sawA }
