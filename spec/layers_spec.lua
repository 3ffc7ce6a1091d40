-- The layers of the code, read from the sources: what may require what
-- (docs/architecture.md draws the same picture).

local read = require("helpers.shell").read

local function modname(path)
  return (path:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", "."))
end

-- Every module name a source requires with a literal name, lazily or not;
-- comments are left out.
local function requires_of(src)
  src = src:gsub("%-%-%[(=*)%[.-%]%1%]", ""):gsub("%-%-[^\n]*", "")
  local deps = {}
  for name in src:gmatch("require%s*%(?%s*[\"']([%w%._]+)[\"']") do deps[#deps + 1] = name end
  return deps
end

local graph = {}
for path in io.popen("find lua -name '*.lua' | sort"):lines() do
  graph[modname(path)] = requires_of(read(path))
end

-- Every module m reaches through requires, m included.
local function closure(m)
  local seen, list = {}, { m }
  seen[m] = true
  local i = 1
  while list[i] do
    for _, d in ipairs(graph[list[i]] or {}) do
      if not seen[d] then seen[d] = true; list[#list + 1] = d end
    end
    i = i + 1
  end
  return seen
end

describe("layers", function()
  it("finds the modules", function()
    assert.is_truthy(graph["livestation"])
    assert.is_truthy(graph["livestation.emulator.handlers.channel"])
    assert.is_truthy(graph["lsrun.host"])
  end)

  it("has no require cycle, lazy requires included", function()
    local state, stack, cycles = {}, {}, {}
    local function visit(m)
      if state[m] == 2 then return end
      if state[m] == 1 then
        cycles[#cycles + 1] = table.concat(stack, " -> ") .. " -> " .. m
        return
      end
      state[m], stack[#stack + 1] = 1, m
      for _, d in ipairs(graph[m]) do
        if graph[d] then visit(d) end
      end
      stack[#stack], state[m] = nil, 2
    end
    local names = {}
    for m in pairs(graph) do names[#names + 1] = m end
    table.sort(names)
    for _, m in ipairs(names) do visit(m) end
    assert.are.same({}, cycles)
  end)

  it("keeps the library apart from lsrun's commands", function()
    for m, deps in pairs(graph) do
      if m:match("^livestation") then
        for _, d in ipairs(deps) do
          assert.is_nil(d:match("^lsrun"), m .. " requires " .. d)
        end
      end
    end
  end)

  it("gives the emulator the service's codes, not the client's error objects", function()
    local reach = closure("livestation.emulator")
    assert.is_true(reach["livestation.codes"])
    assert.is_nil(reach["livestation.errors"])
    assert.is_nil(reach["livestation.client"])
  end)

  it("puts url, civil and spelling below everything, codes only over the table", function()
    for _, m in ipairs { "livestation.civil", "livestation.spelling" } do
      assert.are.same({}, graph[m], m)
    end
    -- percent-encoding is the C core's, which is under everything
    assert.are.same({ "livestation.core" }, graph["livestation.url"])
    assert.are.same({ "livestation.catalogue" }, graph["livestation.codes"])
    assert.is_nil(closure("livestation.httpdate")["livestation.schedule"])
    assert.are.same({ "livestation.civil" }, graph["livestation.kst"])
  end)

  it("keeps scripts/ and the workflow kit on the public API", function()
    local PUBLIC = { ["livestation"] = true, ["livestation.emulator_client"] = true }
    local function public(name) return PUBLIC[name] or name:match("^livestation%.kit%.[%w_]+$") ~= nil end
    local files = {}
    for path in io.popen("find scripts lua/livestation/kit -name '*.lua' | sort"):lines() do
      files[#files + 1] = path
      for _, d in ipairs(requires_of(read(path))) do
        assert.is_true(public(d), path .. " requires " .. d)
      end
      assert.is_nil(read(path):find("package.path", 1, true), path .. " changes package.path")
    end
    assert.is_true(#files >= 10)
    local status = os.execute("test -e scripts/lib")
    assert.is_falsy(status, "scripts/lib is back")
  end)

  it("builds lsrun on the embedding API alone", function()
    local src = read("src/lsrun.c")
    for inc in src:gmatch('#include%s+"([^"]+)"') do
      assert.are.equal("livestation.h", inc)
    end
    assert.is_truthy(src:find("ls_runtime_spawn_file(", 1, true))
    assert.is_truthy(src:find("ls_runtime_run(", 1, true))
  end)
end)
