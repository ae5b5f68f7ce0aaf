-- wrk script for benchmarks/harness.py. Environment:
--   MODE        create | get | lookup | rename
--   TOKEN       the admin bearer token
--   IDS_FILE    organization ids, one per line (get, rename: each request picks one at random)
--   SLUG_COUNT  lookups pick a slug org-00000000 .. org-<SLUG_COUNT - 1> at random
local mode = os.getenv("MODE")
local token = os.getenv("TOKEN")
local ids_file = os.getenv("IDS_FILE")
local slug_count = tonumber(os.getenv("SLUG_COUNT") or "0")
local prefix = "/api/v1/organizations"
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
local threads = {}
local ids = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid)
  run = tostring(os.time())
  if ids_file and ids_file ~= "" then
    for line in io.lines(ids_file) do
      ids[#ids + 1] = line
    end
  end
end

function request()
  counter = counter + 1
  if mode == "create" then
    local body = string.format('{"name":"Bench %d","slug":"b%s-%d-%d"}', counter, run, tid, counter)
    return wrk.format("POST", prefix, headers, body)
  elseif mode == "get" then
    return wrk.format("GET", prefix .. "/" .. ids[math.random(#ids)], headers)
  elseif mode == "lookup" then
    local slug = string.format("org-%08d", math.random(slug_count) - 1)
    return wrk.format("GET", prefix .. "/lookup?slug=" .. slug, headers)
  elseif mode == "rename" then
    local body = string.format('{"name":"Renamed %d-%d"}', tid, counter)
    return wrk.format("PATCH", prefix .. "/" .. ids[math.random(#ids)], headers, body)
  end
end
