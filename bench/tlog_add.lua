-- wrk script: POST /add with a unique 256-byte entry per request (bench/tlog_bench.sh).
-- Usage: wrk ... -s bench/tlog_add.lua URL -- <run id>
-- The entry is "wrk <run> <thread> <counter> " padded with 'x' to 256 bytes. wrk shares the
-- machine's cores with the server, so a request costs it as little Lua as possible: the
-- header is formatted once and each request is three concatenated strings.
local threads = {}
local size = 256

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or tostring(os.time())
  counter = 0
  prefix = "wrk " .. run .. " " .. tid .. " "
  local sample = wrk.format("POST", "/add", {["Content-Type"] = "application/octet-stream"},
                            string.rep("x", size))
  header = string.sub(sample, 1, #sample - size)  -- up to and with the blank line
  padding = {}  -- padding[n]: n 'x's
end

function request()
  counter = counter + 1
  local head = prefix .. counter .. " "
  local n = size - #head
  local pad = padding[n]
  if not pad then
    pad = string.rep("x", n)
    padding[n] = pad
  end
  return header .. head .. pad
end
