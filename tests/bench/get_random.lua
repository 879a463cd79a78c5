-- wrk script: GET a uniformly random one of the N seeded endpoint configs.
-- Arguments (after `--`): N, appVersionName. Keys are ep-%08d, as seeded by
-- rest_bench.py; the same script drives the nginx reference, which answers any
-- path with its one static file, so both sides pay the same client cost.
package.path = debug.getinfo(1, "S").source:match("^@(.*/)") .. "?.lua;" .. package.path
local common = require("bench_common")

local request_template
local config_count

function setup(thread)
  common.number_thread(thread)
end

function init(args)
  config_count = tonumber(args[1])
  -- The key is the only thing that varies: format it into a prebuilt request
  -- instead of calling wrk.format (header merging) for every request.
  request_template = wrk.format("GET", "/api/v1/endpoints/ep-%08d/app-versions/" .. args[2])
  math.randomseed(os.time() * 1000 + id)
end

function request()
  return request_template:format(math.random(0, config_count - 1))
end

function done(summary, latency, requests)
  common.print_result(summary, latency)
end
