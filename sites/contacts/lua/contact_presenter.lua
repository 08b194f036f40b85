-- ContactPresenter: what one card of the contact list binds to. lua.ViewList builds one per
-- visible contact with ContactPresenter:new{item = previous presenter, baseItem = contact,
-- index = 0-based position}; it must be a global because item wrappers are found by name.
-- The card's buttons call back into the app (session:getApp()).

ContactPresenter = session:prototype("ContactPresenter", {
  contact = EMPTY,
  index = 0,
})

function ContactPresenter:new(listItem)
  return session:create(ContactPresenter, { contact = listItem.baseItem, index = listItem.index })
end

function ContactPresenter:noPhone() return self.contact:noPhone() end
function ContactPresenter:isSelected() return rawequal(session:getApp().selectedContact, self.contact) end

function ContactPresenter:select() session:getApp():selectContact(self.contact) end
function ContactPresenter:edit() session:getApp():editContact(self.contact) end
function ContactPresenter:delete() session:getApp():deleteContact(self.contact) end

return ContactPresenter
