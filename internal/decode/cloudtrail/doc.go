// Package cloudtrail decodes AWS CloudTrail records.
//
// Three shapes of input are accepted, told apart by the first bytes:
//
//   - a CloudTrail log file as delivered to S3: {"Records":[{…},{…}]}
//     ("Records" must be the object's first key, as CloudTrail writes it);
//   - a JSON array of records, [{…},{…}], as written by Stratus Red Team
//     and by most exports; several arrays or Records objects may follow
//     one another;
//   - one record per line (CloudWatch Logs and Firehose exports).
//
// Arrays are read as a stream, one record at a time, so a large log file is
// never held whole: a small framing scanner finds where each record ends
// (tracking strings and nesting only) and hands exactly those bytes on. A
// record's Raw is its exact bytes from the file. The framing scanner was
// chosen over json.Decoder because json.Decoder stops for good at the first
// syntax error and cannot skip a record over the size limit; with the
// scanner, a record that frames but does not parse becomes a pipeline-error
// event and decoding goes on, and an oversize record is rejected and
// skipped. A stream whose framing breaks (a truncated file, garbage between
// records) delivers every record before the fault, then Decode returns a
// *FormatError naming the byte offset.
//
// Each record is flattened with package jsonl under CloudTrail's own names
// (eventName, eventSource, userIdentity.arn, sourceIPAddress,
// requestParameters.…), which Sigma rules use, and gets these ECS fields:
// event.action (eventName), event.provider (eventSource), event.dataset
// ("aws.cloudtrail"), event.outcome ("failure" when errorCode is present or
// a console login failed, else "success"), cloud.provider ("aws"),
// cloud.region, cloud.account.id (recipientAccountId, else the identity's
// account), source.ip (sourceIPAddress when it is an address, not a
// service name such as "ec2.amazonaws.com"; octets written with leading
// zeros, as in anonymised datasets, are read as decimal), user.name
// (userIdentity.userName, else the last part of userIdentity.arn), user.id
// (userIdentity.principalId) and user_agent.original. The time is
// eventTime.
//
// Non-goals: CloudTrail digest files, CloudTrail Lake query results and the
// LookupEvents API's envelope (a record as a JSON string inside another).
package cloudtrail
