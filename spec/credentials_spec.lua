-- livestation.credentials: the chain, profiles, half pairs, file mode.

local credentials = require "livestation.credentials"
local errors = require "livestation.errors"

local AK = "NCPTESTACCESSKEY0001"
local SK = "NCPTESTSECRETKEY00000000000000000000SK01"
local AK2 = "ENVACCESSKEY00000002"
local SK2 = "ENVSECRETKEY0000000000000000000000000002"
local AK3 = "FILEACCESSKEY0000003"
local SK3 = "FILESECRETKEY000000000000000000000000003"
local AK4 = "PROFACCESSKEY0000004"
local SK4 = "PROFSECRETKEY000000000000000000000000004"
local ALL_SECRETS = { SK, SK2, SK3, SK4 }

-- A temporary HOME (os.tmpname gives a unique name; it becomes a folder).
local function make_home()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p '" .. dir .. "/.ncloud'"))
  return dir
end

local function write_config(home, text, mode)
  local path = home .. "/.ncloud/configure"
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  assert(os.execute(string.format("chmod %s '%s'", mode or "600", path)))
  return path
end

-- The real permission bits: the core's reader when it is built, else stat(1).
local has_core, core = pcall(require, "livestation.core")
local function file_mode(path)
  if has_core and core.file_mode then return core.file_mode(path) end
  local p = io.popen("stat -c %a '" .. path .. "' 2>/dev/null")
  local out = p:read("a")
  p:close()
  return tonumber(out, 8)
end

local function env_of(vars, home, warnings)
  return {
    getenv = function(name) return vars[name] end,
    home = home,
    file_mode = file_mode,
    warn = function(msg) warnings[#warnings + 1] = msg end,
  }
end

local CONFIG = table.concat({
  "# NCLOUD CLI configure file",
  "; another comment style",
  "[DEFAULT]",
  "  ncloud_access_key_id   =   " .. AK3 .. "  ",
  "ncloud_secret_access_key=" .. SK3,
  "ncloud_api_url = https://ncloud.apigw.ntruss.com/a=b",
  "",
  "[project]",
  "NCLOUD_ACCESS_KEY_ID = \"" .. AK4 .. "\"",
  "ncloud_secret_access_key = " .. SK4 .. "\r",
  "",
  "[half]",
  "ncloud_access_key_id = " .. AK4,
  "",
  "[empty]",
  "",
  "[typo]",
  "ncloud_access_key_id = " .. AK4,
  "ncloud_secret_acess_key = " .. SK4,
  "",
  "[typo2]",
  "ncloud_acess_key_id = " .. AK4,
  "ncloud_secret_access_key = " .. SK4,
}, "\n")

describe("credentials.resolve", function()
  local home

  before_each(function() home = make_home() end)
  after_each(function() os.execute("rm -rf '" .. home .. "'") end)

  local cases = {
    { "explicit keys win over everything",
      { access_key = AK, secret_key = SK }, { NCLOUD_ACCESS_KEY_ID = AK2, NCLOUD_SECRET_ACCESS_KEY = SK2 }, CONFIG,
      { access_key = AK, secret_key = SK, source = "options" } },
    { "environment (_ID names) before the file",
      {}, { NCLOUD_ACCESS_KEY_ID = AK2, NCLOUD_SECRET_ACCESS_KEY = SK2, NCLOUD_ACCESS_KEY = "X", NCLOUD_SECRET_KEY = "Y" }, CONFIG,
      { access_key = AK2, secret_key = SK2, source = "environment" } },
    { "environment (short names)",
      {}, { NCLOUD_ACCESS_KEY = AK2, NCLOUD_SECRET_KEY = SK2 }, nil,
      { access_key = AK2, secret_key = SK2, source = "environment" } },
    { "environment, one name of each kind",
      {}, { NCLOUD_ACCESS_KEY = AK2, NCLOUD_SECRET_ACCESS_KEY = SK2 }, nil,
      { access_key = AK2, secret_key = SK2, source = "environment" } },
    { "empty variables count as unset",
      {}, { NCLOUD_ACCESS_KEY_ID = "", NCLOUD_SECRET_ACCESS_KEY = "" }, CONFIG,
      { access_key = AK3, secret_key = SK3, source = "file", profile = "DEFAULT" } },
    { "file DEFAULT profile, trimmed, comments ignored",
      {}, {}, CONFIG,
      { access_key = AK3, secret_key = SK3, source = "file", profile = "DEFAULT" } },
    { "file profile from the options (quotes, CRLF, key case)",
      { profile = "project" }, { NCLOUD_PROFILE = "half" }, CONFIG,
      { access_key = AK4, secret_key = SK4, source = "file", profile = "project" } },
    { "file profile from NCLOUD_PROFILE",
      {}, { NCLOUD_PROFILE = "project" }, CONFIG,
      { access_key = AK4, secret_key = SK4, source = "file", profile = "project" } },
    { "lines before any section are DEFAULT",
      {}, {}, "ncloud_access_key_id=" .. AK3 .. "\nncloud_secret_access_key=" .. SK3 .. "=tail\n",
      { access_key = AK3, secret_key = SK3 .. "=tail", source = "file", profile = "DEFAULT" } },
    { "region and endpoint from the options",
      { access_key = AK, secret_key = SK, region = "FKR", endpoint = "http://127.0.0.1:8080//" },
      { NCLOUD_REGION = "XX", LIVESTATION_ENDPOINT = "http://other" }, nil,
      { region = "FKR", endpoint = "http://127.0.0.1:8080" } },
    { "region and endpoint from the environment",
      { access_key = AK, secret_key = SK }, { NCLOUD_REGION = "FKR", LIVESTATION_ENDPOINT = "https://emu.local/" }, nil,
      { region = "FKR", endpoint = "https://emu.local" } },
    { "region and endpoint defaults",
      { access_key = AK, secret_key = SK }, {}, nil,
      { region = "KR", endpoint = "https://livestation.apigw.ntruss.com" } },
  }
  for _, c in ipairs(cases) do
    it(c[1], function()
      if c[4] then write_config(home, c[4]) end
      local warnings = {}
      local got, err = credentials.resolve(c[2], env_of(c[3], home, warnings))
      assert.is_nil(err)
      for k, v in pairs(c[5]) do assert.are.equal(v, got[k], k) end
      if c[5].source ~= "file" and c[5].source then assert.is_nil(got.profile) end
      assert.are.same({}, warnings)
    end)
  end

  local failures = {
    { "explicit access key without secret", { access_key = AK }, {}, nil,
      "secret_key is missing: access_key was given in the options without it" },
    { "explicit secret without access key", { secret_key = SK }, { NCLOUD_ACCESS_KEY_ID = AK2 }, nil,
      "access_key is missing: secret_key was given in the options without it" },
    { "environment access key without secret", {}, { NCLOUD_ACCESS_KEY = AK2 }, CONFIG,
      "NCLOUD_SECRET_ACCESS_KEY or NCLOUD_SECRET_KEY is not set (or empty), but NCLOUD_ACCESS_KEY is" },
    { "environment secret without access key", {}, { NCLOUD_SECRET_ACCESS_KEY = SK2 }, CONFIG,
      "NCLOUD_ACCESS_KEY_ID or NCLOUD_ACCESS_KEY is not set (or empty), but NCLOUD_SECRET_ACCESS_KEY is" },
    { "file profile with only an access key", { profile = "half" }, {}, CONFIG,
      "ncloud_secret_access_key is missing from profile [half] of %HOME%/.ncloud/configure (it has ncloud_access_key_id)" },
    { "file profile with the secret key's name mistyped", { profile = "typo" }, {}, CONFIG,
      "ncloud_secret_access_key is missing from profile [typo] of %HOME%/.ncloud/configure " ..
      "(it has ncloud_access_key_id, and ncloud_secret_acess_key: did you mean ncloud_secret_access_key?)" },
    { "file profile with the access key's name mistyped", { profile = "typo2" }, {}, CONFIG,
      "ncloud_access_key_id is missing from profile [typo2] of %HOME%/.ncloud/configure " ..
      "(it has ncloud_secret_access_key, and ncloud_acess_key_id: did you mean ncloud_access_key_id?)" },
    { "file profile named but absent", { profile = "prod" }, {}, CONFIG,
      "profile 'prod' not found in %HOME%/.ncloud/configure (profiles there: DEFAULT, project, half, empty, typo, typo2)" },
    { "profile from NCLOUD_PROFILE absent", {}, { NCLOUD_PROFILE = "prod" }, CONFIG,
      "profile 'prod' not found in %HOME%/.ncloud/configure (profiles there: DEFAULT, project, half, empty, typo, typo2)" },
    { "nothing anywhere", {}, {}, nil,
      "no credentials found: looked for access_key/secret_key in the options, NCLOUD_ACCESS_KEY_ID or " ..
      "NCLOUD_ACCESS_KEY and NCLOUD_SECRET_ACCESS_KEY or NCLOUD_SECRET_KEY in the environment, and " ..
      "%HOME%/.ncloud/configure (not found)" },
    { "profile with no keys", { profile = "empty" }, {}, CONFIG,
      "no credentials found: looked for access_key/secret_key in the options, NCLOUD_ACCESS_KEY_ID or " ..
      "NCLOUD_ACCESS_KEY and NCLOUD_SECRET_ACCESS_KEY or NCLOUD_SECRET_KEY in the environment, and " ..
      "%HOME%/.ncloud/configure (profile [empty] has no keys)" },
    { "bad endpoint", { access_key = AK, secret_key = SK, endpoint = "emu.local:80" }, {}, nil,
      "endpoint 'emu.local:80' is not an http:// or https:// URL" },
  }
  for _, c in ipairs(failures) do
    it("fails: " .. c[1], function()
      if c[4] then write_config(home, c[4]) end
      local got, err = credentials.resolve(c[2], env_of(c[3], home, {}))
      assert.is_nil(got)
      assert.is_true(errors.is(err))
      assert.are.equal("validation", err.kind)
      assert.are.equal((c[5]:gsub("%%HOME%%", home)), err.message)
      assert.are.equal("validation error: " .. err.message, tostring(err))
      for _, secret in ipairs(ALL_SECRETS) do
        assert.is_nil(tostring(err):find(secret, 1, true))
      end
    end)
  end

  it("registers the secret key with the log's redaction", function()
    local log = require "livestation.log"
    local secret = "REDACTTESTSECRET000000000000000000000005"
    assert(credentials.resolve({ access_key = AK, secret_key = secret }, env_of({}, home, {})))
    local lines = {}
    local previous = log.set_sink(function(line) lines[#lines + 1] = line end)
    log.error("leak " .. secret)
    log.set_sink(previous)
    assert.matches("ERROR leak %[REDACTED%]$", lines[1])
  end)

  it("says where it looked when HOME is not set", function()
    local got, err = credentials.resolve({}, { getenv = function() return nil end })
    assert.is_nil(got)
    assert.matches("and ~/.ncloud/configure (HOME is not set)", err.message, 1, true)
  end)

  it("masks keys in tostring", function()
    local got = assert(credentials.resolve({ access_key = AK, secret_key = SK }, env_of({}, home, {})))
    local text = tostring(got)
    assert.are.equal("credentials access_key=NCPT****01 secret_key=**** region=KR " ..
      "endpoint=https://livestation.apigw.ntruss.com source=options", text)
    assert.is_nil(text:find(SK, 1, true))
  end)

  it("shows the profile in tostring for the file source", function()
    write_config(home, CONFIG)
    local got = assert(credentials.resolve({ profile = "project" }, env_of({}, home, {})))
    assert.matches("access_key=PROF****04 secret_key=**** .* source=file profile=project$", tostring(got))
  end)

  describe("config file permissions", function()
    local modes = {
      { "600", false }, { "400", false }, { "640", true }, { "604", true }, { "644", true },
    }
    for _, m in ipairs(modes) do
      it("mode " .. m[1] .. (m[2] and " warns" or " is quiet"), function()
        local path = write_config(home, CONFIG, m[1])
        local warnings = {}
        local got = credentials.resolve({}, env_of({}, home, warnings))
        assert.are.equal(AK3, got.access_key)
        if m[2] then
          assert.are.same({ string.format(
            "livestation: %s can be read by group or others (mode %s); run: chmod 600 %s",
            path, m[1], path) }, warnings)
        else
          assert.are.same({}, warnings)
        end
      end)
    end

    it("warns once per file", function()
      write_config(home, CONFIG, "644")
      local warnings = {}
      credentials.resolve({}, env_of({}, home, warnings))
      credentials.resolve({ profile = "project" }, env_of({}, home, warnings))
      assert.are.equal(1, #warnings)
      for _, secret in ipairs(ALL_SECRETS) do
        assert.is_nil(warnings[1]:find(secret, 1, true))
      end
    end)

    it("does not read the file when the environment has keys", function()
      write_config(home, CONFIG, "644")
      local warnings = {}
      local got = credentials.resolve({}, env_of({ NCLOUD_ACCESS_KEY_ID = AK2, NCLOUD_SECRET_KEY = SK2 }, home, warnings))
      assert.are.equal("environment", got.source)
      assert.are.same({}, warnings)
    end)

    it("skips the check when no file_mode is given", function()
      write_config(home, CONFIG, "644")
      local warnings = {}
      local env = env_of({}, home, warnings)
      env.file_mode = nil
      assert.are.equal(AK3, credentials.resolve({}, env).access_key)
      assert.are.same({}, warnings)
    end)
  end)
end)
