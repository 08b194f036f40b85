-- Benchmark site for change detection (P2): an app with an array of numbers; lunette-bench
-- fills it with fill(n), watches one variable per element and changes one element per turn.
Wide = session:prototype("Wide", { values = EMPTY })

function Wide:fill(n)
  local values = {}
  for i = 1, n do values[i] = i end
  self.values = values
end

function Wide:bump(i) self.values[i] = self.values[i] + 1 end

app = Wide:new({ values = {} })
session:createAppVariable(app)
