-- wrk script: GET one path with the admin token (PATH_TO_GET and TOKEN from the environment).
local token = os.getenv("TOKEN")
local path = os.getenv("PATH_TO_GET")

function request()
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
