-- Helpers shared by the wrk scripts of rest_bench.py: thread numbering and a
-- machine-readable result line, so the driver never scrapes wrk's human output.
local M = {}

local threads = {}

-- For setup(): gives every thread a distinct `id` (1..n) in its own Lua state
-- and remembers the thread so done() can collect per-thread counters.
function M.number_thread(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

-- Sums a numeric global over all threads (0 where a thread never set it).
function M.sum_over_threads(name)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + (thread:get(name) or 0)
  end
  return total
end

-- Prints one line `BENCH_RESULT {json}`; latencies are microseconds.
-- `extra` maps further field names to numbers.
function M.print_result(summary, latency, extra)
  local fields = {
    requests = summary.requests,
    duration_us = summary.duration,
    bytes = summary.bytes,
    err_connect = summary.errors.connect,
    err_read = summary.errors.read,
    err_write = summary.errors.write,
    err_status = summary.errors.status,
    err_timeout = summary.errors.timeout,
    p50_us = latency:percentile(50.0),
    p90_us = latency:percentile(90.0),
    p99_us = latency:percentile(99.0),
    max_us = latency.max,
  }
  for k, v in pairs(extra or {}) do fields[k] = v end
  local parts = {}
  for k, v in pairs(fields) do
    table.insert(parts, string.format("%q:%.17g", k, v))
  end
  io.write("BENCH_RESULT {", table.concat(parts, ","), "}\n")
end

return M
