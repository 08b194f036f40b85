-- Fixture for lunette.js: one app object with a field or method for every binding kind.

Item = session:prototype("Item", { name = "", done = false })
function Item:label() return self.name .. (self.done and " ✓" or "") end
function Item:toggle() self.done = not self.done end

-- Item presenter for ui-item-wrapper (a Lua wrapper: new(varTable)).
Shout = {}
Shout.__index = Shout
Shout.type = "Shout"
function Shout:new(var) return setmetatable({ var = var }, Shout) end
function Shout:loud() return string.upper(self.var.getValue().name) end

Detail = session:prototype("Detail", { text = "" })

App = session:prototype("App", {
  title = "Bindings",
  name = "",
  live = "",
  agree = false,
  color = "red",
  level = 5,
  on = false,
  volume = 20,
  stars = 3,
  size = "m",
  clicks = 0,
  lastKey = "",
  keys = "",
  log = "",
  items = EMPTY,
  detail = EMPTY,
  htmlText = "<b>bold</b>",
  swap = "<em id=\"first\">one</em><em>two</em>",
  code = "",
  width = 10,
  setValue = "",
})

function App:hidden() return self.clicks % 2 == 1 end
function App:big() return self.level > 5 end
function App:widthPx() return self.width .. "px" end
function App:click() self.clicks = self.clicks + 1 end
function App:fails() error("boom from fails()") end
function App:save() self.keys = self.keys .. "save;" end
function App:submit() self.keys = self.keys .. "enter;" end
function App:escape() self.keys = self.keys .. "escape;" end
function App:f1() self.keys = self.keys .. "f1;" end
function App:ctrlShiftS() self.keys = self.keys .. "ctrl-shift-s;" end
function App:add() self.items[#self.items + 1] = Item:new({ name = "item " .. (#self.items + 1) }) end
function App:pop() table.remove(self.items) end
function App:append() self.log = self.log .. "line " .. (#self.log // 7 + 1) .. "\n" end
function App:showDetail() self.detail = Detail:new({ text = "detail of " .. self.name }) end
function App:hideDetail() self.detail = nil end
function App:setIt(v) self.setValue = "set:" .. tostring(v) end
function App:runCode() self.code = "element.dataset.ran = String(Number(element.dataset.ran || 0) + 1)" end
function App:list() return self.items end

if not session:getApp() then
  session:createAppVariable(App:new({
    items = { Item:new({ name = "a" }), Item:new({ name = "b", done = true }) },
  }))
end
