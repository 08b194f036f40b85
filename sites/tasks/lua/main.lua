-- Tasks: a to-do list. Add with "+" (after the selected task, or at the end), rename inline
-- (double-click), details in an expandable panel, done via a checkbox bound two-way to
-- `completed`, remove, search by name, show all / active / done, counts.

local Task = require("task")

TasksApp = session:prototype("TasksApp", {
  title = "Tasks:",
  tasks = EMPTY, -- every task, in display order
  search = "", -- case-insensitive substring of the name
  filter = "all", -- "all" | "active" | "done"
  selected = EMPTY, -- the highlighted task
})

local function indexOf(list, value)
  for i, v in ipairs(list) do
    if rawequal(v, value) then return i end
  end
  return nil
end

-- ---- what the list shows ------------------------------------------------------------------

local function shown(app, task, query)
  if app.filter == "active" and task.completed then return false end
  if app.filter == "done" and not task.completed then return false end
  return query == "" or string.find(string.lower(task.name), query, 1, true) ~= nil
end

-- The same `tasks` table when nothing filters it, else a new table of the visible tasks.
function TasksApp:filteredTasks()
  local query = string.lower(self.search or "")
  if query == "" and self.filter == "all" then return self.tasks end
  local visible = {}
  for _, task in ipairs(self.tasks) do
    if shown(self, task, query) then visible[#visible + 1] = task end
  end
  return visible
end

function TasksApp:hasVisibleTasks() return #self:filteredTasks() > 0 end

function TasksApp:showAll() self.filter = "all" end
function TasksApp:showActive() self.filter = "active" end
function TasksApp:showDone() self.filter = "done" end
-- Shoelace button variants: the current filter's button is the primary one.
function TasksApp:allVariant() return self.filter == "all" and "primary" or "default" end
function TasksApp:activeVariant() return self.filter == "active" and "primary" or "default" end
function TasksApp:doneVariant() return self.filter == "done" and "primary" or "default" end

-- ---- counts -------------------------------------------------------------------------------

function TasksApp:totalCount() return #self.tasks end

function TasksApp:doneCount()
  local n = 0
  for _, task in ipairs(self.tasks) do
    if task.completed then n = n + 1 end
  end
  return n
end

function TasksApp:remainingCount() return #self.tasks - self:doneCount() end
function TasksApp:noneDone() return self:doneCount() == 0 end

function TasksApp:summary()
  local left = self:remainingCount()
  return string.format("%d of %d %s left", left, #self.tasks, #self.tasks == 1 and "task" or "tasks")
end

-- ---- changing the list --------------------------------------------------------------------

-- Only a task still in the list can be selected: a click on a row's remove button bubbles up
-- to the row, whose select() then arrives after the task is gone.
function TasksApp:selectTask(task)
  if indexOf(self.tasks, task) then self.selected = task end
end

-- "+": a blank task right after the selected one (or at the end), selected, renaming.
function TasksApp:addTask()
  local task = Task:new({ editing = true })
  local after = self.selected and indexOf(self.tasks, self.selected)
  table.insert(self.tasks, after and after + 1 or #self.tasks + 1, task)
  -- Make sure the new row is visible.
  self.search = ""
  self.filter = "all"
  self.selected = task
end

function TasksApp:removeTask(task)
  local i = indexOf(self.tasks, task)
  if not i then return end
  table.remove(self.tasks, i)
  if rawequal(self.selected, task) then self.selected = nil end
end

function TasksApp:clearCompleted()
  local kept = {}
  for _, task in ipairs(self.tasks) do
    if not task.completed then kept[#kept + 1] = task end
  end
  if self.selected and self.selected.completed then self.selected = nil end
  self.tasks = kept
end

-- ---- the session's app ----------------------------------------------------------------------

if not session:getApp() then
  session:createAppVariable(TasksApp:new({
    tasks = {
      Task:new({ name = "First task", description = "This is the first task" }),
      Task:new({ name = "Second task", completed = true }),
      Task:new({ name = "Third task", description = "Another task with details" }),
    },
  }))
end
