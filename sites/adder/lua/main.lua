-- Simple Adder: two text fields and their sum. The smallest useful Lunette site: one
-- prototype, two read/write fields bound to plain <input>s and one computed getter.

Adder = session:prototype("Adder", {
  title = "Simple Adder",
  value1 = "",
  value2 = "",
})

-- Adds two integers without wrapping around: Lua integer arithmetic overflows silently, so a
-- sum that changed sign the wrong way is redone in floating point.
local function add(a, b)
  local sum = a + b
  if math.type(sum) == "integer" and (a >= 0) == (b >= 0) and (sum >= 0) ~= (a >= 0) then
    sum = (a + 0.0) + b
  end
  return sum
end

-- The sum as text, or "" while either field is not a number. Numbers print the Lua 5.4 way:
-- 2 + 3 shows "5", 1.5 + 2 shows "3.5", 2.0 + 3 shows "5.0".
function Adder:sum()
  local a, b = tonumber(self.value1), tonumber(self.value2)
  if a == nil or b == nil then return "" end
  return tostring(add(a, b))
end

-- Guarded so a hot reload of this file keeps what the user typed.
if not session:getApp() then
  session:createAppVariable(Adder:new())
  ui.log("Adder initialized")
end
