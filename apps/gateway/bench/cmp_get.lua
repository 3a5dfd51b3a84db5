-- wrk script for bench/compare.sh: GET /api/v1/day-types/{id}, a random id per request among
-- the day types seeded by `seed.py day-types` (the point read matched against the peer's
-- get_r.lua).
--
-- Environment: BENCH_TOKEN (required) is the bearer access token of the user who owns the
-- day types; BENCH_IDS (required) the file of "id date" lines seed.py wrote.

local token = os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_IDS")
if token == nil or token == "" or path == nil or path == "" then
  -- error() would only be reported, and wrk would go on sending unusable requests
  io.stderr:write("cmp_get.lua: BENCH_TOKEN and BENCH_IDS must be set\n")
  os.exit(1)
end

wrk.headers["Authorization"] = "Bearer " .. token

local ids

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  ids = {}
  for line in io.lines(path) do
    local id = line:match("^(%S+) ")
    if id then
      ids[#ids + 1] = id
    end
  end
  if #ids == 0 then
    io.stderr:write("cmp_get.lua: no ids in " .. path .. "\n")
    os.exit(1)
  end
end

function request()
  return wrk.format("GET", "/api/v1/day-types/" .. ids[math.random(#ids)])
end
