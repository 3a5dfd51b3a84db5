-- wrk script for bench/run.sh: POST /api/v1/tracks/{id}/nodes on behalf of many users at
-- once. Each node creation appends an outbox event in its transaction, so this measures
-- event-writing transactions of different users running side by side.
--
-- Environment: BENCH_USERS (required) is a file of "token trackId" lines (seed.py users).
-- Requests go round-robin over the users; thread n starts at user n so the two threads
-- interleave rather than follow each other.

local path = os.getenv("BENCH_USERS")
if path == nil or path == "" then
  io.stderr:write("nodes_post.lua: BENCH_USERS is not set\n")
  os.exit(1)
end

local next_id = 0
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

local users, counter

function init(args)
  users = {}
  for line in io.lines(path) do
    local token, track = line:match("^(%S+) (%S+)$")
    if token then
      users[#users + 1] = { token = token, track = track }
    end
  end
  if #users == 0 then
    io.stderr:write("nodes_post.lua: no users in " .. path .. "\n")
    os.exit(1)
  end
  counter = thread_id
end

function request()
  local user = users[counter % #users + 1]
  counter = counter + 1
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. user.token,
  }
  local body = string.format('{"type":"task","title":"bench node %d"}', counter)
  return wrk.format("POST", "/api/v1/tracks/" .. user.track .. "/nodes", headers, body)
end
