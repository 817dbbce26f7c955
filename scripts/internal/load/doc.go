// Package load generates the kit's loads on a users service and reads
// their reports: the standard request mix (Mix), a closed-loop load that
// checks every answer's body (CheckBodies), an open-loop load at a
// constant arrival rate with latencies counted from each request's due
// time (OpenLoop), and the reports of go tool hey (ParseHey) and wrk
// (RunWrk). Loads go to loopback addresses only, bounded in count or
// time.
package load
