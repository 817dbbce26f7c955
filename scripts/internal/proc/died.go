package proc

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Died turns a failed step into the loop's report: when the program has
// exited, its last log lines, printed to w, and ErrServerDied; otherwise
// err as it is.
func (p *Program) Died(w io.Writer, err error) error {
	select {
	case <-p.done:
	case <-time.After(200 * time.Millisecond): // a program that just died may need a moment to be reaped
		if err != nil {
			return err
		}
		return errors.New("the program stopped answering")
	}
	fmt.Fprintf(w, "the server exited unexpectedly (%v); its last log lines (%s):\n%s\n", p.err, p.Log, Tail(p.Log))
	return ErrServerDied
}

// ErrServerDied says that the program exited while the loop measured it.
var ErrServerDied = errors.New("server died")
