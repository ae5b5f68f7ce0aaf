-- wrk script: GET one path with one key (PATH_TO_GET and TOKEN from the environment),
-- counting answers by status and the 429s that carry Retry-After.
local token = os.getenv("TOKEN")
local path = os.getenv("PATH_TO_GET")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, limited, retry_after, other = 0, 0, 0, 0
end

function request()
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 429 then
    limited = limited + 1
    if headers["retry-after"] or headers["Retry-After"] then
      retry_after = retry_after + 1
    end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local totals = {ok = 0, limited = 0, retry_after = 0, other = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
  end
  io.write(string.format("FLOOD ok=%d limited=%d retry_after=%d other=%d\n",
    totals.ok, totals.limited, totals.retry_after, totals.other))
end
