-- wrk script: POST unique organizations. Token from the TOKEN environment variable.
local threads = {}
local counter = 0
local token = os.getenv("TOKEN")

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  run = tostring(os.time())
end

function request()
  counter = counter + 1
  local body = string.format('{"name":"Bench %d","slug":"b%s-%s-%d"}', counter, run, tid, counter)
  return wrk.format("POST", "/api/v1/organizations",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

function response(status, headers, body)
  if status ~= 201 then
    io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n")
  end
end
