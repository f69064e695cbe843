package notify

import "github.com/prometheus/client_golang/prometheus"

// Metric descriptions; each has the label "target".
var (
	sentDesc = prometheus.NewDesc("vigie_notify_sent_total",
		"Notifications delivered, per target.", []string{"target"}, nil)
	failedDesc = prometheus.NewDesc("vigie_notify_failed_total",
		"Notifications given up after the last retry, per target.", []string{"target"}, nil)
	droppedDesc = prometheus.NewDesc("vigie_notify_dropped_total",
		"Messages dropped because the target's queue was full.", []string{"target"}, nil)
	groupedDesc = prometheus.NewDesc("vigie_notify_grouped_total",
		"Messages merged into the notification of an earlier message with the same key.", []string{"target"}, nil)
	foldedDesc = prometheus.NewDesc("vigie_notify_rate_limited_total",
		"Notifications held back by the rate limit and folded into another.", []string{"target"}, nil)
	queueLenDesc = prometheus.NewDesc("vigie_notify_queue_length",
		"Messages waiting in the target's queue.", []string{"target"}, nil)
	queueCapDesc = prometheus.NewDesc("vigie_notify_queue_capacity",
		"Size of the target's queue.", []string{"target"}, nil)
)

// Describe implements prometheus.Collector.
func (n *Notifier) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sentDesc, failedDesc, droppedDesc, groupedDesc, foldedDesc, queueLenDesc, queueCapDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector; it may be called concurrently
// with everything else.
func (n *Notifier) Collect(ch chan<- prometheus.Metric) {
	for _, t := range n.routing.Load().targets {
		counter := func(d *prometheus.Desc, v int64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), t.name)
		}
		counter(sentDesc, t.sent.Load())
		counter(failedDesc, t.failed.Load())
		counter(droppedDesc, t.dropped.Load())
		counter(groupedDesc, t.grouped.Load())
		counter(foldedDesc, t.folded.Load())
		ch <- prometheus.MustNewConstMetric(queueLenDesc, prometheus.GaugeValue, float64(len(t.queue)), t.name)
		ch <- prometheus.MustNewConstMetric(queueCapDesc, prometheus.GaugeValue, float64(cap(t.queue)), t.name)
	}
}
