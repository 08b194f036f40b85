-- The Lua half of a session's runtime (LUA_API.md, ui-engine digest §3.6–§3.7, §5.3–§5.4):
-- prototypes with in-place update and the mutate() queue, session:create, module records for
-- require and unloading, the built-in lua.ViewList / lua.ViewListItem wrappers and wrapper
-- dispatch. It runs once per session, before the site's code, with the C side's helpers in `rt`.
-- Nothing here is a global except what LUA_API.md names.
local session, ui, rt = ...

local G = _G
local type, pairs, ipairs, next, pcall, error, tostring = type, pairs, ipairs, next, pcall, error, tostring
local rawget, rawset, rawequal, setmetatable, getmetatable = rawget, rawset, rawequal, setmetatable, getmetatable

-- EMPTY: marks an optional field in a prototype's init (it defaults to nil).
local EMPTY = setmetatable({}, { __name = "EMPTY", __tostring = function() return "EMPTY" end })
G.EMPTY = EMPTY

-- ---- modules ---------------------------------------------------------------------------------
local loaded = {} -- package.loaded: module name -> value
local loadedKeys = {} -- tracking key (site-relative resolved path) -> value
local modules = {} -- tracking key -> { key, dir, names = {}, prototypes = {}, wrappers = {} }
local current = nil -- the module being loaded
G.package = { loaded = loaded }

local function moduleRecord(key, dir)
  local m = modules[key]
  if not m then
    m = { key = key, dir = dir, names = {}, prototypes = {}, wrappers = {} }
    modules[key] = m
  end
  return m
end

-- Runs chunk as module `key`: prototypes and wrappers it declares are recorded on it.
local function runModule(key, dir, chunk, ...)
  local m = moduleRecord(key, dir)
  local previous = current
  current = m
  local ok, result = pcall(chunk, ...)
  current = previous
  return ok, result
end

function G.require(name)
  if type(name) ~= "string" then
    error("bad argument #1 to 'require' (string expected, got " .. type(name) .. ")", 2)
  end
  local value = loaded[name]
  if value ~= nil then return value end
  -- Built-in modules first (LUA_API.md "Modules"): granted by lunette.json's permissions.
  local builtin, denied = rt.builtinModule(name)
  if builtin ~= nil then
    loaded[name] = builtin
    return builtin
  end
  if denied then error(denied, 2) end
  local key, chunk, dir = rt.findModule(name)
  if not key then error(chunk, 2) end
  value = loadedKeys[key]
  if value ~= nil then
    loaded[name] = value
    return value
  end
  loaded[name] = true -- a cycle sees `true` instead of recursing
  loadedKeys[key] = true
  moduleRecord(key, dir).names[name] = true
  local ok, result = runModule(key, dir, chunk, name, key)
  if not ok then
    loaded[name] = nil
    loadedKeys[key] = nil
    modules[key] = nil
    error("error loading module '" .. name .. "': " .. tostring(result), 2)
  end
  if result == nil then result = true end -- improvement 10
  if loaded[name] == true then loaded[name] = result end
  loadedKeys[key] = result
  return result
end

-- The entry script (and hot reloads) run as tracked modules too.
function rt.runModule(key, dir, chunk)
  local ok, result = runModule(key, dir, chunk)
  if not ok then error(result, 0) end
  loadedKeys[key] = loadedKeys[key] or true
  return result
end

function rt.isLoaded(key)
  return loadedKeys[key] ~= nil
end

-- ---- coroutines the site creates itself ---------------------------------------------------------
-- A module function that waits (time.sleep, http.get, …) yields the engine's wait marker. Inside a
-- coroutine of the site's own, resume() would hand that marker to the site's code: instead the
-- wait is passed up to the task (which the engine suspends), and the result the task is resumed
-- with goes back down into the inner coroutine.
do
  local co_resume, co_yield, co_create, co_status = coroutine.resume, coroutine.yield, coroutine.create, coroutine.status
  local select, unpack, pack = select, table.unpack, table.pack
  local WAIT = rt.waitMarker

  local function pass(co, ok, ...)
    if ok and select("#", ...) >= 1 and (...) == WAIT and co_status(co) == "suspended" then
      return pass(co, co_resume(co, co_yield(WAIT)))
    end
    return ok, ...
  end

  function coroutine.resume(co, ...)
    return pass(co, co_resume(co, ...))
  end

  function coroutine.wrap(fn)
    local co = co_create(fn)
    return function(...)
      local r = pack(pass(co, co_resume(co, ...)))
      if not r[1] then error(r[2], 2) end
      return unpack(r, 2, r.n)
    end
  end
end

-- ---- prototypes (digest §5.3) -----------------------------------------------------------------
local prototypes = {} -- name -> prototype
local snapshots = {} -- name -> shallow copy of the declared fields
local instances = {} -- name -> weak set of instances
local mutations = {} -- FIFO of { proto, name, removed }

local function snapshot(init)
  local s = {}
  for k, v in pairs(init) do
    if type(k) == "string" and k ~= "type" and k ~= "__index" and k ~= "new" then s[k] = v end
  end
  return s
end

local function sameSnapshot(a, b)
  for k, v in pairs(a) do
    if not rawequal(b[k], v) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

function session:create(proto, instance)
  instance = instance or {}
  setmetatable(instance, proto)
  local list = proto and instances[rawget(proto, "type")]
  if list then list[instance] = true end
  return instance
end

function session:prototype(name, init, base)
  if type(name) ~= "string" then
    error("bad argument #1 to 'prototype' (string expected, got " .. type(name) .. ")", 2)
  end
  local proto = prototypes[name]
  if proto == nil then
    if base == nil and name ~= "Object" then base = prototypes.Object end
    proto = init or {}
    local snap = snapshot(proto)
    proto.type = name
    proto.__index = proto
    if base then
      setmetatable(proto, base)
    elseif rawget(proto, "new") == nil then
      -- The receiver's prototype, so Sub:new{} made through an inherited new is a Sub.
      proto.new = function(self, instance) return session:create(self, instance) end
    end
    for k, v in pairs(snap) do
      if rawequal(v, EMPTY) then proto[k] = nil end
    end
    snapshots[name] = snap
    instances[name] = setmetatable({}, { __mode = "k" })
    prototypes[name] = proto
    if current then current.prototypes[#current.prototypes + 1] = name end
    return proto
  end
  if init == nil then return proto end
  local snap = snapshot(init)
  local old = snapshots[name]
  if sameSnapshot(old, snap) then return proto end
  local removed = {}
  for k in pairs(old) do
    if snap[k] == nil then removed[#removed + 1] = k end
  end
  for k, v in pairs(snap) do
    if rawequal(v, EMPTY) then proto[k] = nil else proto[k] = v end
  end
  if rawget(init, "new") ~= nil then proto.new = init.new end
  for _, k in ipairs(removed) do proto[k] = nil end
  snapshots[name] = snap
  mutations[#mutations + 1] = { proto = proto, name = name, removed = removed }
  return proto
end

function session:removePrototype(name, children)
  local function remove(n)
    prototypes[n], snapshots[n], instances[n] = nil, nil, nil
  end
  remove(name)
  if children then
    local prefix = name .. "."
    for n in pairs(prototypes) do
      if n:sub(1, #prefix) == prefix then remove(n) end
    end
  end
end

-- After a hot reload re-ran a chunk: mutate() live instances of changed prototypes, then drop
-- fields the new declaration removed. Errors are reported and do not stop the queue.
function rt.processMutations()
  local queue = mutations
  mutations = {}
  for _, m in ipairs(queue) do
    local list = instances[m.name]
    if list then
      for instance in pairs(list) do
        local mutate = m.proto.mutate
        if type(mutate) == "function" then
          local ok, err = pcall(mutate, instance)
          if not ok then rt.log(1, "mutate() of " .. m.name .. " failed: " .. tostring(err)) end
        end
        for _, k in ipairs(m.removed) do rawset(instance, k, nil) end
      end
    end
  end
  return #queue
end

function rt.pendingMutations() return #mutations end

-- ---- unloading ------------------------------------------------------------------------------
local registeredWrappers = {}

function session:unloadModule(key)
  local m = modules[key]
  if not m then return false end
  for _, name in ipairs(m.prototypes) do session:removePrototype(name) end
  for _, name in ipairs(m.wrappers) do registeredWrappers[name] = nil end
  for name in pairs(m.names) do loaded[name] = nil end
  loadedKeys[key] = nil
  modules[key] = nil
  return true
end

function session:unloadDirectory(dir)
  local count = 0
  for key, m in pairs(modules) do
    if m.dir == dir then
      session:unloadModule(key)
      count = count + 1
    end
  end
  return count
end

-- ---- wrappers (digest §3.6–§3.7) ---------------------------------------------------------------
function ui.registerWrapper(name, factory)
  registeredWrappers[name] = factory
  if current then current.wrappers[#current.wrappers + 1] = name end
end

function ui.registerPresenter(name, presenter)
  -- Kept for ui-engine sites; presenters are found as globals by name.
  return presenter
end

local ViewListItem = { type = "lua.ViewListItem" }
ViewListItem.__index = ViewListItem

local ViewList = { type = "lua.ViewList" }
ViewList.__index = ViewList

local function presenterFor(itemType, previous, base, index)
  if itemType == nil or itemType == "" then return base end
  local T = G[itemType]
  if type(T) == "table" and type(T.new) == "function" then
    local ok, presenter = pcall(T.new, T, { item = previous, baseItem = base, index = index })
    if ok and presenter ~= nil then return presenter end
    if not ok then rt.log(1, "item wrapper " .. itemType .. " failed: " .. tostring(presenter)) end
  else
    rt.log(1, "item wrapper " .. itemType .. " is not a global table with new()")
  end
  return base
end

-- Make items mirror the array `value`; true when any item was (re)built.
function ViewList:sync(value)
  local items = self.items
  local n = 0
  if type(value) == "table" then
    n = #value
  elseif value ~= nil then
    rt.log(1, "Error synchronizing view list: value is a " .. type(value) .. ", not an array")
  end
  local triggered = false
  for i = 1, n do
    local base = value[i]
    local item = items[i]
    if item == nil then
      item = setmetatable({ list = self, index = -1 }, ViewListItem)
      items[i] = item
    end
    if not rawequal(item.baseItem, base) or item.index ~= i - 1 then
      item.index = i - 1
      item.baseItem = base
      item.item = presenterFor(self._itemType, item.item, base, i - 1)
      triggered = true
    end
  end
  for i = #items, n + 1, -1 do
    items[i] = nil
    triggered = true
  end
  return triggered
end

function rt.makeWrapper(name, varTable, value, itemType)
  if name == "lua.ViewList" then
    local list = setmetatable({ items = {}, selectionIndex = -1, _itemType = itemType, _var = varTable }, ViewList)
    list:sync(value)
    return list
  end
  local factory = registeredWrappers[name]
  if factory == nil then factory = rawget(G, name) end
  if type(factory) == "function" then return factory(varTable) end
  if type(factory) == "table" and type(factory.new) == "function" then return factory:new(varTable) end
  return nil
end

function rt.syncWrapper(wrapper, value)
  if getmetatable(wrapper) == ViewList then return wrapper:sync(value) end
  if type(wrapper) == "table" then
    wrapper.value = value
    if type(wrapper.sync) == "function" then
      local ok, err = pcall(wrapper.sync, wrapper)
      if not ok then rt.log(1, "wrapper sync failed: " .. tostring(err)) end
    end
  end
  return false
end

function rt.createValue(name, value)
  local T = rawget(G, name)
  if type(T) == "table" and type(T.new) == "function" then return T:new(value) end
  return nil
end

-- The table handed to wrapper constructors; its functions accept both v.f(x) and v:f(x)
-- (improvement 9).
function rt.varTable(id, seq)
  local vt = { _id = id }
  vt.getValue = function() return rt.slotValue(seq) end
  vt.getWrapper = function() return rt.slotWrapper(seq) end
  vt.getProperty = function(a, b)
    if type(a) == "table" then a = b end
    return rt.getProperty(seq, a)
  end
  return vt
end
