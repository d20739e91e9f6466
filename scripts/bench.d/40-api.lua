-- wrk script for scripts/bench.d/40-api: agent check-ins (API-3) with JSON bodies, spread over
-- the endpoints of one organisation. Environment: ROLLOUT_TOKEN (an agent token),
-- ROLLOUT_PREFIX (endpoint id prefix), ROLLOUT_ENDPOINTS (how many ids after the prefix).
local token = os.getenv("ROLLOUT_TOKEN")
local prefix = os.getenv("ROLLOUT_PREFIX")
local count = tonumber(os.getenv("ROLLOUT_ENDPOINTS"))
local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
local threads = {}
failures = 0

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
    local path = string.format("/v1/endpoints/%s%d/check-in", prefix, math.random(0, count - 1))
    local body = string.format('{"installed_version":"45.%d.0","agent_version":"14.4.0","platform":"windows"}', math.random(8, 12))
    return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
    if status ~= 200 then failures = failures + 1 end
end

-- One machine-readable line: requests, requests/s, p50 ms, p99 ms, non-200 answers, socket errors.
function done(summary, latency, requests)
    local bad = 0
    for _, thread in ipairs(threads) do bad = bad + thread:get("failures") end
    local socket = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    io.write(string.format("RESULT %d %.0f %.2f %.2f %d %d\n", summary.requests, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, bad, socket))
end
