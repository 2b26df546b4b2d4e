module github.com/cijwt/ci-jwt/bench/agent

go 1.19
