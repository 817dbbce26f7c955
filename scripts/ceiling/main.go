// Command ceiling answers every request with one constant JSON body, the
// same bytes GET /users/42 returns, and does nothing else: no database, no
// timing headers, no labels, no trace regions. make bench measures the
// users service against it, so the ratio says what the service's own work
// costs over bare net/http on the same machine, under the same load.
//
//	go run ./scripts/ceiling -addr localhost:8090
//
// SIGINT or SIGTERM shuts it down gracefully.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/slowpath/slowpath/server"
)

func main() {
	addr := flag.String("addr", "localhost:8090", "listen `address`")
	flag.Parse()
	body, _ := json.Marshal(server.SeedUser(42))
	body = append(body, '\n')
	length := strconv.Itoa(len(body))
	srv := &http.Server{
		Addr:              *addr,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["Content-Type"] = []string{"application/json"}
			h["Content-Length"] = []string{length}
			h["X-Content-Type-Options"] = []string{"nosniff"}
			w.Write(body)
		}),
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "msg=serving app=http://%s/users/42\n", ln.Addr()) // what the scripts wait for, as from the service
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}
