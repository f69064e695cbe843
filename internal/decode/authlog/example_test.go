package authlog_test

import (
	"fmt"

	"github.com/vigie-sec/vigie/internal/decode/authlog"
)

func ExampleParse() {
	a, ok := authlog.Parse("sshd", "Failed password for invalid user admin from 203.0.113.9 port 50022 ssh2")
	fmt.Println(ok, a.Action, a.Outcome, a.Reason)
	fmt.Println(a.User, a.SourceIP, a.SourcePort, a.Method)
	// Output:
	// true ssh_login failure invalid user
	// admin 203.0.113.9 50022 password
}
