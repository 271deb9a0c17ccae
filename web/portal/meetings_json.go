package portal

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ratsmappe/ratsmappe/web/folder"
)

// The API's list of meetings, written without reflection: encoding/json
// walked each meeting's twelve fields by reflection and formatted its
// times through MarshalJSON (issue 15, pgapp2). appendMeetingsJSON
// writes exactly what render.JSON wrote for {"data": ms, "next": next} —
// the map's keys in order, the fields of folder.MeetingView in order
// with their omitempty, encoding/json's escaping and trailing newline —
// which TestMeetingsJSONAsEncodingJSON checks against encoding/json.

// writeMeetingsJSON answers the list with status 200, or returns false,
// having written nothing, where only encoding/json's answer is right (a
// meeting with an agenda, documents or minutes, which summaries do not
// have, or a time MarshalJSON refuses).
func writeMeetingsJSON(w http.ResponseWriter, ms []folder.MeetingView, next *string) bool {
	for i := range ms {
		m := &ms[i]
		if len(m.Agenda) > 0 || len(m.Documents) > 0 || len(m.Minutes) > 0 ||
			!rfc3339able(m.Start) || m.End != nil && !rfc3339able(*m.End) || m.Published != nil && !rfc3339able(*m.Published) {
			return false
		}
	}
	b := jsonBufs.Get().(*jsonBuf)
	defer jsonBufs.Put(b)
	b.out = appendMeetingsJSON(b.out[:0], ms, next)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(b.out)
	return true
}

// appendMeetingsJSON appends {"data":ms,"next":next} (null for a nil ms
// or next) as encoding/json's Encoder (SetEscapeHTML) writes it.
func appendMeetingsJSON(dst []byte, ms []folder.MeetingView, next *string) []byte {
	dst = append(dst, `{"data":`...)
	if ms == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range ms {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendMeetingJSON(dst, &ms[i])
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"next":`...)
	if next == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendJSONString(dst, *next)
	}
	return append(dst, "}\n"...)
}

// appendMeetingJSON appends a meeting without agenda, documents and
// minutes.
func appendMeetingJSON(dst []byte, m *folder.MeetingView) []byte {
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, m.ID, 10)
	dst = append(dst, `,"name":`...)
	dst = appendJSONString(dst, m.Name)
	dst = append(dst, `,"organization":`...)
	dst = appendJSONString(dst, m.Organization)
	dst = append(dst, `,"start":`...)
	dst = appendJSONTime(dst, m.Start)
	if m.End != nil {
		dst = append(dst, `,"end":`...)
		dst = appendJSONTime(dst, *m.End)
	}
	dst = append(dst, `,"location":`...)
	dst = appendJSONString(dst, m.Location)
	dst = append(dst, `,"state":`...)
	dst = appendJSONString(dst, m.State)
	if m.Published != nil {
		dst = append(dst, `,"published":`...)
		dst = appendJSONTime(dst, *m.Published)
	}
	if m.PacketURL != "" {
		dst = append(dst, `,"packet_url":`...)
		dst = appendJSONString(dst, m.PacketURL)
	}
	return append(dst, '}')
}

// appendJSONTime appends t as time.Time's MarshalJSON writes it (for a
// t that rfc3339able accepts).
func appendJSONTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}
