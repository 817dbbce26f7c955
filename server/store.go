package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// ErrNotFound is returned by Store.User for an id that has no row.
var ErrNotFound = errors.New("user not found")

// Store is the users table in SQLite: one database file, seeded once,
// read through a pool of read-only connections.
//
// One file matters: with sql.Open("sqlite3", ":memory:") every pooled
// connection opens its own empty database, so under load most queries find
// no table or no row. Here every connection opens the same file.
//
// When the store makes the file itself (the default), nothing writes to it
// after seeding, so the readers open it as immutable: SQLite then skips the
// file locks and change checks it would otherwise make around every query,
// which halves the cost of a lookup (BenchmarkStoreUser). A file named by
// StoreOptions.Path may be written by another process while the server
// runs, so it is kept in WAL mode and read with the usual locking.
type Store struct {
	db      *sql.DB   // read-only pool that serves requests
	byID    *sql.Stmt // prepared on db
	tempDir string    // removed by Close when the store made the file itself
	users   int64
}

// StoreOptions says where the store keeps its file and how it is sized.
type StoreOptions struct {
	// Path is the database file. Empty means a file in a new temporary
	// directory that Close removes. An existing file that already holds a
	// users table is used as it is; otherwise the table is created and seeded.
	Path string
	// Users is how many users to seed into a new table.
	Users int
	// Conns is the size of the read pool: at most this many queries run at
	// once, and the rest wait for a connection.
	Conns int
}

// OpenStore opens (and if needed creates and seeds) the users database.
func OpenStore(ctx context.Context, opt StoreOptions) (*Store, error) {
	if opt.Users < 1 {
		return nil, fmt.Errorf("store: users must be at least 1, got %d", opt.Users)
	}
	if opt.Conns < 1 {
		return nil, fmt.Errorf("store: conns must be at least 1, got %d", opt.Conns)
	}
	s := &Store{}
	path := opt.Path
	if path == "" {
		dir, err := os.MkdirTemp("", "slowpath-db-")
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		s.tempDir = dir
		path = filepath.Join(dir, "users.db")
	}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()

	owned := s.tempDir != ""
	users, err := seed(ctx, path, opt.Users, owned)
	if err != nil {
		return nil, err
	}
	s.users = users

	// The read pool: read-only, and as many idle connections as open ones so
	// that none is closed and reopened between requests (database/sql keeps
	// only 2 idle by default).
	params := url.Values{
		"mode":   {"ro"},
		"_mutex": {"no"}, // database/sql gives a connection to one goroutine at a time
	}
	if owned {
		params.Set("immutable", "1")
	} else {
		params.Set("_busy_timeout", "5000")
	}
	s.db, err = sql.Open("sqlite3", dsn(path, params))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s.db.SetMaxOpenConns(opt.Conns)
	s.db.SetMaxIdleConns(opt.Conns)
	s.byID, err = s.db.PrepareContext(ctx,
		`SELECT id, name, email, country, plan, created_at FROM users WHERE id = ?`)
	if err != nil {
		return nil, fmt.Errorf("store: prepare: %w", err)
	}
	ok = true
	return s, nil
}

// dsn makes a SQLite URI for path: escaped, so that a file name with '?',
// '#' or '%' in it stays a file name.
func dsn(path string, params url.Values) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + params.Encode()
}

// seed makes sure the file holds a users table, creating and filling it if
// it does not, and returns how many users it holds. A file the store owns
// uses a rollback journal, so that every row is in the main file when the
// immutable readers open it; another file is put in WAL mode, so that its
// readers and a writer elsewhere do not block each other.
func seed(ctx context.Context, path string, users int, owned bool) (int64, error) {
	params := url.Values{"_busy_timeout": {"5000"}, "_txlock": {"immediate"}}
	if owned {
		params.Set("_journal_mode", "DELETE")
		params.Set("_synchronous", "OFF") // a temporary file: a crash loses nothing worth keeping
	} else {
		params.Set("_journal_mode", "WAL")
		params.Set("_synchronous", "NORMAL")
	}
	db, err := sql.Open("sqlite3", dsn(path, params))
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS users (
		id         INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		email      TEXT NOT NULL UNIQUE,
		country    TEXT NOT NULL,
		plan       TEXT NOT NULL,
		created_at TEXT NOT NULL
	)`); err != nil {
		return 0, fmt.Errorf("store: create table: %w", err)
	}
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count: %w", err)
	}
	if n > 0 {
		return n, nil
	}
	ins, err := tx.PrepareContext(ctx,
		`INSERT INTO users (id, name, email, country, plan, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, fmt.Errorf("store: prepare insert: %w", err)
	}
	defer ins.Close()
	for id := int64(1); id <= int64(users); id++ {
		u := SeedUser(id)
		if _, err := ins.ExecContext(ctx, u.ID, u.Name, u.Email, u.Country, u.Plan, u.CreatedAt); err != nil {
			return 0, fmt.Errorf("store: seed user %d: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: seed: %w", err)
	}
	return int64(users), nil
}

// User returns the user with the given id, or ErrNotFound.
//
// The lookup by primary key takes microseconds, less than watching for
// cancellation would: with a cancellable context, database/sql starts a
// goroutine per query and the driver registers a callback, to interrupt a
// query whose caller went away. So the query keeps ctx's values (trace
// task, pprof labels) but not its cancellation. A slow query is another
// matter: pass it the request's context, so it stops when the client does.
func (s *Store) User(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.byID.QueryRowContext(context.WithoutCancel(ctx), id).Scan(&u.ID, &u.Name, &u.Email, &u.Country, &u.Plan, &u.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("store: user %d: %w", id, err)
	}
	return u, nil
}

// Users reports how many users the table held when the store opened.
func (s *Store) Users() int64 { return s.users }

// DB returns the read-only connection pool, for an exercise that adds
// queries of its own. Its connections refuse writes.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the pool and removes the temporary database, if the store
// made one.
func (s *Store) Close() error {
	var err error
	if s.byID != nil {
		err = s.byID.Close()
	}
	if s.db != nil {
		err = errors.Join(err, s.db.Close())
	}
	if s.tempDir != "" {
		err = errors.Join(err, os.RemoveAll(s.tempDir))
	}
	return err
}
