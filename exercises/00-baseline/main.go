// Command baseline serves the users service with nothing added: the
// reference every exercise is measured against.
package main

import "github.com/slowpath/slowpath/server"

func main() {
	server.Main("baseline", nil)
}
