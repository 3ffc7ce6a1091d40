-- The one edit distance behind every "did you mean".
local spelling = require "livestation.spelling"

describe("spelling", function()
  it("counts insertions, deletions and substitutions", function()
    assert.are.equal(0, spelling.distance("", ""))
    assert.are.equal(3, spelling.distance("", "abc"))
    assert.are.equal(3, spelling.distance("abc", ""))
    assert.are.equal(1, spelling.distance("channel.get", "channel.gt"))
    assert.are.equal(1, spelling.distance("channel.get", "channel.set"))
    assert.are.equal(1, spelling.distance("ab", "ba"))
    assert.are.equal(1, spelling.distance("grcae", "grace"))
    assert.are.equal(3, spelling.distance("abc", "ca")) -- no edit of a swapped pair
    assert.are.equal(3, spelling.distance("kitten", "sitting"))
  end)

  it("picks the closest candidate within reach, ignoring case", function()
    local ids = { "channel.get", "channel.list", "vod.get" }
    assert.are.equal("channel.get", spelling.closest("Channel.Gte", ids, 2))
    assert.are.equal("vod.get", spelling.closest("vod.gt", ids, 2))
    assert.is_nil(spelling.closest("record.start", ids, 2))
  end)

  it("takes the reach from each candidate when given a function", function()
    local near = function(k) return math.max(1, #k // 3) end
    assert.are.equal("start", spelling.closest("strt", { "name", "start" }, near))
    assert.are.equal("start", spelling.closest("strat", { "name", "start" }, near))
    assert.is_nil(spelling.closest("sttra", { "name", "start" }, near))
  end)

  it("gives ties to the earlier candidate", function()
    assert.are.equal("abd", spelling.closest("abc", { "abd", "abe" }, 1))
  end)
end)
