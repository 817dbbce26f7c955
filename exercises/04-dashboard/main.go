// Command dashboard serves the users service with a dashboard: each user's
// page also shows their recent orders and the products to recommend to
// them, from the shop's database (server/shop: a SQLite file, -shop-db,
// seeded at the first start), and a shipping quote to their country, from
// the shipping service (server/shipping: started in this process on a
// loopback port, unless -shipping-url names another one).
package main

import (
	"flag"

	"github.com/slowpath/slowpath/server"
	"github.com/slowpath/slowpath/server/shipping"
	"github.com/slowpath/slowpath/server/shop"
)

func main() {
	shopCfg, shippingCfg := shop.DefaultConfig(), shipping.DefaultConfig()
	shopCfg.RegisterFlags(flag.CommandLine)
	shippingCfg.RegisterFlags(flag.CommandLine)
	server.Main("dashboard", func(cfg *server.Config) error {
		_, err := setup(cfg, shopCfg, shippingCfg)
		return err
	})
}
