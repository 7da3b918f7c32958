package mailping

// NewServerWithLimit is newServer for the tests: NewServer with a small session limit.
var NewServerWithLimit = newServer
