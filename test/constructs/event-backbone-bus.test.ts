import { App, Duration, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { EventBackboneBus, type EventBackboneBusProps } from "../../lib/constructs/event-backbone-bus";

function busWith(props: EventBackboneBusProps): Template {
  const stack = new Stack(new App(), "Bus");
  new EventBackboneBus(stack, "Bus", props);
  return Template.fromStack(stack);
}

describe("EventBackboneBus", () => {
  it("keeps the archive for the retention given, in whole days, and 0 for ever", () => {
    // Act
    const forever = busWith({ archiveRetention: Duration.days(0) });
    const twoWeeks = busWith({ archiveRetention: Duration.days(14) });

    // Assess
    forever.hasResourceProperties("AWS::Events::Archive", { RetentionDays: 0 });
    twoWeeks.hasResourceProperties("AWS::Events::Archive", { RetentionDays: 14 });
  });

  it("refuses an archive retention that is not a whole number of days, naming the value, the range and the fix", () => {
    // Act
    const act = () => busWith({ archiveRetention: Duration.hours(36) });

    // Assess
    expect(act).toThrow(
      "EventBackboneBus: archiveRetention is 1.5 days; expected a whole number of days, at least 0 (EventBridge's limit; 0 keeps forever); set archiveRetention within that range, or leave it out for the default, 90 days",
    );
  });
});
