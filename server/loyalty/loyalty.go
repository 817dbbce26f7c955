// Package loyalty is the loyalty service that exercise 6's pages call:
// a real HTTPS server in the same process, on a loopback port, that
// answers a user's points balance. Like any service reached over TLS, a
// client pays for a new connection with a TCP handshake and a TLS one
// (key exchange, a certificate signed and verified): work that a client
// which keeps its connections open pays once.
//
//	svc, err := loyalty.Start(time.Millisecond, log)
//	...
//	client := &http.Client{Transport: &http.Transport{TLSClientConfig: svc.ClientTLS()}}
//	resp, err := client.Get(svc.URL() + "/v1/points/42") // {"user":42,"points":1234,"as_of":"..."}
//
// The service counts the connections it accepted (its http.Server's
// ConnState hook) and the requests it answered, and Metrics reports both
// for the program's /debug/vars: downstream_conns_total against
// downstream_requests_total says how often its clients reuse a
// connection.
package loyalty

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/slowpath/slowpath/server"
)

// Balance is what the service answers for a user: the points it holds
// for them at AsOf, the moment it answered. Points change with every
// purchase, so a balance is the service's word at that moment only.
type Balance struct {
	User   int64     `json:"user"`
	Points int64     `json:"points"`
	AsOf   time.Time `json:"as_of"`
}

// PointsOf is the balance the service holds for a user: a pure function
// of the id, so that a test knows what a page must show.
func PointsOf(user int64) int64 {
	x := uint64(user)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	x ^= x >> 29
	return int64(x % 50000)
}

// Service is the loyalty service, served over HTTPS in this process.
type Service struct {
	srv      *http.Server
	ln       net.Listener
	roots    *x509.CertPool
	conns    atomic.Int64 // connections accepted
	requests atomic.Int64 // requests answered
}

// Start serves the loyalty service on 127.0.0.1, on a port the kernel
// picks, over TLS with a certificate made for it now (ECDSA P-256, for
// 127.0.0.1), answering each request after latency. Its errors go to log.
func Start(latency time.Duration, log *slog.Logger) (*Service, error) {
	cert, roots, err := certificate()
	if err != nil {
		return nil, fmt.Errorf("loyalty service: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("loyalty service: %w", err)
	}
	s := &Service{ln: ln, roots: roots}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/points/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id < 1 {
			http.Error(w, `{"error":"want a positive user id"}`, http.StatusBadRequest)
			return
		}
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		s.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(Balance{User: id, Points: PointsOf(id), AsOf: time.Now()})
	})
	s.srv = &http.Server{
		Handler:           mux,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		},
	}
	go func() {
		if err := s.srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
			log.Error("loyalty service stopped", "err", err)
		}
	}()
	return s, nil
}

// URL is the service's base URL, e.g. https://127.0.0.1:41234.
func (s *Service) URL() string { return "https://" + s.ln.Addr().String() }

// ClientTLS is the TLS configuration a client of the service needs: it
// trusts the service's certificate, and nothing else.
func (s *Service) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.roots, MinVersion: tls.VersionTLS12}
}

// Conns is how many connections the service has accepted.
func (s *Service) Conns() int64 { return s.conns.Load() }

// Requests is how many requests the service has answered.
func (s *Service) Requests() int64 { return s.requests.Load() }

// Metrics are the service's counts, for the program's /debug/vars.
func (s *Service) Metrics() []server.Metric {
	return []server.Metric{
		{Name: "downstream_conns_total", Help: "loyalty service: TCP connections it accepted (each a TCP and a TLS handshake)", Value: func() float64 { return float64(s.Conns()) }},
		{Name: "downstream_requests_total", Help: "loyalty service: requests it answered", Value: func() float64 { return float64(s.Requests()) }},
	}
}

// Close stops the service, letting the requests in progress finish until
// ctx ends.
func (s *Service) Close(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// certificate makes a self-signed certificate for 127.0.0.1, valid for a
// day, and the pool of roots that trusts it.
func certificate() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "loyalty.slowpath.test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots, nil
}
