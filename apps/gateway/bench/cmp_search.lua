-- wrk script for bench/compare.sh: GET /api/v1/library/foods?q=<one word>, the next of a
-- few one-word food searches per request (the issue's goal: p99 under 20 ms at 32
-- connections for a one-word query), the default page of 50. The seed loads on every start,
-- so nothing is seeded.
--
-- Environment: BENCH_TOKEN (required) is a bearer access token (any user: the library is
-- global); BENCH_QUERIES (optional) the words, space-separated (default below).

local token = os.getenv("BENCH_TOKEN")
if token == nil or token == "" then
  -- error() would only be reported, and wrk would go on sending unusable requests
  io.stderr:write("cmp_search.lua: BENCH_TOKEN must be set\n")
  os.exit(1)
end

wrk.headers["Authorization"] = "Bearer " .. token

-- Staples, a typo and a broad word (fish: about a hundred candidates), all lower-case ASCII,
-- so that they need no percent-encoding.
local DEFAULT_QUERIES = "rice chicken spinach dal milk egg potato mango chiken fish"

local queries
local next_query

function init(args)
  queries = {}
  for word in (os.getenv("BENCH_QUERIES") or DEFAULT_QUERIES):gmatch("%S+") do
    queries[#queries + 1] = word
  end
  if #queries == 0 then
    io.stderr:write("cmp_search.lua: no queries in BENCH_QUERIES\n")
    os.exit(1)
  end
  -- Each wrk thread starts at its own word, so the threads do not send the same one at once.
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  next_query = math.random(#queries)
end

function request()
  next_query = next_query % #queries + 1
  return wrk.format("GET", "/api/v1/library/foods?q=" .. queries[next_query])
end
