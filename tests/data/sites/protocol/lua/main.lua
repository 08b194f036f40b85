-- Fixture for the protocol tests (tests/engine/test_protocol.cpp): one app object that
-- exercises getters, setters, actions, ViewLists with item presenters, errors and timers.
local util = require("util")

Item = session:prototype("Item", { name = "", done = false })

function Item:label()
  return self.name .. (self.done and " (done)" or "")
end

-- Item presenter for lua.ViewList (a global: wrappers are found by name).
ItemPresenter = session:prototype("ItemPresenter", { item = EMPTY, index = 0 })

function ItemPresenter:new(snapshot)
  return session:create(ItemPresenter, { item = snapshot.baseItem, index = snapshot.index })
end

function ItemPresenter:caption()
  return util.caption(self.index, self.item.name)
end

App = session:prototype("App", {
  title = "Protocol",
  count = 0,
  name = "",
  items = EMPTY,
  selected = EMPTY,
  empty = EMPTY,
  numbers = EMPTY,
  draft = EMPTY,
  childId = 0,
  ticks = 0,
})

function App:increment() self.count = self.count + 1 end
function App:list() return self.items end
function App:add() self.items[#self.items + 1] = Item:new({ name = "item " .. (#self.items + 1) }) end
function App:removeLast() table.remove(self.items) end
function App:fails() error("boom from fails()") end
function App:setName(value) self.name = value end
-- A read/write method: upper() reads, upper(v) writes (digest §3.4).
function App:upper(value)
  if value == nil then return string.upper(self.name) end
  self.name = string.lower(value)
end
function App:selectFirst() self.selected = self.items[1] end
function App:clearSelection() self.selected = nil end
function App:later() session:setTimeout(function() self.count = self.count + 100 end, 5) end
function App:makeNames() return { "x", "y" } end

function App:draftName() return self.draft and self.draft.name or "(none)" end

-- Lua-created variables: a child of variable 1 (negative id), then destroyed.
function App:addChild()
  self.childId = session:createVariable(1, { note = "from Lua" })
end
function App:dropChild() session:destroyVariable(self.childId) end

-- Timers: one that is cancelled before it fires, an interval that keeps failing.
function App:cancelled()
  local handle = session:setTimeout(function() self.count = self.count + 1000 end, 5)
  session:clearTimeout(handle)
  session:setTimeout(function() self.count = self.count + 1 end, 20)
end
function App:failing()
  self.ticks = 0
  session:setInterval(function()
    self.ticks = self.ticks + 1
    error("tick " .. self.ticks)
  end, 5)
end

-- A wrapper found as a Lua global with new(varTable) (digest §3.7): its methods read the
-- wrapped value and the variable's properties, called both as vt.f(x) and vt:f(x).
Shout = {}
Shout.__index = Shout
function Shout:new(var) return setmetatable({ var = var }, Shout) end
function Shout:text() return string.upper(self.var.getValue()) .. self.var.getProperty("suffix") end
function Shout:methodStyle() return self.var:getProperty("suffix") .. self.var:getValue() end

-- A wrapper registered as a factory function.
ui.registerWrapper("Reverse", function(var)
  return { reversed = function() return string.reverse(var:getValue()) end }
end)

if not session:getApp() then
  app = App:new({
    items = { Item:new({ name = "a" }), Item:new({ name = "b", done = true }) },
    empty = {},
    numbers = { 1, 2.5, 3 },
  })
  session:createAppVariable(app)
end
