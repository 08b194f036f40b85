-- Task: one to-do item. Its fields are bound directly (the row's checkbox writes `completed`
-- two-way); inline renaming and the detail panel edit copies (editName, editDesc) that only
-- reach name/description on save. Task is also the list's item type, so it must be a global.

Task = session:prototype("Task", {
  name = "",
  description = "",
  completed = false,
  editing = false, -- inline rename input shown
  expanded = false, -- detail panel shown
  editName = "",
  editDesc = "",
})

local function trim(s)
  return (string.gsub(tostring(s or ""), "^%s*(.-)%s*$", "%1"))
end

local function app() return session:getApp() end

function Task:isSelected() return rawequal(app().selected, self) end
function Task:select() app():selectTask(self) end
function Task:remove() app():removeTask(self) end

function Task:toggle() self.completed = not self.completed end

-- ---- inline rename (double-click the name; Enter saves, Escape cancels) -------------------

function Task:isNotEditing() return not self.editing end

-- The page runs this (ui-code) whenever it changes: focus the rename input once it shows.
function Task:focusCode()
  return self.editing and "requestAnimationFrame(() => element.focus())" or ""
end

function Task:startEdit()
  self.editName = self.name
  self.editing = true
end

-- A task that never had a name (just added with "+") is dropped instead of kept blank.
function Task:saveEdit()
  local name = trim(self.editName)
  self.editing = false
  if name ~= "" then
    self.name = name
  elseif self.name == "" then
    self:remove()
  end
end

function Task:cancelEdit()
  self.editing = false
  if self.name == "" then self:remove() end
end

-- ---- detail panel ("Edit") ----------------------------------------------------------------

function Task:isExpanded() return self.expanded end
function Task:isCollapsed() return not self.expanded end

function Task:toggleExpand()
  if not self.expanded then
    self.editName = self.name
    self.editDesc = self.description
  end
  self.expanded = not self.expanded
end

function Task:saveDetails()
  local name = trim(self.editName)
  if name ~= "" then self.name = name end
  self.description = trim(self.editDesc)
  self.expanded = false
end

function Task:cancelDetails() self.expanded = false end

return Task
