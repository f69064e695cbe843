package auditd_test

import (
	"fmt"
	"strings"

	"github.com/vigie-sec/vigie/internal/decode"
	"github.com/vigie-sec/vigie/internal/decode/auditd"
)

func ExampleDecoder_Decode() {
	in := `type=SYSCALL msg=audit(1684329817.579:2996): arch=c000003e syscall=59 success=yes exit=0 ppid=26843 pid=27031 auid=1000 uid=1000 comm="base64" exe="/usr/bin/base64" key=(null)
type=EXECVE msg=audit(1684329817.579:2996): argc=2 a0="base64" a1="-d"
type=CWD msg=audit(1684329817.579:2996): cwd=2F686F6D652F6D7920646972
type=EOE msg=audit(1684329817.579:2996): 
`
	var c decode.Collect
	if err := (auditd.Decoder{}).Decode(strings.NewReader(in), &c); err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range c.Events {
		fmt.Println(e.Time, e.Format)
		for _, name := range []string{"type", "SYSCALL", "Image", "CommandLine", "CurrentDirectory", "ParentProcessId", "User"} {
			for _, f := range e.Values(name) {
				fmt.Printf("  %s=%s\n", name, f.Value)
			}
		}
	}
	// Output:
	// 2023-05-17 13:23:37.579 +0000 UTC auditd
	//   type=SYSCALL
	//   type=EXECVE
	//   type=CWD
	//   type=EOE
	//   SYSCALL=execve
	//   Image=/usr/bin/base64
	//   CommandLine=base64 -d
	//   CurrentDirectory=/home/my dir
	//   ParentProcessId=26843
	//   User=1000
}
