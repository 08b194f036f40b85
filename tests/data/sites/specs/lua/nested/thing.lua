return { where = "lua/nested/thing.lua" }
