-- Contact Manager: a searchable list of contacts with an add/edit form, validation, an
-- emergency-contact picker and a "selected contact" panel. ContactApp is variable 1; the
-- model and the card presenter live in their own modules (contact.lua, contact_presenter.lua).

local Contact = require("contact")
require("contact_presenter")

ContactApp = session:prototype("ContactApp", {
  title = "Contact Manager",
  _allContacts = EMPTY, -- every contact, in creation order
  searchQuery = "",
  -- which half of the page shows: the list or the add/edit form
  isListView = true,
  isEditView = false,
  -- the form
  formTitle = "",
  error = "",
  editFirstName = "",
  editLastName = "",
  editEmail = "",
  editPhone = "",
  editNotes = "",
  editEmergencyContactId = "", -- 0-based position in emergencyContactOptions(), as text; "" = none
  _editingContact = EMPTY, -- the contact being edited; nil while adding
  selectedContact = EMPTY, -- shown in the "Selected Contact" panel
})

local function trim(s)
  return (string.gsub(tostring(s or ""), "^%s*(.-)%s*$", "%1"))
end

local function indexOf(list, value)
  for i, v in ipairs(list) do
    if rawequal(v, value) then return i end
  end
  return nil
end

-- ---- the list -----------------------------------------------------------------------------

-- The contacts matching the search box (all of them when it is empty).
function ContactApp:contacts()
  local query = string.lower(trim(self.searchQuery))
  if query == "" then return self._allContacts end
  local found = {}
  for _, contact in ipairs(self._allContacts) do
    if contact:matches(query) then found[#found + 1] = contact end
  end
  return found
end

function ContactApp:contactCount() return #self:contacts() end
function ContactApp:hasContacts() return #self:contacts() > 0 end
-- For the empty-state messages (bound to `hidden`, so these answer "hide it?").
function ContactApp:hasAnyContacts() return #self._allContacts > 0 end
function ContactApp:hideNoMatches() return #self._allContacts == 0 or self:hasContacts() end

-- Enter in the search box: edit the first contact that matches.
function ContactApp:selectFirstContact()
  local first = self:contacts()[1]
  if first then self:editContact(first) end
end

function ContactApp:selectContact(contact) self.selectedContact = contact end
function ContactApp:deselect() self.selectedContact = nil end

function ContactApp:deleteContact(contact)
  local i = indexOf(self._allContacts, contact)
  if not i then return end
  table.remove(self._allContacts, i)
  for _, other in ipairs(self._allContacts) do
    if rawequal(other.emergencyContact, contact) then other.emergencyContact = nil end
  end
  if rawequal(self.selectedContact, contact) then self.selectedContact = nil end
end

-- ---- the form -----------------------------------------------------------------------------

-- The emergency-contact select lists every contact, always in the same order, so opening the
-- form only changes the select's value and never re-labels its options under it; the contact
-- being edited is listed but disabled (Contact:isBeingEdited()).
function ContactApp:emergencyContactOptions() return self._allContacts end

function ContactApp:isEditing(contact) return rawequal(self._editingContact, contact) end

function ContactApp:hasError() return self.error ~= "" end

function ContactApp:showForm(title, contact)
  self._editingContact = contact
  self.formTitle = title
  self.error = ""
  self.editFirstName = contact and contact.firstName or ""
  self.editLastName = contact and contact.lastName or ""
  self.editEmail = contact and contact.email or ""
  self.editPhone = contact and contact.phone or ""
  self.editNotes = contact and contact.notes or ""
  local position = contact and contact.emergencyContact
      and indexOf(self:emergencyContactOptions(), contact.emergencyContact)
  self.editEmergencyContactId = position and tostring(position - 1) or ""
  self.isListView = false
  self.isEditView = true
end

function ContactApp:closeForm()
  self._editingContact = nil
  self.error = ""
  -- Cleared so that opening the form again always changes the select's value.
  self.editEmergencyContactId = ""
  self.isEditView = false
  self.isListView = true
end

function ContactApp:addContact() self:showForm("Add Contact", nil) end
function ContactApp:editContact(contact) self:showForm("Edit Contact", contact) end
function ContactApp:cancelEdit() self:closeForm() end

-- The contact picked in the emergency select, or nil.
function ContactApp:chosenEmergencyContact()
  local position = math.tointeger(tonumber(self.editEmergencyContactId))
  if position == nil then return nil end
  local contact = self:emergencyContactOptions()[position + 1]
  if self:isEditing(contact) then return nil end -- nobody is their own emergency contact
  return contact
end

function ContactApp:saveContact()
  local firstName, email = trim(self.editFirstName), trim(self.editEmail)
  if firstName == "" then
    self.error = "First name is required"
    return
  end
  if email == "" then
    self.error = "Email is required"
    return
  end
  local contact = self._editingContact
  if contact == nil then
    contact = Contact:new()
    self._allContacts[#self._allContacts + 1] = contact
  end
  contact.firstName = firstName
  contact.lastName = trim(self.editLastName)
  contact.email = email
  contact.phone = trim(self.editPhone)
  contact.notes = trim(self.editNotes)
  contact.emergencyContact = self:chosenEmergencyContact()
  self:closeForm()
end

-- ---- the session's app ----------------------------------------------------------------------

-- Guarded: a hot reload re-runs this file and must not re-seed.
if not session:getApp() then
  local alice = Contact:new({ firstName = "Alice", lastName = "Smith", email = "alice@example.com",
                              phone = "555-0101", notes = "Met at conference" })
  local bob = Contact:new({ firstName = "Bob", lastName = "Johnson", email = "bob@example.com",
                            phone = "555-0102" })
  local carol = Contact:new({ firstName = "Carol", lastName = "Williams", email = "carol@example.com",
                              phone = "555-0103", notes = "Project lead" })
  session:createAppVariable(ContactApp:new({ _allContacts = { alice, bob, carol } }))
end
