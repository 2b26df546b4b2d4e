-- wrk script for bench/run: POSTs one introspection form per request, cycling through a pool of
-- distinct valid tokens, so the server's verified-signature cache cannot answer them. The pool is
-- the file $CI_JWT_BENCH_POOL (one token per line, 0600, in the benchmark's private temporary
-- directory); requests are formatted once, at start-up, so wrk spends its time sending them.
local pool = os.getenv("CI_JWT_BENCH_POOL")
if pool == nil or pool == "" then
  error("set CI_JWT_BENCH_POOL to a file of tokens, one per line")
end

local threads = 0
function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

local requests = {}
local next_index = 1

function init(args)
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  local file = assert(io.open(pool, "r"))
  for token in file:lines() do
    requests[#requests + 1] = wrk.format("POST", "/api/v1/tokens/introspect", headers, "token=" .. token)
  end
  file:close()
  if #requests == 0 then
    error(pool .. " holds no tokens")
  end
  -- Each thread starts at its own place in the pool, so two threads do not send one token at once.
  next_index = ((thread_index or 0) * math.floor(#requests / 2)) % #requests + 1
end

function request()
  local r = requests[next_index]
  next_index = next_index % #requests + 1
  return r
end

function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", summary.errors.status))
end
