-- wrk script for bench/run.sh: POST /api/v1/day-types with a unique date per request, so
-- that the one-entry-per-date rule never answers 409.
--
-- Environment: BENCH_TOKEN (required) is the bearer access token; BENCH_FIRST_YEAR and
-- BENCH_LAST_YEAR (default 1900 and 2019) the years used; BENCH_THREADS (default 2)
-- must equal wrk's -t. The API accepts the years 1900 to 2200 only (422 date_out_of_range),
-- and the seeded data lives in 2025-2026: run.sh gives this step 1900-2019 and the writer of
-- step 7 (same user) 2100-2200. Thread n (0-based) owns the years
-- FIRST_YEAR + n*span .. FIRST_YEAR + (n+1)*span - 1, span = (LAST_YEAR - FIRST_YEAR + 1) / threads,
-- and walks them day by day over days 01..28 of months 01..12 (always valid dates):
-- 336 dates a year, 40,320 over 1900-2019 (about 20k per thread with two threads; at
-- about 1.1k writes/s for one user that outlasts a 15 s run). A thread that runs out of
-- dates starts over, and its repeats show up as non-2xx responses (409).

local FIRST_YEAR = tonumber(os.getenv("BENCH_FIRST_YEAR") or "1900")
local LAST_YEAR = tonumber(os.getenv("BENCH_LAST_YEAR") or "2019")
if FIRST_YEAR < 1900 or LAST_YEAR > 2200 or FIRST_YEAR > LAST_YEAR then
  io.stderr:write("day_types_post.lua: years must lie within 1900..2200\n")
  os.exit(1)
end

local token = os.getenv("BENCH_TOKEN")
if token == nil or token == "" then
  -- error() would only be reported, and wrk would go on sending unauthenticated requests
  io.stderr:write("day_types_post.lua: BENCH_TOKEN is not set\n")
  os.exit(1)
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

-- setup() runs in the main Lua state once per thread, before the threads start.
local next_id = 0
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

local first_year, years, counter

function init(args)
  local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
  local span = math.floor((LAST_YEAR - FIRST_YEAR + 1) / threads)
  first_year = FIRST_YEAR + thread_id * span
  years = span
  counter = 0
end

function request()
  local n = counter
  counter = counter + 1
  local day = n % 28 + 1
  local month = math.floor(n / 28) % 12 + 1
  local year = first_year + math.floor(n / 336) % years
  local body = string.format('{"date":"%04d-%02d-%02d","plannedType":"focus"}', year, month, day)
  return wrk.format(nil, "/api/v1/day-types", nil, body)
end
