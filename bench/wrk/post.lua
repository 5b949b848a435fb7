-- wrk script: one new meeting per request, with a chat id no other request of the run uses.
-- BENCH_TARGET=service posts {chatId, guests: 1} to the node service's /v1/meetings;
-- BENCH_TARGET=broker posts the same meeting straight to the broker's /api/v2/joseencrypt.
-- Either way the answer is one host and one guest link. BENCH_BEARER is the API key or broker
-- token; BENCH_RUN keeps chat ids apart across runs on one database.
local target = os.getenv("BENCH_TARGET")
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
  if target == "broker" then
    -- What the service asks the broker for such a meeting: short URLs, the `hc` vertical,
    -- and the service's default validity of 15 minutes.
    return wrk.format(nil, "/api/v2/joseencrypt", nil,
      '{"aud":"a4d886b0-979f-4e2c-a958-3e8c14605e51","jwt":{"sub":"' .. chat ..
      '","exp":' .. (os.time() + 900) .. '},"numGuest":1,"provideShortUrls":true,"verticalType":"hc"}')
  end
  return wrk.format(nil, "/v1/meetings", nil, '{"chatId":"' .. chat .. '","guests":1}')
end
