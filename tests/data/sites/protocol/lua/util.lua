local M = {}
function M.caption(index, name) return index .. ": " .. name end
return M
