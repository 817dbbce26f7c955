// Package shop is the shop's database that exercise 4's dashboard and
// exercise 7's order history read:
// products, orders and tastes in a SQLite file, seeded with the orders of
// the users service's users, and read through a driver that gives each
// query the time a busy database server would take.
//
// Open it with the number of users the server seeds, then ask it for a
// user's recent orders and the products to recommend to them:
//
//	db, err := shop.Open(ctx, shop.DefaultConfig(), cfg.Users)
//	if err != nil {
//		return err
//	}
//	defer db.Close()
//	orders, err := db.RecentOrders(ctx, 42)   // about 10 ms
//	cands, err := db.Recommendations(ctx, 42) // about 50 ms
//
// A program may also run queries of its own on the pool (SQL), each
// taking Config.Latency.Query. Metrics reports the queries and the
// pool's numbers (sql.DBStats) for the program's /debug/vars.
//
// Config.RegisterFlags defines the flags that change Config: -shop-db,
// -shop-conns, -orders-latency, -recommendations-latency and
// -query-latency.
//
// # The data
//
// Open creates and seeds the file if it has no products table, and else
// uses it as it is. It seeds 96 products, 12 in each of 8 categories
// (SeedProduct), one to six orders per user, in one or two favourite
// categories (SeedOrders), and the table of tastes the recommendations
// read: how many of each user's orders fall in each category. The seed is
// a pure function of the ids, the same at every start, so a test can
// work out what a page must show without asking the database.
//
// # The latency
//
// In production the shop's database is a server on another machine, and
// a busy one: a query takes milliseconds there, most of it waiting for the
// server's answer. SQLite answers the same queries in microseconds, so the
// driver puts the server's time back where a program waits for it, inside
// the database/sql call: each query waits for its latency (Config.Latency)
// in a select on a timer and its context, then runs on SQLite. The wait
// parks the goroutine, as a network client's wait on its socket would: it
// uses no CPU, and shows in the wall-clock and block profiles as
// shop.(*busyStmt).QueryContext, under RecentOrders or Recommendations. A
// query whose context ends stops waiting and returns the context's error.
//
// Each query holds one of the pool's connections (Config.Conns) while it
// waits, as it would hold a connection to the server: the pool bounds the
// queries in flight, and requests queue for a connection beyond it.
package shop
