-- wrk script: GET random paths from a list, one per line (bench/tlog_bench.sh).
-- Usage: wrk ... -s bench/tlog_read.lua URL -- <paths file>
function init(args)
  paths = {}
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(os.time() + (tid or 0))
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
