/**
 * Test events shaped like the EC2 example of the EventBridge user guide: every envelope field
 * TestEventPattern requires, with `detail` and any envelope field replaceable.
 */
export function anEvent(
  detail: Record<string, unknown> = {},
  envelope: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    source: "aws.ec2",
    account: "111122223333",
    time: "2017-12-22T18:43:48Z",
    region: "us-west-1",
    resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    detail,
    ...envelope,
  };
}

/** One row of a conformance matrix: the pattern, the event, and whether EventBridge matches them. */
export interface MatchCase {
  readonly name: string;
  readonly pattern: Record<string, unknown>;
  readonly event: Record<string, unknown>;
  readonly matches: boolean;
}
