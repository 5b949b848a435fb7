-- wrk script: one new meeting per request, with a chat id no other request of the run uses.
-- bench/suite.py gives the request (`REQUESTS` there, the one place it is written): BENCH_PATH,
-- and BENCH_BODY with %CHAT% and %EXP% (now + 15 minutes) filled in per request. BENCH_BEARER
-- is the API key or broker token; BENCH_RUN keeps chat ids apart across runs on one database.
local path = os.getenv("BENCH_PATH")
local body = os.getenv("BENCH_BODY")
local bearer = os.getenv("BENCH_BEARER")
local run = os.getenv("BENCH_RUN")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread", threads)
end

local count = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. bearer

function request()
  count = count + 1
  local chat = "bench-" .. run .. "-" .. thread .. "-" .. count
  local filled = body:gsub("%%CHAT%%", chat):gsub("%%EXP%%", tostring(os.time() + 900))
  return wrk.format(nil, path, nil, filled)
end
