// Package shipping is the shipping service that exercise 4's dashboard
// asks for a quote on every page, and the client that asks it.
//
// The service is a real net/http server, started in the same process on
// a loopback port the kernel picks. It answers
//
//	GET /v1/quote?country=CA&plan=free
//
// after a latency, as the real service does when it asks the carriers for
// their rates, with the quote of QuoteFor as JSON:
//
//	{"carrier":"UPS","service":"standard","price_cents":2495,"currency":"EUR","days":8}
//
// A country that is not two capital letters is a 400 with a JSON error. A
// caller that gives up stops the wait, and gets no answer.
//
// Connect returns a client of the service at Config.URL, or, when the URL
// is empty, starts one in this process first; the client's Close stops
// what Connect started:
//
//	quotes, err := shipping.Connect(shipping.DefaultConfig(), log)
//	if err != nil {
//		return err
//	}
//	defer quotes.Close(context.Background())
//	q, err := quotes.Quote(ctx, "CA", "free") // about 20 ms
//
// Config.RegisterFlags defines the flags that change Config:
// -shipping-url, -shipping-latency and -shipping-timeout. Start, Handler
// and NewClient are the parts Connect puts together, for a test that
// wants a service of its own (httptest.NewServer(shipping.Handler(d))).
//
// The client waits for the answer on its connection, off CPU: the wait
// shows in the wall-clock and block profiles, under net/http's
// (*persistConn).roundTrip, and not in the CPU profile. It keeps up to 512
// connections to the service open between requests, so that a connection
// is reused rather than dialed anew for each quote.
package shipping
