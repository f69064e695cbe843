package ingest

import (
	"context"
	"errors"
	"net/http"
)

// HTTPStatus maps an error from Submit or TrySubmit to the status an HTTP
// transport answers, and the Retry-After seconds to send with it (0 for
// none): 429 for a full queue, 503 for a failing store or a closing
// pipeline, 500 otherwise.
func HTTPStatus(err error) (status, retryAfter int) {
	switch {
	case errors.Is(err, ErrQueueFull):
		return http.StatusTooManyRequests, 1
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrClosed):
		return http.StatusServiceUnavailable, 5
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, 1
	}
	return http.StatusInternalServerError, 0
}
