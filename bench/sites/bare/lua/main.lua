-- Benchmark site: the smallest useful session — one app object with one field.
app = { type = "Bare", message = "hello" }
session:createAppVariable(app)
