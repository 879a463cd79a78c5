-- wrk script: durable PUTs, each to a new endpoint key put-<thread>-<counter>.
-- Argument (after `--`): appVersionName. Counts non-2xx answers per thread,
-- since wrk's own status error count ignores 3xx.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("bench_common")

-- About 100 bytes of JSON, like the seeded configs. No '%' in it: it goes
-- through string.format below.
local body = '{"mode":"eco","sampleRate":250,"thresholds":{"low":10,"high":90},'
  .. '"tags":["bench","put"],"enabled":true}'

local request_template
local counter = 0
non2xx = 0

function setup(thread)
  common.number_thread(thread)
end

function init(args)
  request_template = wrk.format("PUT",
    "/api/v1/endpoints/put-" .. id .. "-%d/app-versions/" .. args[1],
    { ["Content-Type"] = "application/json" }, body)
end

function request()
  counter = counter + 1
  return request_template:format(counter)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  common.print_result(summary, latency, { non2xx = common.sum_over_threads("non2xx") })
end
