-- wrk script: permission checks of random members of one organization.
-- ORG (its id), USERS (members user-0000000 .. USERS-1), PERMISSION and TOKEN from the
-- environment.
local token = os.getenv("TOKEN")
local org = os.getenv("ORG")
local users = tonumber(os.getenv("USERS"))
local permission = os.getenv("PERMISSION")
local headers = {["Authorization"] = "Bearer " .. token}

function request()
  local user = string.format("user-%07d", math.random(0, users - 1))
  local path = "/api/v1/organizations/" .. org .. "/members/" .. user .. "/permissions/" .. permission
  return wrk.format("GET", path, headers)
end
