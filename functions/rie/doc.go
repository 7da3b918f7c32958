// Package rie runs the five Lambda functions as Lambda runs them: each function's bootstrap,
// built for this machine as `make build` builds it for Lambda (-tags lambda.norpc, CGO off,
// static), is started by the AWS Lambda Runtime Interface Emulator, which serves the Lambda
// Runtime API to it and takes invocations on its local endpoint, against DynamoDB, SES and SNS
// on moto_server. Where the other tests call the handlers in-process, these exercise what only
// a real bootstrap does: reading the environment, loading the AWS configuration and the secret,
// the data-model guard at cold start, lambda.Start and the event and response encodings.
//
// The package holds only tests. `make test` builds the emulator from the Go module proxy at a
// pinned version (`make rie`, into .cache/bin) and starts moto; the tests fail, saying so, when
// either is missing.
package rie
