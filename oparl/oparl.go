// Package oparl holds the OParl 1.1 objects that Ratsmappe serves
// (web's OParl handlers) and reads (sessions/oparlimport): the object
// types with their JSON names as the specification spells them, the list
// page, the deleted stub and the error object, the date-time format, and
// the lenient field types an importer needs for what real servers send.
//
// It knows no HTTP and no storage.
package oparl

import (
	"strings"
	"time"
)

// Schema is the prefix of every OParl 1.1 type ("…/Meeting") and the
// value of System.oparlVersion.
const Schema = "https://schema.oparl.org/1.1/"

// Berlin is the council's time zone: date-times are written in it, and
// read in it when a server leaves the zone out.
var Berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}()

// Time formats t as OParl's date-time, yyyy-mm-ddThh:mm:ss±hh:mm, in
// the council's time zone; "" for the zero time.
func Time(t time.Time) Str {
	if t.IsZero() {
		return ""
	}
	return Str(t.In(Berlin).Format("2006-01-02T15:04:05-07:00"))
}

// ParseTime reads an OParl date-time; also without zone (taken as
// Berlin time) or a bare date. Zero if s is empty or unreadable.
func ParseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, Berlin); err == nil {
			return t
		}
	}
	return time.Time{}
}

// ParseDate reads a date (YYYY-MM-DD, or the date of a date-time) as
// YYYY-MM-DD; "" if empty or unreadable.
func ParseDate(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 10 {
		if t, err := time.Parse("2006-01-02", s[:10]); err == nil {
			return t.Format("2006-01-02")
		}
	}
	if t := ParseTime(s); !t.IsZero() {
		return t.In(Berlin).Format("2006-01-02")
	}
	return ""
}
