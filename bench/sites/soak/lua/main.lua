-- Soak site (bench/soak, lunette-soak): one app per session with a counter, a list of notes shown
-- through lua.ViewList with an item presenter (adding and removing notes makes the page create
-- and destroy item variables), a text field echoed by a computed getter, and a one-second
-- interval timer. lunette-soak checks every value it sees against its own model of the session.

Note = session:prototype("Note", { label = "" })

-- The item presenter of the notes list (a global: lua.ViewList finds it by name). A new one is
-- made whenever a note moves to another index, so removals also churn presenters.
NotePresenter = session:prototype("NotePresenter", { note = EMPTY })

function NotePresenter:new(snapshot)
  return session:create(NotePresenter, { note = snapshot.baseItem })
end

function NotePresenter:label() return self.note.label end
function NotePresenter:remove() app:removeNote(self.note) end

SoakApp = session:prototype("SoakApp", {
  count = 0,
  notes = EMPTY,
  added = 0, -- notes ever added: the next note is "note <added + 1>"
  text = "",
  ticks = 0,
})

function SoakApp:increment() self.count = self.count + 1 end
function SoakApp:list() return self.notes end
function SoakApp:noteCount() return #self.notes end
function SoakApp:echo() return string.upper(self.text) end

function SoakApp:add()
  self.added = self.added + 1
  self.notes[#self.notes + 1] = Note:new({ label = "note " .. self.added })
end

function SoakApp:removeNote(note)
  for i, n in ipairs(self.notes) do
    if n == note then
      table.remove(self.notes, i)
      return
    end
  end
end

if not session:getApp() then
  app = SoakApp:new({ notes = {} })
  session:createAppVariable(app)
  session:setInterval(function() app.ticks = app.ticks + 1 end, 1000)
end
