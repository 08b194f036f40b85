-- require and module tracking (LUA_API.md, digest §5.4).
describe("require", function()
  it("returns the module's value and caches it", function()
    local t = require("nested.thing")
    expect(t.where).toBe("lua/nested/thing.lua")
    expect(require("nested.thing")).toBe(t)
    expect(package.loaded["nested.thing"]).toBe(t)
  end)

  it("survives a cycle: the inner require sees true", function()
    local a = require("cycle_a")
    expect(a.name).toBe("a")
    expect(a.seenB.name).toBe("b")
    expect(a.bSawA).toBe(true)
  end)

  it("gives true for a chunk that returns nothing, and runs it once", function()
    expect(require("noreturn")).toBe(true)
    expect(require("noreturn")).toBe(true)
    expect(loadedNoReturn).toBe(1)
  end)

  it("reports a missing module with where it looked", function()
    expect(function() require("does.not.exist") end).toFail("module 'does.not.exist' not found")
  end)

  it("reports a module that fails and does not cache it", function()
    expect(function() require("broken") end).toFail("error loading module 'broken'")
    expect(package.loaded.broken).toBeNil()
    expect(function() require("broken") end).toFail("broken on purpose")
  end)

  it("refuses names that climb out of the site", function()
    expect(function() require("../outside") end).toFail("not a valid module name")
  end)

  it("unloadModule forgets the module and its prototypes", function()
    writeFile("lua/spec_unload.lua", [[
      unloadedProto = session:prototype("SpecUnloaded", { v = 1 })
      unloadRuns = (unloadRuns or 0) + 1
      return {}
    ]])
    require("spec_unload")
    local first = unloadedProto
    expect(session:unloadModule("lua/spec_unload.lua")).toBe(true)
    expect(package.loaded.spec_unload).toBeNil()
    require("spec_unload")
    expect(unloadRuns).toBe(2)
    -- Its prototype was forgotten too: the second load declared a new one.
    expect(unloadedProto ~= first).toBeTruthy()
  end)

  it("unloadDirectory unloads every module of a folder", function()
    require("nested.thing")
    expect(session:unloadDirectory("lua/nested")).toBe(1)
    expect(package.loaded["nested.thing"]).toBeNil()
  end)
end)
