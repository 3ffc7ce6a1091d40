-- Parameter validation from the operation table, on both sides of the
-- wire: the client checks before sending anything, the emulator checks what
-- it receives (from_request) and answers with the same Live Station code.
--
-- check(op, params) runs, in this order, so the first problem reported is
-- always the same one:
--   1. unknown names (top level, then nested, sorted at each level)
--   2. per parameter, in table order and depth first: required, type,
--      enum, minLength/maxLength, min/max, pattern, then array items and
--      object fields
--   3. the conditional and cross-field rules of rules.lua, in their order
-- A problem is a plain table: kind "validation", operation, param (dotted
-- path, vodList[2].filePath), rule, message and the Live Station code the
-- service would answer. The client turns it into an error object
-- (errors.lua); the emulator answers with its code.

local codes = require "livestation.codes"
local json = require "livestation.json"
local pattern = require "livestation.pattern"
local rules = require "livestation.rules"

local M = {}

local format, concat, sort = string.format, table.concat, table.sort
local mtype, tointeger, huge = math.type, math.tointeger, math.huge
local utf8_len = utf8.len
local null = json.null

-- Codes when neither rules.lua nor the rule itself names a better one.
-- unknown:  a strict JSON reader rejects undeclared members (250012
--           JSON_PARSE_GENERAL_ERROR "Invalid request data").
-- required: 250011 NEED_VALUE "{0} must has a valid value".
-- type:     250021 "Invalid parameter type.{0} can not convert to type {1}."
--           (a body member of the wrong type might be 250012 in the real
--           service; one code keeps client and emulator in agreement).
-- the rest: 250002 INVALID_FORMAT "{0}: invalid value."
M.DEFAULT_CODE = {
  unknown = 250012, required = 250011, type = 250021, encoding = 250012,
  enum = 250002, minLength = 250002, maxLength = 250002,
  min = 250002, max = 250002, pattern = 250002,
}

-- 250600 "Number must bigger than or equal to 1": the numeric lower bound
-- (page numbers, sizes, durations) wherever the table's minimum is 1.
local CODE_MIN_ONE = 250600

-- Values of these names are never echoed in messages.
local HIDDEN = { password = true, streamPassword = true, streamKey = true }

---------------------------------------------------------------- values

local function is_null(v)
  return v == nil or v == null
end

-- An integer, or a float with an integral value that fits one (cjson
-- decodes 6 as 6.0).
local function is_integral(v)
  if mtype(v) == "integer" then return true end
  return mtype(v) == "float" and v >= -2 ^ 63 and v < 2 ^ 63 and v == math.floor(v)
end

-- Array: marked by json.array, or keys exactly 1..n (an empty table too).
local function is_array(t)
  if getmetatable(t) ~= nil and json.is_array(t) then return true end
  local n, count = #t, 0
  for k in next, t do
    if mtype(k) ~= "integer" or k < 1 or k > n then return false end
    count = count + 1
  end
  return count == n
end

-- Object: a table with string keys only (an empty table too).
local function is_object(t)
  if getmetatable(t) ~= nil and json.is_array(t) then return false end
  for k in next, t do
    if type(k) ~= "string" then return false end
  end
  return true
end

-- Text of a number as it goes on the wire ("6", never "6.0").
local function num_text(v)
  if is_integral(v) then return format("%d", tointeger(v)) end
  return json.number(v)
end

-- A short description of a value for messages: never a whole table, never
-- a long string, never a value under a hidden name.
local function show(v, name)
  local tv = type(v)
  if HIDDEN[name] then return tv == "table" and (is_array(v) and "an array" or "an object") or ("a " .. tv) end
  if tv == "string" then
    if not utf8_len(v) then return "invalid UTF-8 text" end
    if utf8_len(v) > 40 then v = v:sub(1, utf8.offset(v, 38) - 1) .. "..." end
    return (format("%q", v):gsub("\\\n", "\\n"))
  elseif tv == "number" then
    if v ~= v or v == huge or v == -huge then return tostring(v) end
    return num_text(v)
  elseif tv == "boolean" then
    return tostring(v)
  elseif tv == "table" then
    return is_array(v) and "an array" or "an object"
  end
  return "a " .. tv
end

-- As show(), with the type in front (type errors).
local function show_typed(v, name)
  local tv = type(v)
  if HIDDEN[name] or tv == "table" or not (tv == "string" or tv == "number" or tv == "boolean") then
    return show(v, name)
  end
  return tv .. " " .. show(v, name)
end

local function show_list(list)
  local parts = {}
  for i, v in ipairs(list) do
    parts[i] = type(v) == "number" and num_text(v) or tostring(v)
  end
  return concat(parts, ", ")
end

local function last_name(path)
  return path:match("([%w_]+)%]?$") or path
end

---------------------------------------------------------------- errors

-- The code for a failed rule of the catalogue's own checks.
local function code_for(op, shape, rule, p)
  local entry = rules.get(op.id, op.zone).codes[shape]
  local code = entry and entry[rule]
  if code then return code end
  if rule == "min" and p and p.min == 1 and p.type ~= "array" then return CODE_MIN_ONE end
  return M.DEFAULT_CODE[rule]
end

local function problem(operation, param, rule, message, code)
  return { kind = "validation", operation = operation, param = param, rule = rule,
    message = message, code = code, retryable = false }
end

local function fail(op, path, rule, code, message)
  return problem(op.id, path, rule, path .. ": " .. message, code)
end

---------------------------------------------------------------- pass 1: unknown names

local function names_of(list)
  if #list == 0 then return "none" end
  local names = {}
  for i, p in ipairs(list) do names[i] = p.name end
  return concat(names, ", ")
end

local function sorted_keys(t)
  local keys = {}
  for k in next, t do keys[#keys + 1] = k end
  sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local function key_path(prefix, k)
  local name = type(k) == "string" and k or "[" .. tostring(k) .. "]"
  return prefix == "" and name or prefix .. "." .. name
end

local unknown_in

-- Names declared by a list of PARAMs, built once per list: the catalogue
-- does not change while the process runs.
local declared_cache = setmetatable({}, { __mode = "k" })

local function declared_names(fields)
  local declared = declared_cache[fields]
  if not declared then
    declared = {}
    for _, f in ipairs(fields) do declared[f.name] = true end
    declared_cache[fields] = declared
  end
  return declared
end

local NO_KEYS = {}

-- Unknown members of an object value v declared by `fields`.
local function unknown_members(op, fields, v, path, shape)
  local declared = declared_names(fields)
  local all_known = true
  for k in next, v do
    if not declared[k] then all_known = false break end
  end
  -- sorted only when one is unknown: the first in order is reported
  for _, k in ipairs(all_known and NO_KEYS or sorted_keys(v)) do
    if not declared[k] then
      local kp = key_path(path, k)
      local where = path == "" and "" or (" in " .. path)
      return fail(op, kp, "unknown", code_for(op, shape, "unknown"),
        format("unknown parameter; valid%s: %s", where, names_of(fields)))
    end
  end
  for _, f in ipairs(fields) do
    local x = v[f.name]
    if type(x) == "table" then
      local err = unknown_in(op, f, x, key_path(path, f.name), shape == "" and f.name or shape .. "." .. f.name)
      if err then return err end
    end
  end
end

function unknown_in(op, p, v, path, shape)
  if p.type == "object" and p.fields and is_object(v) then
    return unknown_members(op, p.fields, v, path, shape)
  elseif p.type == "array" and p.items == "object" and p.fields and is_array(v) then
    for i = 1, #v do
      if type(v[i]) == "table" and is_object(v[i]) then
        local err = unknown_members(op, p.fields, v[i], path .. "[" .. i .. "]", shape)
        if err then return err end
      end
    end
  end
end

---------------------------------------------------------------- pass 2: the table's checks

local TYPE_NAME = {
  string = "a string", integer = "an integer", number = "a number",
  boolean = "a boolean", object = "an object", array = "an array",
}

-- Checks the type of v against `ty`. Returns the value's text form for
-- pattern and length checks (strings, and integers as decimal), or false
-- and an error.
local function check_type(op, p, ty, v, path, shape)
  local tv = type(v)
  local ok, text
  if ty == "string" then
    if tv == "string" then
      ok, text = true, v
    elseif p["in"] ~= "body" and tv == "number" and is_integral(v) then
      -- ids come back as numbers in bodies (snapshotId); on the path or
      -- query they go out as their decimal text
      ok, text = true, num_text(v)
    end
  elseif ty == "integer" then
    if tv == "number" and is_integral(v) then
      ok, text = true, num_text(v)
    elseif p.pattern and tv == "string" and v:match("^%-?%d+$") then
      -- a digit string such as startTime "20250820190000": the reference
      -- types it Integer while its examples send a string
      ok, text = true, v
    end
  elseif ty == "number" then
    ok = tv == "number" and v == v and v ~= huge and v ~= -huge
  elseif ty == "boolean" then
    ok = tv == "boolean"
  elseif ty == "object" then
    ok = tv == "table" and is_object(v)
  elseif ty == "array" then
    ok = tv == "table" and is_array(v)
  else
    ok = true
  end
  if not ok then
    return false, fail(op, path, "type", code_for(op, shape, "type", p),
      format("must be %s, got %s", TYPE_NAME[ty] or ty, show_typed(v, last_name(path))))
  end
  if text and not utf8_len(text) then
    return false, fail(op, path, "type", code_for(op, shape, "encoding", p), "must be valid UTF-8 text")
  end
  return true, text
end

local function check_enum(op, p, v, path, shape)
  for _, allowed in ipairs(p.enum) do
    if v == allowed then return nil end
  end
  local want = #p.enum == 1 and show_list(p.enum) or ("one of " .. show_list(p.enum))
  return fail(op, path, "enum", code_for(op, shape, "enum", p),
    format("must be %s, got %s", want, show(v, last_name(path))))
end

local function check_length(op, p, text, path, shape)
  local n = utf8_len(text)
  local lo, hi = p.minLength, p.maxLength
  if (lo and n < lo) or (hi and n > hi) then
    local rule = (lo and n < lo) and "minLength" or "maxLength"
    local want
    if lo and hi then
      want = format("%d to %d characters", lo, hi)
    elseif lo then
      want = format("at least %d characters", lo)
    else
      want = format("at most %d characters", hi)
    end
    return fail(op, path, rule, code_for(op, shape, rule, p), format("must be %s, got %d", want, n))
  end
end

local function bounds_text(lo, hi)
  if lo and hi then
    if lo == hi then return num_text(lo) end
    return format("between %s and %s", num_text(lo), num_text(hi))
  elseif lo then
    return "at least " .. num_text(lo)
  end
  return "at most " .. num_text(hi)
end

local function check_bounds(op, p, x, path, shape, is_count)
  local lo, hi = p.min, p.max
  if (lo and x < lo) or (hi and x > hi) then
    local rule = (lo and x < lo) and "min" or "max"
    local message
    if is_count then
      local want = lo and hi and format("%d to %d", lo, hi) or bounds_text(lo, hi)
      message = format("must have %s items, got %d", want, x)
    else
      message = format("must be %s, got %s", bounds_text(lo, hi), num_text(x))
    end
    return fail(op, path, rule, code_for(op, shape, rule, p), message)
  end
end

local check_value

-- The PARAM an array's items are checked against, built once per array.
local item_cache = setmetatable({}, { __mode = "k" })

local function item_param(p)
  local item = item_cache[p]
  if not item then
    item = { name = p.name, type = p.items, ["in"] = p["in"], fields = p.fields, required = true }
    item_cache[p] = item
  end
  return item
end

-- Fields of an object value, in table order.
local function check_fields(op, fields, v, path, shape)
  for _, f in ipairs(fields) do
    local err = check_value(op, f, v[f.name], key_path(path, f.name),
      shape == "" and f.name or shape .. "." .. f.name)
    if err then return err end
  end
end

-- Returns an error or nil.
function check_value(op, p, v, path, shape)
  if is_null(v) then
    if p.required == true then
      return fail(op, path, "required", code_for(op, shape, "required", p), "required but missing")
    end
    return nil
  end
  local ok, text = check_type(op, p, p.type, v, path, shape)
  if not ok then return text end
  if p.enum then
    local err = check_enum(op, p, v, path, shape)
    if err then return err end
  end
  if text and (p.minLength or p.maxLength) then
    local err = check_length(op, p, text, path, shape)
    if err then return err end
  end
  if p.min or p.max then
    local x
    if p.type == "array" then
      x = #v
    elseif type(v) == "number" then
      x = v
    elseif text then
      x = tonumber(text)
    end
    if x then
      local err = check_bounds(op, p, x, path, shape, p.type == "array")
      if err then return err end
    end
  end
  if p.pattern and text then
    if not pattern.get(p.pattern):match(text) then
      return fail(op, path, "pattern", code_for(op, shape, "pattern", p),
        format("must match %s, got %s", p.pattern, show(v, last_name(path))))
    end
  end
  if p.type == "array" and p.items then
    local item = item_param(p)
    for i = 1, #v do
      local ipath = path .. "[" .. i .. "]"
      local err = check_value(op, item, v[i], ipath, shape)
      if err then return err end
    end
  elseif p.type == "object" and p.fields then
    return check_fields(op, p.fields, v, path, shape)
  end
  return nil
end

---------------------------------------------------------------- pass 3: rules.lua

-- Value at a dotted path below t, or nil (json null counts as nil).
local function get(t, path)
  local v = t
  for part in path:gmatch("[^.]+") do
    if type(v) ~= "table" then return nil end
    v = v[part]
  end
  if v == null then return nil end
  return v
end

local function parent_present(t, path)
  local parent = path:match("^(.*)%.[^.]+$")
  if not parent then return true end
  return type(get(t, parent)) == "table"
end

-- Value for a condition: given, else the catalogue default.
local function cond_value(op, scope, full, rel)
  local v = get(scope, rel)
  if v == nil then
    local p = op.param(full)
    if p then v = p.default end
  end
  return v
end

local function cond_holds(op, scope, prefix, c)
  if not c then return true end
  local v = cond_value(op, scope, prefix .. c.param, c.param)
  if c.equals ~= nil then return v == c.equals end
  if c.not_equals ~= nil then return v ~= nil and v ~= c.not_equals end
  if c.present then return v ~= nil end
  if c.area then
    local w = v
    local h = get(scope, c.area)
    return type(w) == "number" and type(h) == "number" and w * h < c.below
  end
  error("rules: condition without a test on " .. c.param)
end

local function cond_text(c, pathp)
  if not c then return "" end
  local name = pathp .. c.param
  if c.equals ~= nil then return format(" when %s is %s", name, tostring(c.equals)) end
  if c.not_equals ~= nil then return format(" when %s is not %s", name, tostring(c.not_equals)) end
  if c.present then return format(" when %s is given", name) end
  return format(" when %s x %s is below %d", name, pathp .. c.area, c.below)
end

local function lower_has_suffix(s, list)
  local l = s:lower()
  for _, suf in ipairs(list) do
    if #l >= #suf and l:sub(-#suf) == suf then return true end
  end
  return false
end

local function lower_has_prefix(s, list)
  local l = s:lower()
  for _, pre in ipairs(list) do
    if l:sub(1, #pre) == pre then return true end
  end
  return false
end

local DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function valid_datetime(s)
  local y, mo, d, h, mi, se = s:match("^(%d%d%d%d)(%d%d)(%d%d)(%d%d)(%d%d)(%d%d)$")
  if not y then return false end
  y, mo, d, h, mi, se = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(se)
  if mo < 1 or mo > 12 or h > 23 or mi > 59 or se > 59 or d < 1 then return false end
  local dim = DAYS[mo]
  if mo == 2 and (y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)) then dim = 29 end
  return d <= dim
end

-- Each kind: (op, rule, scope, path_prefix) -> error or nil. scope is the
-- params table or the current array item; path_prefix names it in messages.
local KINDS = {}

function KINDS.required(op, r, scope, pp)
  if get(scope, r.param) == nil and parent_present(scope, r.param) then
    return fail(op, pp .. r.param, "when", r.code, "required" .. cond_text(r.when, pp) .. ", missing")
  end
end

function KINDS.equals(op, r, scope, pp)
  local v = get(scope, r.param)
  if v ~= nil and v ~= r.value then
    return fail(op, pp .. r.param, r.name, r.code, format("must be %s%s, got %s",
      tostring(r.value), cond_text(r.when, pp), show(v, r.param)))
  end
end

function KINDS.one_of(op, r, scope, pp)
  local v = get(scope, r.param)
  if v == nil then return end
  for _, x in ipairs(r.values) do
    if v == x then return end
  end
  local want = #r.values == 1 and show_list(r.values) or ("one of " .. show_list(r.values))
  return fail(op, pp .. r.param, r.name, r.code, format("must be %s%s, got %s",
    want, cond_text(r.when, pp), show(v, r.param)))
end

function KINDS.absent(op, r, scope, pp)
  if get(scope, r.param) ~= nil then
    return fail(op, pp .. r.param, r.name, r.code, "must not be given" .. cond_text(r.when, pp))
  end
end

function KINDS.even(op, r, scope, pp)
  local v = get(scope, r.param)
  if type(v) == "number" and v % 2 ~= 0 then
    return fail(op, pp .. r.param, r.name, r.code, "must be even, got " .. show(v))
  end
end

function KINDS.multiple_of(op, r, scope, pp)
  local v = get(scope, r.param)
  if type(v) == "number" and v % r.step ~= 0 then
    return fail(op, pp .. r.param, r.name, r.code, format("must be a multiple of %d, got %s", r.step, show(v)))
  end
end

function KINDS.range(op, r, scope, pp)
  local v = get(scope, r.param)
  if type(v) == "number" and (v < r.min or v > r.max) then
    return fail(op, pp .. r.param, r.name, r.code, format("must be between %d and %d%s, got %s",
      r.min, r.max, cond_text(r.when, pp), show(v)))
  end
end

function KINDS.max_items(op, r, scope, pp)
  local v = get(scope, r.param)
  if type(v) == "table" and #v > r.max then
    return fail(op, pp .. r.param, r.name, r.code, format("must have at most %d items%s, got %d",
      r.max, cond_text(r.when, pp), #v))
  end
end

function KINDS.gap(op, r, scope, pp)
  local v, from = get(scope, r.param), get(scope, r.from)
  if type(v) ~= "number" or type(from) ~= "number" then return end
  local d = v - from
  if (r.min and d < r.min) or (r.max and d > r.max) then
    local want = r.min and r.max and format("between %s + %d and %s + %d", r.from, r.min, r.from, r.max)
      or r.min and format("at least %s + %d", r.from, r.min)
      or format("at most %s + %d", r.from, r.max)
    return fail(op, pp .. r.param, r.name, r.code, format("must be %s, got %s %s %s",
      want, r.from, d < 0 and "-" or "+", num_text(math.abs(d))))
  end
end

function KINDS.prefix(op, r, scope, pp)
  local v = get(scope, r.param)
  if type(v) == "string" and not lower_has_prefix(v, r.prefixes) then
    return fail(op, pp .. r.param, r.name, r.code, format("must start with %s, got %s",
      concat(r.prefixes, " or "), show(v, r.param)))
  end
end

function KINDS.suffix(op, r, scope, pp)
  local v = get(scope, r.param)
  if type(v) == "string" and not lower_has_suffix(v, r.suffixes) then
    return fail(op, pp .. r.param, r.name, r.code, format("must end with %s, got %s",
      concat(r.suffixes, ", "), show(v, r.param)))
  end
end

function KINDS.datetime(op, r, scope, pp)
  local v = get(scope, r.param)
  if v == nil then return end
  local text = type(v) == "number" and num_text(v) or tostring(v)
  if not valid_datetime(text) then
    return fail(op, pp .. r.param, r.name, r.code,
      "must be a real date and time written yyyyMMddHHmmss, got " .. show(v))
  end
end

function KINDS.file_mix(op, r, scope, pp)
  local list = get(scope, r.param)
  if type(list) ~= "table" then return end
  local videos, audios, others = 0, 0, 0
  for _, item in ipairs(list) do
    local f = type(item) == "table" and item[r.field]
    if type(f) == "string" then
      if lower_has_suffix(f, r.video) then
        videos = videos + 1
      elseif lower_has_suffix(f, r.audio) then
        audios = audios + 1
      else
        others = others + 1
      end
    end
  end
  local path = pp .. r.param
  if videos > 0 and audios + others > 0 then
    return fail(op, path, r.name, r.code, "video files cannot be combined with images or audio")
  elseif videos > r.max_video then
    return fail(op, path, r.name, r.code, format("must have at most %d video files, got %d", r.max_video, videos))
  elseif audios > 0 and others == 0 and videos == 0 then
    return fail(op, path, r.name, r.code, "audio alone is not accepted; add an image")
  end
end

local function check_rule(op, r, params)
  local kind = KINDS[r.kind] or error("rules: unknown kind " .. tostring(r.kind))
  if not r.each then
    if cond_holds(op, params, "", r.when) then return kind(op, r, params, "") end
    return nil
  end
  local list = get(params, r.each)
  if type(list) ~= "table" then return nil end
  for i, item in ipairs(list) do
    if type(item) == "table" and cond_holds(op, item, r.each .. ".", r.when) then
      local err = kind(op, r, item, format("%s[%d].", r.each, i))
      if err then return err end
    end
  end
end

---------------------------------------------------------------- quick yes

-- Most calls name an id or two: top-level scalars without rules. For an
-- operation whose parameters are all such, a plan checks the common good
-- call in one loop. It only ever says yes: any doubt (a value of another
-- type, a null, an unknown name, a broken bound) sends the call through
-- the full walk below, which finds and words the problem. A spec holds
-- the plan to never accepting what the walk refuses.
local SCALAR = { string = true, integer = true, number = true, boolean = true }
local plans = setmetatable({}, { __mode = "k" })

local function plan_of(op)
  local plan = plans[op]
  if plan ~= nil then return plan end
  plan = false
  if #rules.get(op.id, op.zone).rules == 0 then
    plan = { declared = declared_names(op.params) }
    for i, p in ipairs(op.params) do
      if not SCALAR[p.type] or p.fields or p.items then
        plan = false
        break
      end
      plan[i] = p
    end
  end
  plans[op] = plan
  return plan
end

local function in_list(v, list)
  for i = 1, #list do
    if list[i] == v then return true end
  end
  return false
end

local function quick_yes(plan, params)
  local declared = plan.declared
  for k in next, params do
    if not declared[k] then return false end
  end
  for i = 1, #plan do
    local p = plan[i]
    local v = params[p.name]
    if v == nil then
      if p.required == true then return false end
    else
      local ty, n = p.type, nil
      if ty == "string" then
        if type(v) ~= "string" then return false end
        n = utf8_len(v)
        if not n then return false end
        if (p.minLength and n < p.minLength) or (p.maxLength and n > p.maxLength) then return false end
        if p.pattern and not pattern.get(p.pattern):match(v) then return false end
        if p.min or p.max then return false end
      elseif ty == "integer" or ty == "number" then
        if (ty == "integer" and mtype(v) ~= "integer") or (ty == "number" and mtype(v) == nil) then return false end
        if v ~= v or v == huge or v == -huge then return false end
        if (p.min and v < p.min) or (p.max and v > p.max) then return false end
        if p.pattern or p.minLength or p.maxLength then return false end
      elseif type(v) ~= "boolean" then
        return false
      end
      if p.enum and not in_list(v, p.enum) then return false end
    end
  end
  return true
end

---------------------------------------------------------------- check

-- The full walk: every rule, in the order the header gives.
function M.check_walk(op, params)
  if type(params) ~= "table" then
    return nil, problem(op.id, nil, "type", "parameters must be a table, got " .. type(params),
      M.DEFAULT_CODE.type)
  end
  local err = unknown_members(op, op.params, params, "", "")
  if err then return nil, err end
  err = check_fields(op, op.params, params, "", "")
  if err then return nil, err end
  for _, r in ipairs(rules.get(op.id, op.zone).rules) do
    err = check_rule(op, r, params)
    if err then return nil, err end
  end
  return true
end

-- validate.check(op, params) -> true | nil, problem
function M.check(op, params)
  if type(params) == "table" then
    local plan = plan_of(op)
    if plan and quick_yes(plan, params) then return true end
  end
  return M.check_walk(op, params)
end

---------------------------------------------------------------- from_request

-- Spring's String-to-Boolean conversion, which the service's framework
-- most likely applies to path and query values.
local BOOLEAN = {
  ["true"] = true, on = true, yes = true, ["1"] = true,
  ["false"] = false, off = false, no = false, ["0"] = false,
}

-- A path or query string turned into the declared type: true and the
-- value (nil for an empty value of a non-string type: absent), or false
-- and an error.
local function convert(op, p, raw)
  if type(raw) == "table" then raw = raw[1] end -- repeated query name: the first wins
  if type(raw) ~= "string" or p.type == "string" then return true, raw end
  if raw == "" then return true, nil end
  local v
  if p.type == "integer" then
    v = raw:match("^[+-]?%d+$") and tointeger(tonumber(raw))
  elseif p.type == "number" then
    v = raw:match("^[+-]?%d*%.?%d*[eE]?[+-]?%d*$") and tonumber(raw)
    if v and (v ~= v or v == huge or v == -huge) then v = nil end
  elseif p.type == "boolean" then
    v = BOOLEAN[raw:lower()]
  end
  if v == nil then
    local shown = HIDDEN[p.name] and "(hidden)" or raw
    return false, problem(op.id, p.name, "type",
      p.name .. ": " .. codes.message(250021, shown, p.type), 250021)
  end
  return true, v
end

-- A copy of a decoded JSON value: json null dropped from objects, integral
-- floats as integers (plain cjson decodes every number as a float).
local function normalize(v)
  if type(v) == "number" then
    if mtype(v) == "float" and is_integral(v) and v > -2 ^ 53 and v < 2 ^ 53 then return tointeger(v) end
    return v
  end
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in next, v do
    if x ~= null then out[k] = normalize(x) end
  end
  if json.is_array(v) then json.array(out) end
  return out
end

-- Unknown names of one request part against the PARAMs declared for it.
local function unknown_part(op, declared, t)
  local by = declared_names(declared)
  for _, k in ipairs(sorted_keys(t)) do
    if not by[k] then
      return fail(op, key_path("", k), "unknown", M.DEFAULT_CODE.unknown,
        format("unknown parameter; valid: %s", names_of(declared)))
    end
  end
end

-- Drops the members of object v that `fields` does not declare, at every
-- depth, and notes their dotted paths in `dropped`. Returns the copy.
local function prune_members(fields, v, path, dropped)
  local declared = declared_names(fields)
  local out = {}
  for _, k in ipairs(sorted_keys(v)) do
    local kp = key_path(path, k)
    if not declared[k] then
      dropped[#dropped + 1] = kp
    else
      out[k] = v[k]
    end
  end
  for _, f in ipairs(fields) do
    local x = out[f.name]
    if type(x) == "table" and f.fields then
      if f.type == "object" and is_object(x) then
        out[f.name] = prune_members(f.fields, x, key_path(path, f.name), dropped)
      elseif f.type == "array" and f.items == "object" and is_array(x) then
        local list = json.array()
        for i = 1, #x do
          local item = x[i]
          if type(item) == "table" and is_object(item) then
            item = prune_members(f.fields, item, format("%s[%d]", key_path(path, f.name), i), dropped)
          end
          list[i] = item
        end
        out[f.name] = list
      end
    end
  end
  return out
end

-- validate.from_request(op, path_params, query, body[, opts]) -> params,
-- ignored | nil, problem
-- path_params and query hold strings (ops.match gives the former); body is
-- the decoded JSON body or nil. Values are converted by the declared type,
-- then check() runs on the one flat table. Names the operation does not
-- declare are refused (250012), or with opts.lenient dropped, as the
-- service's framework does; `ignored` lists their dotted paths (query
-- names first, then body members).
function M.from_request(op, path_params, query, body, opts)
  local params = {}
  local lenient = opts and opts.lenient
  local ignored = {}
  query = query or {}
  if not is_null(body) and (type(body) ~= "table" or not is_object(body)) then
    return nil, problem(op.id, nil, "type", "body: must be a JSON object", 250012)
  end
  local err
  if lenient then
    local declared = declared_names(op.query_params)
    local kept = {}
    for _, k in ipairs(sorted_keys(query)) do
      if declared[k] then kept[k] = query[k] else ignored[#ignored + 1] = k end
    end
    query = kept
    if not is_null(body) then body = prune_members(op.body_params, body, "", ignored) end
  else
    err = unknown_part(op, op.query_params, query)
    if err then return nil, err end
    if not is_null(body) then
      err = unknown_part(op, op.body_params, body)
      if err then return nil, err end
    end
  end
  for _, name in ipairs(op.path_params) do
    local raw = path_params and path_params[name]
    if raw ~= nil then
      local ok, v = convert(op, op.by_name[name] or { name = name, type = "string" }, raw)
      if not ok then return nil, v end
      params[name] = v
    end
  end
  for _, p in ipairs(op.query_params) do
    local raw = query[p.name]
    if raw ~= nil then
      local ok, v = convert(op, p, raw)
      if not ok then return nil, v end
      params[p.name] = v
    end
  end
  if not is_null(body) then
    for _, p in ipairs(op.body_params) do
      local v = body[p.name]
      if v ~= nil and v ~= null then params[p.name] = normalize(v) end
    end
  end
  local ok
  ok, err = M.check(op, params)
  if not ok then return nil, err end
  return params, ignored
end

return M
