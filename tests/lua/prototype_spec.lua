-- session:prototype / session:create / EMPTY / mutate (ui-engine digest §5.3).
describe("prototype", function()
  it("sets type and __index and installs a default new", function()
    local P = session:prototype("SpecPerson", { name = "", age = 0 })
    expect(P.type).toBe("SpecPerson")
    expect(P.__index).toBe(P)
    local p = P:new({ name = "Ada" })
    expect(getmetatable(p)).toBe(P)
    expect(p.name).toBe("Ada")
    expect(p.age).toBe(0)
  end)

  it("keeps a custom new", function()
    local P = session:prototype("SpecCustomNew", {})
    function P:new(x) return session:create(P, { x = x * 2 }) end
    local again = session:prototype("SpecCustomNew", nil)
    expect(again:new(21).x).toBe(42)
  end)

  it("removes EMPTY fields so they default to nil", function()
    local P = session:prototype("SpecEmpty", { a = EMPTY, b = 1 })
    expect(rawget(P, "a")).toBeNil()
    expect(P:new().a).toBeNil()
    expect(P:new().b).toBe(1)
  end)

  it("redeclaring with the same fields returns the same table", function()
    local init = { n = 1 }
    local P = session:prototype("SpecSame", init)
    local Q = session:prototype("SpecSame", { n = 1 })
    expect(Q).toBe(P)
  end)

  it("redeclaring updates the prototype in place so instances see new defaults", function()
    local P = session:prototype("SpecUpdate", { color = "red" })
    local inst = P:new()
    session:prototype("SpecUpdate", { color = "blue", size = 3 })
    expect(inst.color).toBe("blue")
    expect(inst.size).toBe(3)
  end)

  it("subclasses made with a base get their own type from the inherited new", function()
    local Base = session:prototype("SpecBase", { kind = "base" })
    local Sub = session:prototype("SpecSub", { extra = true }, Base)
    local s = Sub:new()
    expect(getmetatable(s)).toBe(Sub)
    expect(s.kind).toBe("base")
    expect(s.type).toBe("SpecSub")
  end)

  it("session:create without an instance makes a new table", function()
    local P = session:prototype("SpecCreate", { v = 5 })
    local a = session:create(P)
    expect(getmetatable(a)).toBe(P)
    expect(a.v).toBe(5)
  end)

  it("removePrototype forgets the name (and children with the flag)", function()
    local P = session:prototype("SpecGone", { v = 1 })
    local C = session:prototype("SpecGone.child", { w = 1 })
    local Kept = session:prototype("SpecGoneNot", { w = 1 })
    session:removePrototype("SpecGone", true)
    -- A removed name is declared afresh: a new table, not the old one updated.
    expect(session:prototype("SpecGone", { v = 1 }) ~= P).toBeTruthy()
    expect(session:prototype("SpecGone.child", { w = 1 }) ~= C).toBeTruthy()
    expect(session:prototype("SpecGoneNot", nil)).toBe(Kept)
  end)
end)

describe("mutate after a reload", function()
  it("calls mutate on live instances and clears removed fields, in FIFO order", function()
    writeFile("lua/spec_mutable.lua", [[
      Counter = session:prototype("SpecCounter", { count = 0, old = "x" })
      mutated = mutated or {}
      function Counter.mutate(inst) mutated[#mutated + 1] = "counter" end
    ]])
    require("spec_mutable")
    local c = Counter:new({ old = "kept until reload" })
    writeFile("lua/spec_mutable.lua", [[
      Counter = session:prototype("SpecCounter", { count = 0, fresh = 1 })
      mutated = mutated or {}
      function Counter.mutate(inst) mutated[#mutated + 1] = "counter"; inst.count = inst.count + 10 end
    ]])
    expect(session.reloading).toBe(false)
    reload("lua/spec_mutable.lua")
    expect(c.count).toBe(10)
    expect(rawget(c, "old")).toBeNil()
    expect(c.fresh).toBe(1)
    expect(#mutated).toBe(1)
  end)

  it("a failing mutate does not stop the others", function()
    writeFile("lua/spec_two.lua", [[
      A = session:prototype("SpecA", { v = 1 })
      B = session:prototype("SpecB", { v = 1 })
    ]])
    require("spec_two")
    local a, b = A:new(), B:new()
    writeFile("lua/spec_two.lua", [[
      A = session:prototype("SpecA", { v = 2 })
      B = session:prototype("SpecB", { v = 2 })
      function A.mutate(inst) error("A fails") end
      function B.mutate(inst) inst.touched = true end
    ]])
    reload("lua/spec_two.lua")
    expect(b.touched).toBe(true)
    expect(a.v).toBe(2)
  end)

  it("session.reloading is true while the file re-runs", function()
    writeFile("lua/spec_flag.lua", [[ flagDuringLoad = session.reloading ]])
    require("spec_flag")
    expect(flagDuringLoad).toBe(false)
    reload("lua/spec_flag.lua")
    expect(flagDuringLoad).toBe(true)
    expect(session.reloading).toBe(false)
  end)
end)
