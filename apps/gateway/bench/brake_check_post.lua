-- wrk script for bench/run.sh: POST /api/v1/brake/check with the body {} (the check uses
-- the newest stored HRV sample of the last hour, the 7-day baseline and the active
-- high-stakes event seeded by bench/seed.py).
--
-- Environment: BENCH_TOKEN (required) is the bearer access token. The server must run with
-- a large LIFEOS_BRAKE_CHECKS_PER_MINUTE, or most answers are 429 from the per-user limit.

local token = os.getenv("BENCH_TOKEN")
if token == nil or token == "" then
  -- error() would only be reported, and wrk would go on sending unauthenticated requests
  io.stderr:write("brake_check_post.lua: BENCH_TOKEN is not set\n")
  os.exit(1)
end

wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
