-- wrk script for bench/compare.sh: POST /api/v1/vehicle-maintenance on behalf of many users
-- at once, round-robin over them; every request logs a new record on the user's vehicle (the
-- durable create matched against the peer's post_r.lua).
--
-- Environment: BENCH_USERS (required) is a file of "token vehicleId" lines (seed.py
-- vehicles). Thread n starts at user n, so the two threads interleave rather than follow
-- each other.

local path = os.getenv("BENCH_USERS")
if path == nil or path == "" then
  io.stderr:write("cmp_maintenance_post.lua: BENCH_USERS is not set\n")
  os.exit(1)
end

local SERVICES = { "oil_change", "tire_rotation", "inspection", "brake_service", "air_filter" }

local next_id = 0
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

local users, counter

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  users = {}
  for line in io.lines(path) do
    local token, vehicle = line:match("^(%S+) (%S+)$")
    if token then
      users[#users + 1] = {
        headers = {
          ["Content-Type"] = "application/json",
          ["Authorization"] = "Bearer " .. token,
        },
        vehicle = vehicle,
      }
    end
  end
  if #users == 0 then
    io.stderr:write("cmp_maintenance_post.lua: no users in " .. path .. "\n")
    os.exit(1)
  end
  counter = thread_id
end

function request()
  local user = users[counter % #users + 1]
  counter = counter + 1
  local body = string.format(
    '{"vehicleId":"%s","date":"2025-%02d-%02d","serviceType":"%s","mileage":%d,"odometerUnit":"km"}',
    user.vehicle, math.random(1, 12), math.random(1, 28), SERVICES[counter % #SERVICES + 1], counter % 5000000)
  return wrk.format("POST", "/api/v1/vehicle-maintenance", user.headers, body)
end
