package simulate_test

import (
	"fmt"

	"github.com/vigie-sec/vigie/internal/simulate"
)

func ExampleGenerate() {
	sim, err := simulate.Generate(simulate.Config{Seed: 1, Users: 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	b := sim.Truth().Breach
	fmt.Println("attacker:", b.AttackerIP, b.AttackerCountry)
	fmt.Println("account:", b.Account.UserName, "on", b.Workstation)
	for _, st := range b.Stages {
		fmt.Println(st.Start.Format("Mon 15:04"), st.Stage)
	}
	// Output:
	// attacker: 203.0.113.47 SC
	// account: p.devries on WS-004
	// Fri 02:06 spray
	// Fri 03:51 initial-access
	// Fri 04:14 c2
	// Fri 04:27 discovery
	// Fri 22:09 lateral
	// Sat 00:42 staging
	// Sat 01:52 exfiltration
	// Sat 03:00 defense-evasion
}
