-- The Contact model: plain data plus the read-only helpers the views bind to. Required by
-- main.lua; a hot reload of this file updates Contact in place, so a method added here works
-- on the contacts that already exist.

Contact = session:prototype("Contact", {
  firstName = "",
  lastName = "",
  email = "",
  phone = "",
  notes = "",
  emergencyContact = EMPTY, -- another Contact, or nil
})

local function blank(s) return s == nil or s == "" end

-- "First Last", without a stray space when either part is empty.
function Contact:fullName()
  if blank(self.firstName) then return self.lastName or "" end
  if blank(self.lastName) then return self.firstName end
  return self.firstName .. " " .. self.lastName
end

-- Case-insensitive substring match on the full name and the e-mail address. `query` is
-- already lower-case.
function Contact:matches(query)
  if query == "" then return true end
  return string.find(string.lower(self:fullName()), query, 1, true) ~= nil
      or string.find(string.lower(self.email or ""), query, 1, true) ~= nil
end

function Contact:emergencyContactName()
  return self.emergencyContact and self.emergencyContact:fullName() or ""
end

function Contact:hasEmergencyContact() return self.emergencyContact ~= nil end
function Contact:noEmergencyContact() return self.emergencyContact == nil end
function Contact:noPhone() return blank(self.phone) end
function Contact:noNotes() return blank(self.notes) end

-- Whether the app's form is editing this contact (its emergency-contact option is disabled).
function Contact:isBeingEdited() return session:getApp():isEditing(self) end

return Contact
