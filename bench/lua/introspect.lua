-- wrk script: POST one introspection form per request. The token comes from $CI_JWT_BENCH_TOKEN,
-- so it is never written to disk or printed.
local token = os.getenv("CI_JWT_BENCH_TOKEN")
if token == nil or token == "" then
  error("set CI_JWT_BENCH_TOKEN to a token minted for the server's issuer")
end

wrk.method = "POST"
wrk.path = "/api/v1/tokens/introspect"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "token=" .. token

function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", summary.errors.status))
end
