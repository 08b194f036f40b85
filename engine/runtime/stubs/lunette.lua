---@meta lunette
-- The globals every Lunette site has: session, ui, diag, EMPTY and the timer functions
-- (LUA_API.md). Written by `lunette types`; do not edit (it is rewritten).

---An error value returned by the built-in modules as the second result (`nil, err`).
---@class lunette.Error
---@field kind "invalid"|"not_found"|"permission_denied"|"timeout"|"network"|"io"|"internal"|"canceled"
---@field message string
---@field retryable boolean

---A prototype made by session:prototype: call :new(fields) to make instances.
---@class lunette.Prototype
---@field type string
local Prototype = {}
---@param fields? table
---@return table
function Prototype:new(fields) end

---The session this Lua state belongs to (one per browser page or window).
---@class lunette.Session
---@field reloading boolean true while a hot reload re-runs a file
---@field _sessionID string
session = {}

---Makes `object` variable 1, the app the page shows.
---@param object table
---@param properties? table<string, string|number|boolean>
---@return integer id
function session:createAppVariable(object, properties) end

---The object of variable 1, or nil.
---@return table?
function session:getApp() end

---Makes a variable for `object` under `parent` (an id, an object or 0 for none).
---@param parent integer|table|nil
---@param object any
---@param properties? table<string, string|number|boolean>
---@return integer id
function session:createVariable(parent, object, properties) end

---Destroys a variable made with createVariable (by id or by its object).
---@param idOrObject integer|table
---@return boolean destroyed
function session:destroyVariable(idOrObject) end

---Declares (or, on a hot reload, updates in place) a prototype.
---@param name string
---@param init table
---@param base? lunette.Prototype
---@return lunette.Prototype
function session:prototype(name, init, base) end

---Makes an instance of a prototype.
---@param proto lunette.Prototype
---@param instance? table
---@return table
function session:create(proto, instance) end

---Forgets a prototype (and, with children, the prototypes derived from it).
---@param name string
---@param children? boolean
function session:removePrototype(name, children) end

---Unloads a module so the next require runs it again.
---@param key string
function session:unloadModule(key) end

---Unloads every module under a folder.
---@param dir string
function session:unloadDirectory(dir) end

---@param fn function
---@param ms? integer
---@return integer id
function session:setTimeout(fn, ms) end
---@param fn function
---@param ms? integer
---@return integer id
function session:setInterval(fn, ms) end
---@param fn function
---@return integer id
function session:setImmediate(fn) end
---@param id integer
function session:clearTimeout(id) end
---@param id integer
function session:clearInterval(id) end
---@param id integer
function session:clearImmediate(id) end

---Calls fn after ms milliseconds (as its own turn; it may wait). Returns an id for clearTimeout.
---@param fn function
---@param ms? integer
---@return integer id
function setTimeout(fn, ms) end
---Calls fn every ms milliseconds (fixed delay) until cleared.
---@param fn function
---@param ms? integer
---@return integer id
function setInterval(fn, ms) end
---Calls fn as soon as possible, after the current turn.
---@param fn function
---@return integer id
function setImmediate(fn) end
---@param id integer
function clearTimeout(id) end
---@param id integer
function clearInterval(id) end
---@param id integer
function clearImmediate(id) end

ui = {}

---Writes to the session's log (level 0: normal, higher: detail).
---@param level integer|any
---@param message? any
function ui.log(level, message) end

---@param value any
---@return string? json
---@return string? err
function ui.json_encode(value) end

---@param text string
---@return any value
---@return string? err
function ui.json_decode(text) end

---Registers a wrapper type used with `?wrapper=name` in view paths.
---@param name string
---@param factory fun(variable: table): table
function ui.registerWrapper(name, factory) end

---Kept for ui-engine sites (presenters are found as globals by name); returns presenter.
---@param name string
---@param presenter table
---@return table
function ui.registerPresenter(name, presenter) end

---A diagnostic on the variable being computed (shown in the Variables dock).
---@param level integer
---@param message any
function diag(level, message) end

---Marks an optional field in a prototype's init (the field starts as nil).
EMPTY = {}
