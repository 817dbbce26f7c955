package shop

import (
	"flag"
	"time"
)

// Config is how Open opens the shop's database.
type Config struct {
	Path    string  // the SQLite file, created and seeded if it has no products table
	Conns   int     // connections kept open to it
	Latency Latency // the busy server's time per query
}

// Latency is how long the busy database takes to answer each of the
// dashboard's queries.
type Latency struct {
	Orders          time.Duration // a user's recent orders
	Recommendations time.Duration // the products to recommend to a user
	Query           time.Duration // any other query, through DB.SQL
}

// DefaultConfig returns the configuration the flags start from: shop.db
// in the working directory, 256 connections, 10 ms for the orders and
// 50 ms for the recommendations.
func DefaultConfig() Config {
	return Config{
		Path:    "shop.db",
		Conns:   256,
		Latency: Latency{Orders: 10 * time.Millisecond, Recommendations: 50 * time.Millisecond},
	}
}

// RegisterFlags defines a flag for every field of c on fs, with c's values
// as defaults. Parsing fs then fills c.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Path, "shop-db", c.Path, "the shop's SQLite `file`, created and seeded if it has no products table")
	fs.IntVar(&c.Conns, "shop-conns", c.Conns, "`number` of connections to the shop's database kept open")
	fs.DurationVar(&c.Latency.Orders, "orders-latency", c.Latency.Orders, "how long the shop's database takes to find a user's recent orders")
	fs.DurationVar(&c.Latency.Recommendations, "recommendations-latency", c.Latency.Recommendations, "how long the shop's database takes to find a user's recommendations")
	fs.DurationVar(&c.Latency.Query, "query-latency", c.Latency.Query, "how long the shop's database takes to answer any other query")
}
