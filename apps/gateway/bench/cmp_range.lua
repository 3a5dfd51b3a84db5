-- wrk script for bench/compare.sh: GET /api/v1/day-types?from=D&to=D+30, a random 31-day
-- window per request over the consecutive dates seeded by `seed.py day-types` (so every
-- answer holds 31 items; matched against the peer's range_r.lua).
--
-- Environment: BENCH_TOKEN (required) is the bearer access token of the user who owns the
-- day types; BENCH_IDS (required) the file of "id date" lines seed.py wrote, by date.

local SPAN = 31
local token = os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_IDS")
if token == nil or token == "" or path == nil or path == "" then
  io.stderr:write("cmp_range.lua: BENCH_TOKEN and BENCH_IDS must be set\n")
  os.exit(1)
end

wrk.headers["Authorization"] = "Bearer " .. token

local dates

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  dates = {}
  for line in io.lines(path) do
    local date = line:match("^%S+ (%d%d%d%d%-%d%d%-%d%d)$")
    if date then
      dates[#dates + 1] = date
    end
  end
  if #dates < SPAN then
    io.stderr:write("cmp_range.lua: fewer than " .. SPAN .. " dates in " .. path .. "\n")
    os.exit(1)
  end
end

function request()
  local k = math.random(1, #dates - SPAN + 1)
  return wrk.format("GET", "/api/v1/day-types?from=" .. dates[k] .. "&to=" .. dates[k + SPAN - 1])
end
