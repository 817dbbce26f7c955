// Package proc builds, starts and stops the kit's programs and the
// commands the loop runs: Build (go build, printed), Start and StartAt (a
// server in its captures' folder, ready once its ready file says so),
// Program.Stop (SIGTERM, the graceful shutdown) and Kill, Fetch and
// Capture (a debug endpoint saved to a file, printed as the curl that
// does the same), RunCommand (a command printed, then run in a process
// group of its own), and LockFolder (one run at a time on a folder).
// Process groups and locks differ by platform: proc_unix.go holds
// Linux's and macOS's; elsewhere the kit builds, and the README sends
// Windows users to WSL2.
package proc
