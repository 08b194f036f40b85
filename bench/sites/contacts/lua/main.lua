-- Benchmark site: a small Contact Manager modelled on ui-engine's demo (digest §9.1). Three
-- seeded contacts, computed getters (contacts(), contactCount(), hasContacts()), per-card
-- presenters built by lua.ViewList, and actions that mutate state (select(), selectNext(),
-- deselect(), toggleView(), increment()). lunette-bench drives it over the real protocol.

Contact = session:prototype("Contact", {
  firstName = "",
  lastName = "",
  email = "",
  phone = "",
  notes = "",
  emergencyContact = EMPTY,
})

function Contact:fullName()
  if self.firstName == "" then return self.lastName end
  if self.lastName == "" then return self.firstName end
  return self.firstName .. " " .. self.lastName
end

function Contact:emergencyContactName()
  return self.emergencyContact and self.emergencyContact:fullName() or ""
end

function Contact:hasEmergencyContact() return self.emergencyContact ~= nil end
function Contact:noEmergencyContact() return self.emergencyContact == nil end

-- The item presenter of the contact list (a global: lua.ViewList finds it by name).
ContactPresenter = session:prototype("ContactPresenter", { viewItem = EMPTY, contact = EMPTY })

function ContactPresenter:new(snapshot)
  return session:create(ContactPresenter, { viewItem = snapshot.item, contact = snapshot.baseItem })
end

function ContactPresenter:noPhone() return self.contact.phone == "" end
function ContactPresenter:select() app.selectedContact = self.contact end

ContactApp = session:prototype("ContactApp", {
  title = "Contact Manager",
  _allContacts = EMPTY,
  searchQuery = "",
  isEditView = false,
  isListView = true,
  formTitle = "",
  error = "",
  selectedContact = EMPTY,
  clicks = 0,
})

function ContactApp:contacts()
  local query = string.lower(self.searchQuery)
  if query == "" then return self._allContacts end
  local found = {}
  for _, c in ipairs(self._allContacts) do
    if string.find(string.lower(c:fullName()), query, 1, true)
        or string.find(string.lower(c.email), query, 1, true) then
      found[#found + 1] = c
    end
  end
  return found
end

function ContactApp:contactCount() return #self:contacts() end
function ContactApp:hasContacts() return #self:contacts() > 0 end

-- Select the contact after the selected one (wrapping around).
function ContactApp:selectNext()
  local all = self._allContacts
  local next = 1
  for i, c in ipairs(all) do
    if c == self.selectedContact then next = i % #all + 1 end
  end
  self.selectedContact = all[next]
end

function ContactApp:deselect() self.selectedContact = nil end

function ContactApp:toggleView()
  self.isEditView = not self.isEditView
  self.isListView = not self.isEditView
end

function ContactApp:increment() self.clicks = self.clicks + 1 end

if not session.reloading then
  local alice = Contact:new({ firstName = "Alice", lastName = "Smith", email = "alice@example.com",
                              phone = "555-0101", notes = "Met at conference" })
  local bob = Contact:new({ firstName = "Bob", lastName = "Johnson", email = "bob@example.com",
                            phone = "555-0102" })
  local carol = Contact:new({ firstName = "Carol", lastName = "Williams", email = "carol@example.com",
                              phone = "555-0103", notes = "Project lead" })
  bob.emergencyContact = alice
  app = ContactApp:new({ _allContacts = { alice, bob, carol } })
  app.selectedContact = alice
  session:createAppVariable(app)
end
