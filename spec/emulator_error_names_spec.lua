-- errorName in every Live Station error the emulator answers, exactly
-- where errors.json names one (and nowhere else); the gateway's own
-- answers keep their documented body, which has none.

local H = require "helpers.emulator"
local json = require "livestation.json"
local catalogue = require "livestation.catalogue"
local reply = require "livestation.emulator.reply"

describe("errorName", function()
  it("is in the envelope of every code errors.json names, and only those", function()
    local named = 0
    for code, e in pairs(catalogue.errors) do
      local _, _, body = reply.error(code)
      local err = json.decode(body).error
      assert.equal(code, err.errorCode)
      assert.equal(e.name, err.errorName, "code " .. code)
      if e.name then named = named + 1 end
    end
    assert.is_true(named >= 20)
  end)

  describe("end to end", function()
    local emu, url, ls
    setup(function()
      emu, url = H.start()
      ls = H.client(url)
    end)
    teardown(function() emu:stop() end)

    it("names the region, type and availability errors", function()
      local status, body = H.request(url, "GET", "/api/v2/channels", nil, { region = "korea!" })
      H.assert_ls_error(status, body, 250020, "korea!")
      assert.equal("OPEN_API_INVALID_REGION_CODE", body.error.errorName)
      status, body = H.request(url, "GET", "/api/v2/channels?pageNo=abc")
      assert.equal(250021, body.error.errorCode)
      assert.equal("OPEN_API_PARAM_TYPE_ERROR", body.error.errorName)
      local id = H.ready_channel(emu, ls)
      assert(emu:publish(id))
      status, body = H.request(url, "PUT", "/api/v2/channels/" .. id .. "/switch-stream")
      H.assert_ls_error(status, body, 250005, "Backup stream")
      assert.equal("NOT_AVAILABLE", body.error.errorName)
    end)

    it("leaves it out of the gateway's bodies", function()
      local _, body = H.request(url, "GET", "/api/v2/nowhere")
      assert.same({ errorCode = "300", message = "Not Found Exception", details = "URL not found." }, body.error)
    end)
  end)
end)
