package main

import "time"

// canaryEvery is how often `overdue serve` pings its canary (sweep.EnsureCanary): the
// resolution of the ingestion health it judges (an outage is a gap of three of these).
const canaryEvery = 10 * time.Second
