package auditd

import "strconv"

// typeNumbers gives the number of each record type this package names: the
// kernel's (linux/audit.h) and the audit library's user-space ones
// (libaudit.h). auditd writes the names; the kernel, logging through
// printk when no auditd runs, writes the numbers.
var typeNumbers = map[string]int{
	"LOGIN": 1006,
	// User space (1100-1199, 1200-1299 for auditd itself, 2100-2999).
	"USER_AUTH": 1100, "USER_ACCT": 1101, "USER_MGMT": 1102, "CRED_ACQ": 1103,
	"CRED_DISP": 1104, "USER_START": 1105, "USER_END": 1106, "USER_AVC": 1107,
	"USER_CHAUTHTOK": 1108, "USER_ERR": 1109, "CRED_REFR": 1110, "USYS_CONFIG": 1111,
	"USER_LOGIN": 1112, "USER_LOGOUT": 1113, "ADD_USER": 1114, "DEL_USER": 1115,
	"ADD_GROUP": 1116, "DEL_GROUP": 1117, "DAC_CHECK": 1118, "CHGRP_ID": 1119,
	"TEST": 1120, "TRUSTED_APP": 1121, "USER_SELINUX_ERR": 1122, "USER_CMD": 1123,
	"USER_TTY": 1124, "CHUSER_ID": 1125, "GRP_AUTH": 1126, "SYSTEM_BOOT": 1127,
	"SYSTEM_SHUTDOWN": 1128, "SYSTEM_RUNLEVEL": 1129, "SERVICE_START": 1130,
	"SERVICE_STOP": 1131, "GRP_MGMT": 1132, "GRP_CHAUTHTOK": 1133, "MAC_CHECK": 1134,
	"ACCT_LOCK": 1135, "ACCT_UNLOCK": 1136, "USER_DEVICE": 1137, "SOFTWARE_UPDATE": 1138,
	"DAEMON_START": 1200, "DAEMON_END": 1201, "DAEMON_ABORT": 1202, "DAEMON_CONFIG": 1203,
	// Kernel.
	"SYSCALL": 1300, "PATH": 1302, "IPC": 1303, "SOCKETCALL": 1304, "CONFIG_CHANGE": 1305,
	"SOCKADDR": 1306, "CWD": 1307, "EXECVE": 1309, "IPC_SET_PERM": 1311, "MQ_OPEN": 1312,
	"MQ_SENDRECV": 1313, "MQ_NOTIFY": 1314, "MQ_GETSETATTR": 1315, "KERNEL_OTHER": 1316,
	"FD_PAIR": 1317, "OBJ_PID": 1318, "TTY": 1319, "EOE": 1320, "BPRM_FCAPS": 1321,
	"CAPSET": 1322, "MMAP": 1323, "NETFILTER_PKT": 1324, "NETFILTER_CFG": 1325,
	"SECCOMP": 1326, "PROCTITLE": 1327, "FEATURE_CHANGE": 1328, "REPLACE": 1329,
	"KERN_MODULE": 1330, "FANOTIFY": 1331, "TIME_INJOFFSET": 1332, "TIME_ADJNTPVAL": 1333,
	"BPF": 1334, "EVENT_LISTENER": 1335, "URINGOP": 1336, "OPENAT2": 1337,
	"AVC": 1400, "SELINUX_ERR": 1401, "AVC_PATH": 1402, "MAC_POLICY_LOAD": 1403,
	"MAC_STATUS": 1404, "MAC_CONFIG_CHANGE": 1405,
	"ANOM_PROMISCUOUS": 1700, "ANOM_ABEND": 1701, "ANOM_LINK": 1702, "ANOM_CREAT": 1703,
	"INTEGRITY_DATA": 1800, "INTEGRITY_METADATA": 1801, "INTEGRITY_STATUS": 1802,
	"INTEGRITY_HASH": 1803, "INTEGRITY_PCR": 1804, "INTEGRITY_RULE": 1805,
}

// typeNames is typeNumbers reversed.
var typeNames = func() map[int]string {
	m := make(map[int]string, len(typeNumbers))
	for name, n := range typeNumbers {
		m[n] = name
	}
	return m
}()

// typeName returns the name of a record type written as a number by the
// kernel ("1300" is "SYSCALL"), "UNKNOWN[n]" as auditd writes one it does
// not know, or t itself when it is not a number.
func typeName(t string) string {
	if !isDigits(t) || len(t) > 5 {
		return t
	}
	n, _ := strconv.Atoi(t)
	if name, ok := typeNames[n]; ok {
		return name
	}
	return "UNKNOWN[" + t + "]"
}

// standalone reports whether records of type t are events by themselves:
// user-space messages, which the kernel gives a serial of their own. The
// decoder emits them without waiting for the next record.
func standalone(t string) bool {
	n, ok := typeNumbers[t]
	return ok && (1100 <= n && n <= 1299 || 2100 <= n && n <= 2999)
}
