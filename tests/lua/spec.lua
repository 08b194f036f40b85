-- A tiny spec framework for tests/lua/*_spec.lua (run by test_luaspecs.cpp inside a session):
-- describe/it register tests, expect(v) gives matchers; failures raise with the spec's line.
local tests = {}
local prefix = {}

function describe(name, body)
  prefix[#prefix + 1] = name
  body()
  prefix[#prefix] = nil
end

function it(name, body)
  local full = table.concat(prefix, " ") .. (#prefix > 0 and " " or "") .. name
  tests[#tests + 1] = { name = full, body = body }
end

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

function expect(actual)
  local m = {}
  function m.toBe(expected)
    if not rawequal(actual, expected) and actual ~= expected then
      error("expected " .. show(expected) .. ", got " .. show(actual), 2)
    end
  end
  function m.toBeNil()
    if actual ~= nil then error("expected nil, got " .. show(actual), 2) end
  end
  function m.toBeTruthy()
    if not actual then error("expected a true value, got " .. show(actual), 2) end
  end
  function m.toFail(pattern)
    local ok, err = pcall(actual)
    if ok then error("expected an error", 2) end
    if pattern and not string.find(tostring(err), pattern, 1, true) then
      error("expected an error containing " .. show(pattern) .. ", got " .. show(tostring(err)), 2)
    end
  end
  return m
end

-- Called by the driver: runs every registered test, returns the failures as "name: message".
function __runSpecs()
  local failures = {}
  for _, t in ipairs(tests) do
    local ok, err = pcall(t.body)
    if not ok then failures[#failures + 1] = t.name .. ": " .. tostring(err) end
  end
  return #tests, failures
end
