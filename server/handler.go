package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"time"
)

// Route is the pattern of the users endpoint. It names the trace task of
// every request and is the value of its "route" pprof label.
const Route = "GET /users/{id}"

// A Step is one timed stage of GET /users/{id} that an exercise or a
// solution plugs in. Steps run in order after the database lookup and
// before rendering, each under its own pprof label (step=Name), trace
// region (Name) and Server-Timing metric (Name).
type Step struct {
	// Name is an HTTP token (letters, digits, '-', '_', '.'), other than
	// parse, db, render and total.
	Name string
	// Run does the step's work for one request. It may read and add to
	// the page. An error answers the request with 500 and is logged, or
	// with the status of an *HTTPError.
	Run func(ctx context.Context, page *Page) error
}

// Page is what GET /users/{id} renders: the user's fields at the top
// level, and whatever the steps add under "extras".
type Page struct {
	User
	Extras map[string]any `json:"extras,omitempty"`
}

// Set adds an entry under "extras" in the rendered page.
func (p *Page) Set(key string, value any) {
	if p.Extras == nil {
		p.Extras = make(map[string]any)
	}
	p.Extras[key] = value
}

// HTTPError is an error that a Step returns to answer with a status other
// than 500, such as 502 or 503 for a failing dependency.
type HTTPError struct {
	Status  int    // HTTP status code, 400 to 599; another value answers 500
	Message string // what the client reads in {"error": ...}
	Err     error  // the cause, logged and never sent to the client
}

// Error returns the message and the cause, as the log shows them.
func (e *HTTPError) Error() string {
	if e.Err == nil {
		return e.Message
	}
	return e.Message + ": " + e.Err.Error()
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *HTTPError) Unwrap() error { return e.Err }

// usersHandler serves GET /users/{id} in timed steps: parse, db, the
// plugged-in steps, render.
type usersHandler struct {
	store *Store
	steps []Step
	log   *slog.Logger
	// sets holds the pprof labels route=Route and step=name of each step,
	// and labelled a context that carries them alone, made once: giving a
	// goroutine ready-made labels costs nothing, building them per request
	// does.
	sets     map[string]pprof.LabelSet
	labelled map[string]context.Context
}

func newUsersHandler(store *Store, steps []Step, log *slog.Logger) *usersHandler {
	h := &usersHandler{store: store, steps: steps, log: log,
		sets: map[string]pprof.LabelSet{}, labelled: map[string]context.Context{}}
	names := []string{"parse", "db", "render"}
	for _, s := range steps {
		names = append(names, s.Name)
	}
	for _, name := range names {
		h.sets[name] = pprof.Labels("route", Route, "step", name)
		h.labelled[name] = pprof.WithLabels(context.Background(), h.sets[name])
	}
	return h
}

// ServeHTTP answers GET or HEAD /users/{id}: parse, db, the plugged-in
// steps and render, each timed, with the timing headers set before the
// body; any other method gets a 405.
func (h *usersHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		WriteError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed here; use GET")
		return
	}
	ctx := r.Context() // it carries the request's trace task (App.ServeHTTP)
	t := timer{start: time.Now()}

	var id int64
	err := h.runStep(ctx, &t, "parse", func(context.Context) error {
		var err error
		id, err = ParseID(r.PathValue("id"))
		return err
	})
	if err != nil {
		t.setHeaders(w.Header())
		WriteError(w, http.StatusBadRequest, err.Error())
		return
	}

	var page Page
	err = h.runStep(ctx, &t, "db", func(ctx context.Context) error {
		var err error
		page.User, err = h.store.User(ctx, id)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		t.setHeaders(w.Header())
		WriteError(w, http.StatusNotFound, fmt.Sprintf("no user with id %d", id))
		return
	}
	if err != nil {
		h.fail(ctx, w, &t, id, "db", err)
		return
	}

	for _, s := range h.steps {
		if err := h.runStep(ctx, &t, s.Name, func(ctx context.Context) error { return s.Run(ctx, &page) }); err != nil {
			h.fail(ctx, w, &t, id, s.Name, err)
			return
		}
	}

	var body []byte
	err = h.runStep(ctx, &t, "render", func(context.Context) error {
		var err error
		body, err = json.Marshal(&page)
		body = append(body, '\n')
		return err
	})
	if err != nil {
		h.fail(ctx, w, &t, id, "render", err)
		return
	}
	t.setHeaders(w.Header())
	writeBody(w, http.StatusOK, body)
}

// runStep runs fn as one timed step: a trace region and pprof labels
// around it, its duration recorded in t.
//
// The labels are set on the goroutine, as pprof.Do sets them, so that CPU
// samples of fn and of the goroutines fn starts carry them; labels that a
// middleware put on the request's context are kept beside them. They are
// not added to the ctx that fn receives.
func (h *usersHandler) runStep(ctx context.Context, t *timer, name string, fn func(context.Context) error) error {
	start := time.Now()
	labels := h.labelled[name]
	if hasLabels(ctx) {
		labels = pprof.WithLabels(ctx, h.sets[name])
	}
	pprof.SetGoroutineLabels(labels)
	defer pprof.SetGoroutineLabels(ctx) // the request's own labels, even if fn panics
	region := trace.StartRegion(ctx, name)
	err := fn(ctx)
	region.End()
	t.add(name, time.Since(start))
	return err
}

// hasLabels reports whether ctx carries pprof labels.
func hasLabels(ctx context.Context) bool {
	has := false
	pprof.ForLabels(ctx, func(string, string) bool { has = true; return false })
	return has
}

// fail logs err with its step and answers with the status it carries, 500
// by default. The cause stays in the log; the client reads a short message.
func (h *usersHandler) fail(ctx context.Context, w http.ResponseWriter, t *timer, id int64, step string, err error) {
	status, msg := http.StatusInternalServerError, "internal error"
	if he, ok := errors.AsType[*HTTPError](err); ok && he.Status >= 400 && he.Status <= 599 {
		status, msg = he.Status, he.Message
	}
	h.log.ErrorContext(ctx, "request failed", "route", Route, "id", id, "step", step, "status", status, "err", err)
	t.setHeaders(w.Header())
	WriteError(w, status, msg)
}

// ParseID parses the {id} of /users/{id}: ASCII decimal digits only,
// leading zeros allowed, with a value that fits in an int64. Signs,
// spaces and other characters are rejected.
func ParseID(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("id is empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("id %q is not a positive whole number", s)
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("id %q is out of range (at most %d)", s, int64(1<<63-1))
	}
	return id, nil
}

type errorBody struct {
	Error string `json:"error"`
}

// WriteError answers with status and {"error": msg}, the body of every
// error of the service, with the content headers set. A middleware that
// refuses a request answers with it too.
func WriteError(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(errorBody{Error: msg}) // a struct of one string always marshals
	writeBody(w, status, append(body, '\n'))
}

// writeBody sets the content headers, then writes status and body. Every
// header must be set before this runs. For HEAD, net/http sends the
// headers, Content-Length included, and drops the body itself.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	w.WriteHeader(status)
	w.Write(body)
}
