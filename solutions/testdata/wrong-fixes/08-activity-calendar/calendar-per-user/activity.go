package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/slowpath/slowpath/server"
)

// days is how many days the calendar covers, its last day included.
const days = 365

// setup plugs the step "activity" into cfg: the calendar of the year up
// to end (YYYY-MM-DD).
func setup(cfg *server.Config, end string) (*Activity, error) {
	last, err := time.Parse(time.DateOnly, end)
	if err != nil {
		return nil, fmt.Errorf("-activity-end %q: want a day such as 2026-11-30", end)
	}
	a := &Activity{first: last.AddDate(0, 0, -(days - 1))}
	for i := range a.dates {
		a.dates[i] = a.first.AddDate(0, 0, i).Format(time.DateOnly)
	}
	cfg.Steps = append(cfg.Steps, server.Step{Name: "activity", Run: a.run})
	return a, nil
}

// Activity writes users' calendars of activity. It is safe for
// concurrent use.
type Activity struct {
	first time.Time    // the calendar's first day
	dates [days]string // its days, YYYY-MM-DD, worked out once

	// calendars holds each user's calendar once written (user id →
	// Calendar): the year ends on a fixed day and a user's contributions
	// on a day never change, so a calendar written once is right for
	// every later page of that user.
	calendars sync.Map
}

// Calendar is a user's year of activity as a page carries it.
type Calendar struct {
	From string `json:"from"` // the first day, YYYY-MM-DD
	To   string `json:"to"`   // the last day
	Days string `json:"days"` // a line a day, oldest first: "2025-12-01 3\n"
}

// contributions is how many contributions the user made on the day (in
// days since 1970-01-01): what the activity log holds, a pure function
// of the user and the day.
func contributions(user, day int64) int64 {
	x := uint64(user)*0x9e3779b97f4a7c15 ^ uint64(day)*0xbf58476d1ce4e5b9
	x ^= x >> 31
	x *= 0x94d049bb133111eb
	x ^= x >> 29
	if x%3 == 0 {
		return 0 // a day off
	}
	return int64(x >> 40 % 12)
}

// renderDays writes the user's days, a line a day: the day, a space, the
// contributions, a newline. first is the first day, in days since
// 1970-01-01. It appends every line to one buffer, sized once for the
// year: two allocations a page. It used to add each line to a string,
// s += line, which copies the whole string so far into a new one: 365
// strings a page growing to 5 KB, nearly 1 MB allocated and copied for a
// 5 KB answer, beside a formatted line and its boxed arguments per day.
// The garbage collector spent its time on them, and the handlers theirs
// helping it (mark assists).
func renderDays(user, first int64, dates []string) string {
	b := make([]byte, 0, len(dates)*len("2006-01-02 10\n"))
	for i, date := range dates {
		b = append(b, date...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, contributions(user, first+int64(i)), 10)
		b = append(b, '\n')
	}
	return string(b)
}

// calendarOf returns the user's calendar: the one written for an earlier
// page of the user, else a new one, which it keeps.
func (a *Activity) calendarOf(user int64) Calendar {
	if c, ok := a.calendars.Load(user); ok {
		return c.(Calendar)
	}
	c := Calendar{
		From: a.dates[0],
		To:   a.dates[days-1],
		Days: renderDays(user, a.first.Unix()/86400, a.dates[:]),
	}
	a.calendars.Store(user, c)
	return c
}

// run is the step "activity": the page carries the user's calendar.
func (a *Activity) run(ctx context.Context, page *server.Page) error {
	page.Set("activity", a.calendarOf(page.ID))
	return nil
}
