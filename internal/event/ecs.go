package event

// ECS field names that Vigie decoders fill and that the store indexes.
// See https://www.elastic.co/guide/en/ecs/current/ecs-field-reference.html.
const (
	Message            = "message"
	EventAction        = "event.action"
	EventCategory      = "event.category"
	EventType          = "event.type"
	EventOutcome       = "event.outcome"
	EventCode          = "event.code"
	EventProvider      = "event.provider"
	EventDataset       = "event.dataset"
	EventModule        = "event.module"
	LogLevel           = "log.level"
	HostName           = "host.name"
	HostIP             = "host.ip"
	UserName           = "user.name"
	UserDomain         = "user.domain"
	UserID             = "user.id"
	SourceIP           = "source.ip"
	SourcePort         = "source.port"
	SourceBytes        = "source.bytes"
	DestinationIP      = "destination.ip"
	DestinationPort    = "destination.port"
	DestinationBytes   = "destination.bytes"
	NetworkBytes       = "network.bytes"
	NetworkProtocol    = "network.protocol"
	NetworkTransport   = "network.transport"
	ProcessName        = "process.name"
	ProcessPID         = "process.pid"
	ProcessCommandLine = "process.command_line"
	ProcessExecutable  = "process.executable"
	FilePath           = "file.path"
	URLOriginal        = "url.original"
	URLDomain          = "url.domain"
	HTTPMethod         = "http.request.method"
	HTTPStatus         = "http.response.status_code"
	UserAgent          = "user_agent.original"
	DNSQuestionName    = "dns.question.name"
	CloudProvider      = "cloud.provider"
	CloudRegion        = "cloud.region"
	CloudAccountID     = "cloud.account.id"
)

// Outcomes, for EventOutcome.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeUnknown = "unknown"
)

// EntityFields returns the fields the store indexes for fast lookup by
// entity: user, host, source and destination address.
func EntityFields() []string {
	return []string{UserName, HostName, SourceIP, DestinationIP}
}
