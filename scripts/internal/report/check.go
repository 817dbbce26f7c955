package report

// CheckSide is one program's measurement, as make check-N saw it.
type CheckSide struct {
	Dir      string  `json:"dir"`         // the folder measured
	RPS      float64 `json:"rps"`         // answers per second
	P50      float64 `json:"p50"`         // median latency, seconds
	P99      float64 `json:"p99"`         // 99th percentile latency, seconds
	Checked  int     `json:"checked"`     // answers read
	Wrong    int     `json:"wrong"`       // wrong or missing answers
	Share    float64 `json:"share"`       // bottleneck's share of the handler's wall-clock samples
	CPUShare float64 `json:"cpu_share"`   // bottleneck's share of the handler's CPU samples
	WaitWall float64 `json:"wait_wall"`   // the answer key's wait, below the bottleneck: share of the handler's wall-clock samples
	WaitCPU  float64 `json:"wait_cpu"`    // the same, of the handler's CPU samples
	Samples  int64   `json:"samples"`     // handler samples in the wall-clock capture
	CPUSamps int64   `json:"cpu_samples"` // handler samples in the CPU capture, one per 10 ms on CPU
	Captures string  `json:"captures"`    // folder of cpu.pprof, fgprof.pprof, server.log
	Example  string  `json:"example,omitempty"`
	// Pages are the main load's answers with status 200, and Extras how
	// many of them carried each extra (its key under "extras"), by key
	// (extras).
	Pages  int            `json:"pages,omitempty"`
	Extras map[string]int `json:"extras,omitempty"`
	// Judged by the answer key's judges, when it names them:
	Syncs    int64   `json:"syncs"`     // fsync and fdatasync calls below main in the load's trace (fsync)
	Answered int     `json:"answered"`  // requests the load got an answer to (lines)
	Lines    int     `json:"lines"`     // lines in the program's file after its graceful shutdown (lines)
	CycleP50 float64 `json:"cycle_p50"` // median latency under a load over users in turn, seconds (bounded)
	// Age is the oldest extra a page showed, by its as_of, counted from
	// when the page was asked for, seconds (fresh, current); AgeMeasured
	// says it was measured.
	Age         float64 `json:"age"`
	AgeMeasured bool    `json:"age_measured,omitempty"`
	// KeptBytes is how much the live heap grew over a load of users in
	// turn, from a forced GC before it to one after it, and KeptUsers how
	// many users the load asked for (kept).
	KeptBytes float64 `json:"kept_bytes,omitempty"`
	KeptUsers int     `json:"kept_users,omitempty"`
	// BrokenPages are the pages asked for one at a time while the
	// program's file was broken, and BrokenErrors those that answered an
	// error (broken).
	BrokenPages  int `json:"broken_pages,omitempty"`
	BrokenErrors int `json:"broken_errors,omitempty"`
	// ReadPages are the pages asked for one at a time, each user twice in
	// a row, and UnreadPages those after which the program's count of
	// queries had not grown (reads).
	ReadPages   int `json:"read_pages,omitempty"`
	UnreadPages int `json:"unread_pages,omitempty"`
	// Defaults are the defaults of the flags that the judges set for
	// their runs (fresh, bounded), as the program's -h prints them, by
	// flag: a program is judged as it runs when nobody sets them.
	Defaults map[string]string `json:"defaults,omitempty"`
	// Measured for a p99open exercise, by an open-loop load of its own:
	OpenRate float64 `json:"open_rate,omitempty"` // requests a second, arriving whatever the answers
	OpenP99  float64 `json:"open_p99,omitempty"`  // p99 latency from each request's due time, seconds
	OpenSent int     `json:"open_sent,omitempty"` // requests sent, of OpenRate × the load's length
	OpenDue  int     `json:"open_due,omitempty"`
	// From the program's own numbers (/debug/vars) before and after the
	// load, for the judges of a bottleneck's class:
	ConnsPer1000     float64 `json:"conns_per_1000,omitempty"`    // connections the downstream accepted per 1,000 requests (reuse)
	QueriesPerPage   float64 `json:"queries_per_page,omitempty"`  // queries to the shop's database per page shown (queries)
	PoolWaitMS       float64 `json:"pool_wait_ms,omitempty"`      // time waited for a pooled connection of the shop's database, per page, ms (queries)
	MaxOpen          float64 `json:"max_open,omitempty"`          // the shop's database pool's limit of open connections (quota)
	AllocBytes       float64 `json:"alloc_bytes,omitempty"`       // heap bytes allocated per request (allocs)
	AllocObjects     float64 `json:"alloc_objects,omitempty"`     // heap objects allocated per request (allocs)
	GCShare          float64 `json:"gc_share,omitempty"`          // the GC's part of the CPU the program used (allocs)
	GoroutinesBefore float64 `json:"goroutines_before,omitempty"` // goroutines before the load (leaks)
	GoroutinesAfter  float64 `json:"goroutines_after,omitempty"`  // goroutines a second after it (leaks)
	Leaked           int64   `json:"leaked,omitempty"`            // goroutines the leak profile found blocked forever (leaks)
}

// CheckResult is the verdict of make check-N (scripts/check), which
// its -json flag writes for the kit's tests.
type CheckResult struct {
	Exercise string    `json:"exercise"`
	Pass     bool      `json:"pass"`
	Tests    bool      `json:"tests"` // the folder's tests passed (or it has none)
	Yours    CheckSide `json:"yours"`
	Solution CheckSide `json:"solution"`
	Ratio    float64   `json:"ratio"` // rps or p50 of yours over the solution's
	Reasons  []string  `json:"reasons,omitempty"`
	// Failed names the judges (scripts/internal/judges) that failed yours.
	Failed []string `json:"failed,omitempty"`
}

// Judged is the share the check judges a fix by: the wait below the
// bottleneck's frames when the answer key names a wait (what a fix
// removes is the waiting, not the call: a durable audit log still calls
// Record), else the bottleneck's own share.
func (s CheckSide) Judged(hasWait bool) float64 {
	if hasWait {
		return s.WaitWall
	}
	return s.Share
}

// Right reports whether answers were read and none was wrong or missing.
func (s CheckSide) Right() bool { return s.Checked > 0 && s.Wrong == 0 }
