-- wrk script: POST /add with a unique 256-byte entry per request (bench/tlog_bench.sh).
-- Usage: wrk ... -s bench/tlog_add.lua URL -- <run id>
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or tostring(os.time())
  counter = 0
end

function request()
  counter = counter + 1
  local head = string.format("wrk %s %d %d ", run, tid, counter)
  local body = head .. string.rep("x", 256 - #head)
  return wrk.format("POST", "/add", {["Content-Type"] = "application/octet-stream"}, body)
end
