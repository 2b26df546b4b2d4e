module github.com/cijwt/ci-jwt/runtime

go 1.19
