import { describe, expect, it } from "vitest";
import {
  compilePattern,
  InvalidEventPatternError,
  RuleIndex,
  testEventPattern,
} from "../../../lib/local/pattern";
import { anEvent, type MatchCase } from "./events";

/**
 * The conformance suite: every operator of the EventBridge user guide ("Event patterns",
 * "Comparison operators for use in event patterns", "Matching on multiple field values", "Matching
 * null values and empty strings"), with matching and non-matching events. Each case is checked both
 * through `CompiledPattern.matches` and through a `RuleIndex`, so the index can never disagree.
 */
const matrices: readonly { readonly topic: string; readonly cases: readonly MatchCase[] }[] = [
  {
    topic: "exact values and nesting",
    cases: [
      {
        name: "matches when source, detail-type and a nested field all equal a listed value",
        pattern: {
          source: ["aws.ec2"],
          "detail-type": ["EC2 Instance State-change Notification"],
          detail: { state: ["terminated"] },
        },
        event: anEvent({ state: "terminated" }),
        matches: true,
      },
      {
        name: "does not match when one field differs",
        pattern: { source: ["aws.ec2"], detail: { state: ["terminated"] } },
        event: anEvent({ state: "running" }),
        matches: false,
      },
      {
        name: "matches when the event value is any of the listed values",
        pattern: { detail: { state: ["initializing", "running"] } },
        event: anEvent({ state: "running" }),
        matches: true,
      },
      {
        name: "does not match when the field is missing from the event",
        pattern: { detail: { state: ["terminated"] } },
        event: anEvent({}),
        matches: false,
      },
      {
        name: "does not match when the intermediate object is missing",
        pattern: { detail: { instance: { state: ["terminated"] } } },
        event: anEvent({ state: "terminated" }),
        matches: false,
      },
      {
        name: "requires the same nesting: a top-level pattern field does not look into detail",
        pattern: { state: ["terminated"] },
        event: anEvent({ state: "terminated" }),
        matches: false,
      },
      {
        name: "is case-sensitive",
        pattern: { source: ["AWS.EC2"] },
        event: anEvent(),
        matches: false,
      },
      {
        name: "ignores event fields the pattern does not name",
        pattern: { region: ["us-west-1"] },
        event: anEvent({ anything: { deep: [1, 2, 3] } }),
        matches: true,
      },
      {
        name: "does not match a string pattern against a number",
        pattern: { detail: { count: ["5"] } },
        event: anEvent({ count: 5 }),
        matches: false,
      },
      {
        name: "does not match a number pattern against a string",
        pattern: { detail: { count: [5] } },
        event: anEvent({ count: "5" }),
        matches: false,
      },
      {
        name: "compares numbers by value",
        pattern: { detail: { limit: [301.8] } },
        event: anEvent({ limit: 3.018e2 }),
        matches: true,
      },
      {
        name: "compares numbers to six decimals, as numeric matching does",
        pattern: { detail: { limit: [5] } },
        event: anEvent({ limit: 5.0000004 }),
        matches: true,
      },
      {
        name: "does not match numbers that differ in the sixth decimal",
        pattern: { detail: { limit: [5] } },
        event: anEvent({ limit: 5.000001 }),
        matches: false,
      },
      {
        name: "matches numbers beyond the numeric range exactly, such as account ids",
        pattern: { detail: { accountId: [123456789012] } },
        event: anEvent({ accountId: 123456789012 }),
        matches: true,
      },
      {
        name: "matches the JSON literal true",
        pattern: { detail: { enabled: [true] } },
        event: anEvent({ enabled: true }),
        matches: true,
      },
      {
        name: "does not match the JSON literal true against the string 'true'",
        pattern: { detail: { enabled: [true] } },
        event: anEvent({ enabled: "true" }),
        matches: false,
      },
      {
        name: "matches an entry of a list of operators and values (any entry may match)",
        pattern: { detail: { file: ["readme", { suffix: ".png" }] } },
        event: anEvent({ file: "logo.png" }),
        matches: true,
      },
      {
        name: "does not match a field whose value is an object where the pattern expects a value",
        pattern: { detail: { state: ["running"] } },
        event: anEvent({ state: { name: "running" } }),
        matches: false,
      },
      {
        name: "does not treat inherited object members as event fields",
        pattern: { detail: { constructor: [{ exists: true }] } },
        event: anEvent({}),
        matches: false,
      },
    ],
  },
  {
    topic: "arrays",
    cases: [
      {
        name: "matches when the pattern list and the event array intersect",
        pattern: {
          resources: [
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
          ],
        },
        event: anEvent(
          {},
          {
            resources: [
              "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x",
              "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            ],
          },
        ),
        matches: true,
      },
      {
        name: "does not match when the pattern list and the event array are disjoint",
        pattern: { resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"] },
        event: anEvent({}, { resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-other"] }),
        matches: false,
      },
      {
        name: "matches through nested arrays",
        pattern: { detail: { tags: ["b"] } },
        event: anEvent({ tags: [["a"], ["b"]] }),
        matches: true,
      },
      {
        name: "does not match an empty event array",
        pattern: { detail: { tags: ["a"] } },
        event: anEvent({ tags: [] }),
        matches: false,
      },
      {
        name: "matches a field of objects inside an array",
        pattern: { detail: { employees: { firstName: ["Anna"] } } },
        event: anEvent({
          employees: [
            { firstName: "John", lastName: "Doe" },
            { firstName: "Anna", lastName: "Smith" },
          ],
        }),
        matches: true,
      },
      {
        name: "matches several fields when one array element holds them all",
        pattern: { detail: { employees: { firstName: ["Anna"], lastName: ["Smith"] } } },
        event: anEvent({
          employees: [
            { firstName: "John", lastName: "Doe" },
            { firstName: "Anna", lastName: "Smith" },
          ],
        }),
        matches: true,
      },
      {
        name: "does not combine fields from different array elements (array consistency)",
        pattern: { detail: { employees: { firstName: ["Anna"], lastName: ["Jones"] } } },
        event: anEvent({
          employees: [
            { firstName: "Anna", lastName: "Smith" },
            { firstName: "Peter", lastName: "Jones" },
          ],
        }),
        matches: false,
      },
      {
        name: "keeps array consistency through arrays of arrays",
        pattern: { detail: { employees: { firstName: ["Anna"], lastName: ["Jones"] } } },
        event: anEvent({
          employees: [[{ firstName: "John", lastName: "Doe" }], [{ firstName: "Anna", lastName: "Jones" }]],
        }),
        matches: true,
      },
    ],
  },
  {
    topic: "null values and empty strings",
    cases: [
      {
        name: "matches a null value with null",
        pattern: { detail: { responseElements: [null] } },
        event: anEvent({ responseElements: null }),
        matches: true,
      },
      {
        name: "does not match a missing field with null",
        pattern: { detail: { responseElements: [null] } },
        event: anEvent({}),
        matches: false,
      },
      {
        name: "does not match an empty string with null",
        pattern: { detail: { responseElements: [null] } },
        event: anEvent({ responseElements: "" }),
        matches: false,
      },
      {
        name: "matches an empty string with an empty string",
        pattern: { detail: { lastName: [""] } },
        event: anEvent({ lastName: "" }),
        matches: true,
      },
      {
        name: "does not match null with an empty string",
        pattern: { detail: { lastName: [""] } },
        event: anEvent({ lastName: null }),
        matches: false,
      },
    ],
  },
  {
    topic: "prefix",
    cases: [
      {
        name: "matches a string that starts with the prefix",
        pattern: { time: [{ prefix: "2017-12-22" }] },
        event: anEvent(),
        matches: true,
      },
      {
        name: "does not match a string that starts otherwise",
        pattern: { time: [{ prefix: "2017-10-02" }] },
        event: anEvent(),
        matches: false,
      },
      {
        name: "does not match a number, even one whose digits start with the prefix",
        pattern: { detail: { code: [{ prefix: "12" }] } },
        event: anEvent({ code: 123 }),
        matches: false,
      },
      {
        name: "matches any string with an empty prefix",
        pattern: { detail: { code: [{ prefix: "" }] } },
        event: anEvent({ code: "anything" }),
        matches: true,
      },
      {
        name: "is case-sensitive",
        pattern: { detail: { service: [{ prefix: "EventB" }] } },
        event: anEvent({ service: "eventbridge" }),
        matches: false,
      },
      {
        name: "ignores case with equals-ignore-case inside",
        pattern: { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } },
        event: anEvent({ service: "EVENTBRIDGE" }),
        matches: true,
      },
      {
        name: "with equals-ignore-case, still requires the prefix",
        pattern: { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } },
        event: anEvent({ service: "Events" }),
        matches: false,
      },
      {
        name: "matches when any element of an event array starts with the prefix",
        pattern: { detail: { regions: [{ prefix: "us-" }] } },
        event: anEvent({ regions: ["eu-west-1", "us-east-1"] }),
        matches: true,
      },
    ],
  },
  {
    topic: "suffix",
    cases: [
      {
        name: "matches a string that ends with the suffix",
        pattern: { detail: { FileName: [{ suffix: ".png" }] } },
        event: anEvent({ FileName: "image.png" }),
        matches: true,
      },
      {
        name: "does not match a string that ends otherwise",
        pattern: { detail: { FileName: [{ suffix: ".png" }] } },
        event: anEvent({ FileName: "image.jpg" }),
        matches: false,
      },
      {
        name: "is case-sensitive",
        pattern: { detail: { FileName: [{ suffix: ".png" }] } },
        event: anEvent({ FileName: "IMAGE.PNG" }),
        matches: false,
      },
      {
        name: "ignores case with equals-ignore-case inside",
        pattern: { detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } },
        event: anEvent({ FileName: "IMAGE.PNG" }),
        matches: true,
      },
      {
        name: "does not match a number",
        pattern: { detail: { code: [{ suffix: "5" }] } },
        event: anEvent({ code: 15 }),
        matches: false,
      },
    ],
  },
  {
    topic: "equals-ignore-case",
    cases: [
      {
        name: "matches the same string in another case",
        pattern: { detail: { name: [{ "equals-ignore-case": "alice" }] } },
        event: anEvent({ name: "Alice" }),
        matches: true,
      },
      {
        name: "does not match a longer string",
        pattern: { detail: { name: [{ "equals-ignore-case": "alice" }] } },
        event: anEvent({ name: "Alicia" }),
        matches: false,
      },
      {
        name: "does not match a non-string",
        pattern: { detail: { flag: [{ "equals-ignore-case": "true" }] } },
        event: anEvent({ flag: true }),
        matches: false,
      },
    ],
  },
  {
    // EventBridge (Event Ruler) names a field by its path joined with dots, in patterns and events
    // alike; the first two cases were checked against AWS with TestEventPattern.
    topic: "field names joined with dots",
    cases: [
      {
        name: "a dotted pattern field matches the nested event field",
        pattern: { detail: { "state.status": ["running"] } },
        event: anEvent({ state: { status: "running" } }),
        matches: true,
      },
      {
        name: "a nested pattern field matches an event key with a dot",
        pattern: { detail: { state: { status: ["running"] } } },
        event: anEvent({ "state.status": "running" }),
        matches: true,
      },
      {
        name: "a dotted pattern field matches an event key with the same dots",
        pattern: { detail: { "state.status": ["running"] } },
        event: anEvent({ "state.status": "running" }),
        matches: true,
      },
      {
        name: "a dotted pattern field does not match another value",
        pattern: { detail: { "state.status": ["running"] } },
        event: anEvent({ state: { status: "stopped" } }),
        matches: false,
      },
      {
        name: "dotted and nested fields of one object are matched together",
        pattern: { detail: { "state.status": ["running"], state: { reason: ["user"] } } },
        event: anEvent({ "state.reason": "user", state: { status: "running" } }),
        matches: true,
      },
    ],
  },
  {
    topic: "wildcard",
    cases: [
      {
        name: "matches a string fitting the wildcard",
        pattern: { detail: { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] } },
        event: anEvent({ EventBusArn: "arn:aws:events:us-east-1:123456789012:event-bus/orders" }),
        matches: true,
      },
      {
        name: "does not match a string that does not fit",
        pattern: { detail: { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] } },
        event: anEvent({ EventBusArn: "arn:aws:events:eu-west-1:123456789012:event-bus/orders" }),
        matches: false,
      },
      {
        name: "lets * stand for an empty run",
        pattern: { detail: { key: [{ wildcard: "a*b*c" }] } },
        event: anEvent({ key: "abc" }),
        matches: true,
      },
      {
        name: "keeps the literal parts in order",
        pattern: { detail: { key: [{ wildcard: "a*b*c" }] } },
        event: anEvent({ key: "acb" }),
        matches: false,
      },
      {
        name: "anchors both ends",
        pattern: { detail: { key: [{ wildcard: "*.png" }] } },
        event: anEvent({ key: "a.png.bak" }),
        matches: false,
      },
      {
        name: "matches the empty string with a lone *",
        pattern: { detail: { key: [{ wildcard: "*" }] } },
        event: anEvent({ key: "" }),
        matches: true,
      },
      {
        name: "does not match a number, even with a lone *",
        pattern: { detail: { key: [{ wildcard: "*" }] } },
        event: anEvent({ key: 42 }),
        matches: false,
      },
      {
        name: "reads \\* as a literal asterisk",
        pattern: { detail: { key: [{ wildcard: "a\\*b" }] } },
        event: anEvent({ key: "a*b" }),
        matches: true,
      },
      {
        name: "does not let an escaped asterisk match other characters",
        pattern: { detail: { key: [{ wildcard: "a\\*b" }] } },
        event: anEvent({ key: "axb" }),
        matches: false,
      },
      {
        name: "reads \\\\ as a literal backslash",
        pattern: { detail: { key: [{ wildcard: "dir\\\\*" }] } },
        event: anEvent({ key: "dir\\file" }),
        matches: true,
      },
      {
        name: "is case-sensitive",
        pattern: { detail: { key: [{ wildcard: "*.PNG" }] } },
        event: anEvent({ key: "logo.png" }),
        matches: false,
      },
    ],
  },
  {
    topic: "anything-but",
    cases: [
      {
        name: "matches a string other than the excluded one",
        pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
        event: anEvent({ state: "running" }),
        matches: true,
      },
      {
        name: "does not match the excluded string",
        pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
        event: anEvent({ state: "initializing" }),
        matches: false,
      },
      {
        name: "does not match a missing field",
        pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
        event: anEvent({}),
        matches: false,
      },
      {
        name: "matches a value of another type (a number is not the excluded string)",
        pattern: { detail: { state: [{ "anything-but": "5" }] } },
        event: anEvent({ state: 5 }),
        matches: true,
      },
      {
        name: "matches null (null is not the excluded string)",
        pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
        event: anEvent({ state: null }),
        matches: true,
      },
      {
        name: "matches a number other than the excluded one",
        pattern: { detail: { "x-limit": [{ "anything-but": 123 }] } },
        event: anEvent({ "x-limit": 124 }),
        matches: true,
      },
      {
        name: "does not match the excluded number",
        pattern: { detail: { "x-limit": [{ "anything-but": 123 }] } },
        event: anEvent({ "x-limit": 123 }),
        matches: false,
      },
      {
        name: "does not match any string of an excluded list",
        pattern: { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } },
        event: anEvent({ state: "overloaded" }),
        matches: false,
      },
      {
        name: "matches a string outside an excluded list",
        pattern: { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } },
        event: anEvent({ state: "running" }),
        matches: true,
      },
      {
        name: "does not match any number of an excluded list",
        pattern: { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
        event: anEvent({ "x-limit": 200 }),
        matches: false,
      },
      {
        name: "matches a number outside an excluded list",
        pattern: { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
        event: anEvent({ "x-limit": 150 }),
        matches: true,
      },
      {
        name: "matches when any element of an event array is not excluded",
        pattern: { detail: { state: [{ "anything-but": "stopped" }] } },
        event: anEvent({ state: ["stopped", "running"] }),
        matches: true,
      },
      {
        name: "does not match when every element of an event array is excluded",
        pattern: { detail: { state: [{ "anything-but": "stopped" }] } },
        event: anEvent({ state: ["stopped", "stopped"] }),
        matches: false,
      },
      {
        name: "with prefix, does not match a string that starts with it",
        pattern: { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
        event: anEvent({ state: "initializing" }),
        matches: false,
      },
      {
        name: "with prefix, matches a string that starts otherwise",
        pattern: { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
        event: anEvent({ state: "running" }),
        matches: true,
      },
      {
        name: "with prefix, matches a number",
        pattern: { detail: { state: [{ "anything-but": { prefix: "1" } }] } },
        event: anEvent({ state: 123 }),
        matches: true,
      },
      {
        name: "with a prefix list, does not match a string starting with any of them",
        pattern: { detail: { Region: [{ "anything-but": { prefix: ["us-", "eu-"] } }] } },
        event: anEvent({ Region: "eu-west-1" }),
        matches: false,
      },
      {
        name: "with suffix, does not match a string that ends with it",
        pattern: { detail: { FileName: [{ "anything-but": { suffix: ".png" } }] } },
        event: anEvent({ FileName: "logo.png" }),
        matches: false,
      },
      {
        name: "with suffix, matches a string that ends otherwise",
        pattern: { detail: { FileName: [{ "anything-but": { suffix: ".png" } }] } },
        event: anEvent({ FileName: "logo.jpg" }),
        matches: true,
      },
      {
        name: "with equals-ignore-case, does not match the excluded string in any case",
        pattern: { detail: { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] } },
        event: anEvent({ state: "INITIALIZING" }),
        matches: false,
      },
      {
        name: "with an equals-ignore-case list, matches a string outside it",
        pattern: {
          detail: { state: [{ "anything-but": { "equals-ignore-case": ["initializing", "stopped"] } }] },
        },
        event: anEvent({ state: "Running" }),
        matches: true,
      },
      {
        name: "with wildcard, does not match a string fitting it",
        pattern: { detail: { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] } },
        event: anEvent({ FilePath: "/usr/lib/libc.so" }),
        matches: false,
      },
      {
        name: "with a wildcard list, matches a string fitting none of them",
        pattern: { detail: { FilePath: [{ "anything-but": { wildcard: ["*/lib/*", "*/bin/*"] } }] } },
        event: anEvent({ FilePath: "/etc/hosts" }),
        matches: true,
      },
    ],
  },
  {
    topic: "numeric",
    cases: [
      {
        name: "matches inside a half-open range",
        pattern: { detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } },
        event: anEvent({ "c-count": 5 }),
        matches: true,
      },
      {
        name: "does not match the open end of a range",
        pattern: { detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } },
        event: anEvent({ "c-count": 0 }),
        matches: false,
      },
      {
        name: "does not match above a range",
        pattern: { detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } },
        event: anEvent({ "c-count": 5.5 }),
        matches: false,
      },
      {
        name: "does not match a numeric string",
        pattern: { detail: { "c-count": [{ numeric: [">", 0, "<=", 5] }] } },
        event: anEvent({ "c-count": "3" }),
        matches: false,
      },
      {
        name: "matches below an upper bound",
        pattern: { detail: { "d-count": [{ numeric: ["<", 10] }] } },
        event: anEvent({ "d-count": 9.999999 }),
        matches: true,
      },
      {
        name: "does not match at an exclusive upper bound",
        pattern: { detail: { "d-count": [{ numeric: ["<", 10] }] } },
        event: anEvent({ "d-count": 10 }),
        matches: false,
      },
      {
        name: "matches at an inclusive lower bound",
        pattern: { detail: { "d-count": [{ numeric: [">=", 10] }] } },
        event: anEvent({ "d-count": 10 }),
        matches: true,
      },
      {
        name: "matches equality written in exponent form",
        pattern: { detail: { "x-limit": [{ numeric: ["=", 3.018e2] }] } },
        event: anEvent({ "x-limit": 301.8 }),
        matches: true,
      },
      {
        name: "compares to six decimals",
        pattern: { detail: { "x-limit": [{ numeric: ["=", 1] }] } },
        event: anEvent({ "x-limit": 1.0000004 }),
        matches: true,
      },
      {
        name: "matches negative numbers near the bottom of the range",
        pattern: { detail: { delta: [{ numeric: ["<", 0] }] } },
        event: anEvent({ delta: -4.5e9 }),
        matches: true,
      },
      {
        name: "does not match numbers beyond the documented ±5e9",
        pattern: { detail: { bytes: [{ numeric: [">", 0] }] } },
        event: anEvent({ bytes: 6e9 }),
        matches: false,
      },
      {
        name: "matches when any element of an event array is in range",
        pattern: { detail: { sizes: [{ numeric: [">", 10] }] } },
        event: anEvent({ sizes: [1, 20] }),
        matches: true,
      },
    ],
  },
  {
    topic: "cidr (IP address matching)",
    cases: [
      {
        name: "matches an IPv4 address inside the block",
        pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
        event: anEvent({ sourceIPAddress: "10.0.0.255" }),
        matches: true,
      },
      {
        name: "does not match an IPv4 address outside the block",
        pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
        event: anEvent({ sourceIPAddress: "10.0.1.0" }),
        matches: false,
      },
      {
        name: "ignores host bits set in the block's address",
        pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.7/24" }] } },
        event: anEvent({ sourceIPAddress: "10.0.0.1" }),
        matches: true,
      },
      {
        name: "does not match a string that is not an address",
        pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/8" }] } },
        event: anEvent({ sourceIPAddress: "10.example.com" }),
        matches: false,
      },
      {
        name: "matches an IPv6 address inside the block",
        pattern: { detail: { sourceIPAddress: [{ cidr: "2001:db8::/32" }] } },
        event: anEvent({ sourceIPAddress: "2001:db8:1::1" }),
        matches: true,
      },
      {
        name: "does not match an IPv6 address outside the block",
        pattern: { detail: { sourceIPAddress: [{ cidr: "2001:db8::/32" }] } },
        event: anEvent({ sourceIPAddress: "2001:db9::1" }),
        matches: false,
      },
      {
        name: "does not match an IPv6 address against an IPv4 block",
        pattern: { detail: { sourceIPAddress: [{ cidr: "0.0.0.0/0" }] } },
        event: anEvent({ sourceIPAddress: "::1" }),
        matches: false,
      },
      {
        name: "matches an exact address written another way (IPv6 compression and case)",
        pattern: { detail: { sourceIPAddress: ["2001:DB8:0:0:0:0:0:1"] } },
        event: anEvent({ sourceIPAddress: "2001:db8::1" }),
        matches: true,
      },
    ],
  },
  {
    topic: "exists",
    cases: [
      {
        name: "exists: true matches a present field",
        pattern: { detail: { "c-count": [{ exists: true }] } },
        event: anEvent({ "c-count": 1 }),
        matches: true,
      },
      {
        name: "exists: true does not match a missing field",
        pattern: { detail: { "c-count": [{ exists: true }] } },
        event: anEvent({}),
        matches: false,
      },
      {
        name: "exists: true matches a field whose value is null",
        pattern: { detail: { "c-count": [{ exists: true }] } },
        event: anEvent({ "c-count": null }),
        matches: true,
      },
      {
        name: "exists: true does not match an object, which is not a leaf",
        pattern: { detail: { "c-count": [{ exists: true }] } },
        event: anEvent({ "c-count": { c1: 100 } }),
        matches: false,
      },
      {
        name: "exists: true does not match an empty array, which holds no value",
        pattern: { detail: { "c-count": [{ exists: true }] } },
        event: anEvent({ "c-count": [] }),
        matches: false,
      },
      {
        name: "exists: false matches a missing field",
        pattern: { detail: { "c-count": [{ exists: false }] } },
        event: anEvent({ state: ["initializing", "running"] }),
        matches: true,
      },
      {
        name: "exists: false does not match a present field",
        pattern: { detail: { "c-count": [{ exists: false }] } },
        event: anEvent({ "c-count": 0 }),
        matches: false,
      },
      {
        name: "exists: false matches a field whose value is an object (the documented leaf-only rule)",
        pattern: { detail: { "c-count": [{ exists: false }] } },
        event: anEvent({ "c-count": { c1: 100 } }),
        matches: true,
      },
      {
        name: "exists: false matches when the parent object is missing",
        pattern: { detail: { instance: { "c-count": [{ exists: false }] } } },
        event: anEvent({ state: "running" }),
        matches: true,
      },
      {
        name: "exists: false matches under an empty array, which holds no object",
        pattern: { detail: { items: { sku: [{ exists: false }] } } },
        event: anEvent({ items: [] }),
        matches: true,
      },
      {
        name: "exists: false does not match when the array element holds the field",
        pattern: { detail: { items: { sku: [{ exists: false }] } } },
        event: anEvent({ items: [{ sku: "ABC" }] }),
        matches: false,
      },
      {
        name: "exists: false, or a value, matches either (a list is a union)",
        pattern: { detail: { state: [{ exists: false }, "running"] } },
        event: anEvent({ state: "running" }),
        matches: true,
      },
    ],
  },
  {
    topic: "$or",
    cases: [
      {
        name: "matches through the first alternative",
        pattern: {
          source: ["aws.cloudwatch"],
          $or: [{ metricName: ["CPUUtilization", "ReadLatency"] }, { namespace: ["AWS/EC2", "AWS/ES"] }],
        },
        event: anEvent({}, { source: "aws.cloudwatch", metricName: "ReadLatency" }),
        matches: true,
      },
      {
        name: "matches through the second alternative",
        pattern: {
          source: ["aws.cloudwatch"],
          $or: [{ metricName: ["CPUUtilization", "ReadLatency"] }, { namespace: ["AWS/EC2", "AWS/ES"] }],
        },
        event: anEvent({}, { source: "aws.cloudwatch", namespace: "AWS/ES" }),
        matches: true,
      },
      {
        name: "does not match when no alternative does",
        pattern: {
          source: ["aws.cloudwatch"],
          $or: [{ metricName: ["CPUUtilization", "ReadLatency"] }, { namespace: ["AWS/EC2", "AWS/ES"] }],
        },
        event: anEvent({}, { source: "aws.cloudwatch", namespace: "AWS/S3" }),
        matches: false,
      },
      {
        name: "still requires the fields outside the $or",
        pattern: {
          source: ["aws.cloudwatch"],
          $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }],
        },
        event: anEvent({}, { metricName: "CPUUtilization" }),
        matches: false,
      },
      {
        name: "requires every field of an alternative",
        pattern: {
          source: ["aws.cloudwatch"],
          $or: [{ metricName: ["CPUUtilization"] }, { metricType: ["MetricType"], namespace: ["AWS/EC2"] }],
        },
        event: anEvent({}, { source: "aws.cloudwatch", metricType: "MetricType", namespace: "AWS/ES" }),
        matches: false,
      },
      {
        name: "nests: an alternative may hold its own $or",
        pattern: {
          source: ["aws.cloudwatch"],
          $or: [
            { metricName: ["CPUUtilization"] },
            { namespace: ["AWS/EC2"], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
          ],
        },
        event: anEvent({}, { source: "aws.cloudwatch", namespace: "AWS/EC2", spaceId: 1000 }),
        matches: true,
      },
      {
        name: "works inside a nested object, and several $or combine with AND",
        pattern: {
          $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }],
          detail: {
            $or: [{ source: ["aws.cloudwatch"] }, { "detail-type": ["CloudWatch Alarm State Change"] }],
          },
        },
        event: anEvent({ source: "aws.s3" }, { namespace: "AWS/EC2" }),
        matches: false,
      },
      {
        name: "matches when every $or of the pattern has a matching alternative",
        pattern: {
          $or: [{ metricName: ["CPUUtilization"] }, { namespace: ["AWS/EC2"] }],
          detail: {
            $or: [{ source: ["aws.cloudwatch"] }, { "detail-type": ["CloudWatch Alarm State Change"] }],
          },
        },
        event: anEvent({ source: "aws.cloudwatch" }, { namespace: "AWS/EC2" }),
        matches: true,
      },
      {
        name: "expresses 'missing or a value' with exists: false in one alternative",
        pattern: { $or: [{ detail: { reason: [{ exists: false }] } }, { detail: { reason: ["timeout"] } }] },
        event: anEvent({}),
        matches: true,
      },
    ],
  },
  {
    topic: "operators combined (the user guide's complex example)",
    cases: [
      {
        name: "matches when every condition holds",
        pattern: {
          time: [{ prefix: "2017-12-22" }],
          detail: {
            state: [{ "anything-but": "initializing" }],
            "c-count": [{ numeric: [">", 0, "<=", 5] }],
            "d-count": [{ numeric: ["<", 10] }],
            "x-limit": [{ "anything-but": [100, 200, 300] }],
            "source-ip": [{ cidr: "10.0.0.0/8" }],
          },
        },
        event: anEvent({
          state: "running",
          "c-count": 5,
          "d-count": 3,
          "x-limit": 301.8,
          "source-ip": "10.0.0.33",
        }),
        matches: true,
      },
      {
        name: "does not match when one condition fails",
        pattern: {
          time: [{ prefix: "2017-12-22" }],
          detail: {
            state: [{ "anything-but": "initializing" }],
            "c-count": [{ numeric: [">", 0, "<=", 5] }],
            "x-limit": [{ "anything-but": [100, 200, 300] }],
          },
        },
        event: anEvent({ state: "running", "c-count": 5, "x-limit": 300 }),
        matches: false,
      },
    ],
  },
];

describe.each(matrices)("EventBridge pattern semantics: $topic", ({ cases }) => {
  it.each(cases)("$name", ({ pattern, event, matches }) => {
    const compiled = compilePattern(pattern);
    const index = new RuleIndex<string>();
    index.add("rule", compiled, "target");

    expect(compiled.matches(event)).toBe(matches);
    expect(index.match(event)).toEqual(matches ? ["target"] : []);
  });
});

describe("events that are not JSON objects", () => {
  it.each([null, "text", 42, [anEvent()]])(
    "match no pattern, even one of exists: false only (%j)",
    (event) => {
      expect(compilePattern({ detail: [{ exists: false }] }).matches(event)).toBe(false);
    },
  );
});

/** Patterns EventBridge refuses, with the message AWS answers (PutRule and TestEventPattern). */
const refusals: readonly { readonly name: string; readonly pattern: object; readonly message: string }[] = [
  {
    name: "wildcards too complex to match (checked against AWS)",
    pattern: { EventBusArn: [{ wildcard: "*:*:*:*:*:event-bus/*" }] },
    message:
      "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
  },
  {
    name: "too complex wildcards inside anything-but",
    pattern: { detail: { arn: [{ "anything-but": { wildcard: ["*:*:*:*:*:*"] } }] } },
    message:
      "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
  },
  {
    name: "wildcards of one field that are too complex together, across $or",
    pattern: {
      $or: [
        { detail: { key: [{ wildcard: "*a*a*a" }] } },
        { detail: { key: [{ wildcard: "*a*a*a*" }] }, source: ["my.app"] },
      ],
    },
    message:
      "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
  },
];

describe("patterns EventBridge refuses, with its message", () => {
  it.each(refusals)("$name", ({ pattern, message }) => {
    const refused = () => compilePattern(pattern);

    expect(refused).toThrow(InvalidEventPatternError);
    expect(refused).toThrow(message);
    expect(() => testEventPattern(JSON.stringify(pattern), JSON.stringify(anEvent()))).toThrow(message);
  });

  it.each([["arn:aws:events:us-east-1:*:event-bus/*"], ["*:*:*:*:*"], ["*/lib/*"], ["*a*a*a*"]])(
    "accepts the wildcard %s, within the complexity limit",
    (wildcard) => {
      expect(() => compilePattern({ detail: { key: [{ wildcard }] } })).not.toThrow();
    },
  );
});
