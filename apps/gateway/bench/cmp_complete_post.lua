-- wrk script for bench/compare.sh: POST /api/v1/nodes/{id}/complete on behalf of many users
-- at once, round-robin over them. A task completes once (again is 409), so every request
-- takes the next unused task of its user: the users are split between the threads (user i
-- belongs to thread i % BENCH_THREADS) and each thread walks its users' lists, so no two
-- requests ever name the same task.
--
-- Environment: BENCH_TASKS (required) is a file of "token taskId taskId ..." lines (seed.py
-- tasks); BENCH_THREADS (required) wrk's -t. A user whose tasks run out gets its last task
-- again (409, counted as non-2xx) and a line on stderr: seed more tasks.

local path = os.getenv("BENCH_TASKS")
local threads = tonumber(os.getenv("BENCH_THREADS") or "")
if path == nil or path == "" or threads == nil then
  io.stderr:write("cmp_complete_post.lua: BENCH_TASKS and BENCH_THREADS must be set\n")
  os.exit(1)
end

local next_id = 0
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

local users, counter, warned

function init(args)
  users = {}
  local index = 0
  for line in io.lines(path) do
    local token, rest = line:match("^(%S+) (.+)$")
    if token then
      if index % threads == thread_id then
        local tasks = {}
        for id in rest:gmatch("%S+") do
          tasks[#tasks + 1] = id
        end
        users[#users + 1] = {
          headers = {
            ["Content-Type"] = "application/json",
            ["Authorization"] = "Bearer " .. token,
          },
          tasks = tasks,
          next = 1,
        }
      end
      index = index + 1
    end
  end
  if #users == 0 then
    io.stderr:write("cmp_complete_post.lua: no users for thread " .. thread_id .. " in " .. path .. "\n")
    os.exit(1)
  end
  counter = 0
end

function request()
  local user = users[counter % #users + 1]
  counter = counter + 1
  local task = user.tasks[user.next]
  if task then
    user.next = user.next + 1
  else
    task = user.tasks[#user.tasks]
    if not warned then
      warned = true
      io.stderr:write("cmp_complete_post.lua: a user's tasks ran out; the rest are 409s\n")
    end
  end
  return wrk.format("POST", "/api/v1/nodes/" .. task .. "/complete", user.headers, "{}")
end
