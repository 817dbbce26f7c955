// Command ceiling is the users service with the service taken out: it
// answers GET /users/{id} with the same bytes the service would send (the
// body of server.SeedUser(id), made once at start, or a 404 with a JSON
// error) and does nothing else per request: no database, no timing, no
// labels, no trace regions; its timing headers are constants of the same
// shape. make bench loads the users service and the ceiling with the same
// client, mix and checks, so their ratio says what the service's own work
// costs over bare net/http on the same machine.
//
//	go run ./scripts/ceiling -addr localhost:8090 -ready-file ready.json
//
// Like the service, it serves the profiles on a debug listener of its own
// (server.DebugHandler), writes its ready file once it serves
// (server.Ready), and shuts down gracefully on SIGINT or SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/slowpath/slowpath/server"
)

func main() {
	def := server.DefaultConfig()
	addr := flag.String("addr", "localhost:8090", "app listener `address`")
	debugAddr := flag.String("debug-addr", "localhost:6090", "debug listener `address` (loopback)")
	readyFile := flag.String("ready-file", "", "once both listeners serve, write their addresses to this `file` as one JSON line")
	users := flag.Int("users", def.Users, "ids 1..`n` answer a user, as the service's -users")
	flag.Parse()
	if err := run(*addr, *debugAddr, *readyFile, *users); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

func run(addr, debugAddr, readyFile string, users int) error {
	if users < 1 {
		return fmt.Errorf("-users %d: want at least 1", users)
	}
	bodies := make([][]byte, users+1)
	lengths := make([][]string, users+1)
	for id := 1; id <= users; id++ {
		b, _ := json.Marshal(server.SeedUser(int64(id))) // a struct of strings and numbers always marshals
		bodies[id] = append(b, '\n')
		lengths[id] = []string{strconv.Itoa(len(bodies[id]))}
	}
	notFound := []byte(`{"error":"no such user"}` + "\n")
	notFoundLength := []string{strconv.Itoa(len(notFound))}
	json, nosniff := []string{"application/json"}, []string{"nosniff"}
	timing, serverTiming := []string{"0.001"}, []string{"total;dur=0.001"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		h := w.Header()
		h["Content-Type"], h["X-Content-Type-Options"] = json, nosniff
		if err != nil || id < 1 || id > users || strings.HasPrefix(r.PathValue("id"), "+") {
			h["Content-Length"] = notFoundLength
			w.WriteHeader(http.StatusNotFound)
			w.Write(notFound)
			return
		}
		h["X-Timing-Ms"], h["Server-Timing"], h["Content-Length"] = timing, serverTiming, lengths[id]
		w.Write(bodies[id])
	})

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	dln, err := net.Listen("tcp", debugAddr)
	if err != nil {
		ln.Close()
		return err
	}
	if tcp, ok := dln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		ln.Close()
		dln.Close()
		return fmt.Errorf("debug listener %s: bind it to loopback", dln.Addr())
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
	dsrv := &http.Server{Handler: server.DebugHandler(), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go func() { errc <- dsrv.Serve(dln) }()
	if readyFile != "" {
		if err := server.WriteReady(readyFile, server.Ready{PID: os.Getpid(), App: "http://" + ln.Addr().String(), Debug: "http://" + dln.Addr().String()}); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "ceiling: serving http://%s/users/42 (debug http://%s/debug/pprof/)\n", ln.Addr(), dln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	shut, cancel := context.WithTimeout(context.Background(), server.DefaultConfig().ShutdownTimeout)
	defer cancel()
	dsrv.Close()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
