-- wrk script: each request a GET of a path picked at random from a file, one path a line
-- (BENCH_PATHS, written by bench/suite.py), with a browser's User-Agent. Redirects are not
-- followed (wrk never does); at the end it prints how many answers were 302 and how many were
-- not, which bench/suite.py reads ("Statuses: 302 N, other M").
local file = os.getenv("BENCH_PATHS")

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local paths = {}
found, other = 0, 0

function init(args)
  for line in io.lines(file) do
    if line ~= "" then
      table.insert(paths, line)
    end
  end
  math.randomseed(os.time() * 1000 + id)
end

wrk.method = "GET"
wrk.headers["User-Agent"] =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"

function request()
  return wrk.format(nil, paths[math.random(#paths)])
end

function response(status, headers, body)
  if status == 302 then
    found = found + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local f, o = 0, 0
  for _, thread in ipairs(threads) do
    f = f + thread:get("found")
    o = o + thread:get("other")
  end
  io.write(string.format("Statuses: 302 %d, other %d\n", f, o))
end
