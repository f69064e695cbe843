package web

import (
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/incident"
)

// entityView is the entity page's data.
type entityView struct {
	Info   *incident.EntityInfo
	Alerts []alertItem
	Days   []bucket
	Chart  template.HTML // Days drawn by package chart
}

// maxEntityAlerts bounds the alerts an entity page lists.
const maxEntityAlerts = 100

func (s *server) entity(w http.ResponseWriter, r *http.Request, v *view) error {
	field, value := r.PathValue("field"), r.PathValue("value")
	if !isEntity(field) {
		return notFound("Entities are users, hosts and addresses (%v), not %q.", event.EntityFields(), field)
	}
	if len(value) > 1024 {
		return badRequest("The value is over 1024 bytes.")
	}
	m, _ := s.cfg.Incidents.(*incident.Manager)
	info, err := incident.EntityView(r.Context(), s.cfg.Store, m, field, value)
	if errors.Is(err, incident.ErrInput) {
		return badRequest("%v", err)
	}
	if err != nil {
		return err
	}
	d := &entityView{Info: info}
	for i, a := range info.Alerts {
		if i == maxEntityAlerts {
			break
		}
		d.Alerts = append(d.Alerts, s.alertItem(a))
	}
	var top int64
	for _, dc := range info.PerDay {
		top = max(top, dc.Count)
	}
	for _, dc := range info.PerDay {
		t, _ := time.Parse(time.DateOnly, dc.Day)
		d.Days = append(d.Days, bucket{From: t, To: t.Add(24 * time.Hour), Count: dc.Count, Max: max(top, 1)})
	}
	if len(d.Days) > 0 {
		d.Chart = histogramSVG("Events per day", d.Days)
	}
	return s.show(w, "entity", field+" "+value, "search", v, d)
}
