package server

import (
	"reflect"
	"regexp"
	"runtime"
	"strings"
)

// HandlerFrames matches the frames that mark a goroutine as handling a
// request of the users service: the app's outermost handler, the users
// handler and the closures it runs as steps, the runner of the timed
// steps, and the store's lookup. A wall-clock profile
// (fgprof) samples every goroutine, idle keep-alive connections and the
// runtime's own included, so the kit counts shares over the samples whose
// stack holds one of these. More than one frame is needed because
// runtime.GoroutineProfile keeps at most 32 frames from the top of a
// stack: a deep call below a step loses its outermost frames,
// (*App).ServeHTTP among them.
//
// The names are taken from the functions themselves, so a rename cannot
// leave the expression matching nothing; TestHandlerFramesMatchACapture
// holds it to a real capture.
var HandlerFrames = framesOf((*App).ServeHTTP, (*usersHandler).ServeHTTP, (*usersHandler).runStep, (*Store).User)

// framesOf returns an expression that matches the frames of fns, as
// profiles name them, and of the closures inside them (name.func1, ...).
func framesOf(fns ...any) *regexp.Regexp {
	names := make([]string, len(fns))
	for i, fn := range fns {
		names[i] = regexp.QuoteMeta(runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name())
	}
	return regexp.MustCompile(`^(` + strings.Join(names, "|") + `)(\.func\d+)*$`)
}
