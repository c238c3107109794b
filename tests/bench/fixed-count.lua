-- wrk script for tests/bench/api.sh: a fixed number of requests (wrk itself runs for a
-- duration: each thread stops at its share and says so with a THREAD_DONE line, and the
-- script interrupts wrk once every thread has, which ends its run), a bearer token, and
-- one line of figures at the end.
-- wrk -s fixed-count.lua URL -- TOKEN REQUESTS_PER_THREAD

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  wrk.headers["Accept"] = "application/json"
  limit = tonumber(args[2])
  answered = 0
end

function response(status, headers, body)
  answered = answered + 1
  if answered == limit then
    io.write("THREAD_DONE\n")
    io.stdout:flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    "FIGURES requests=%d seconds=%.2f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d non2xx=%d timeouts=%d bytes=%d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    errors, e.status, e.timeout, summary.bytes))
end
