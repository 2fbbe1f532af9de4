import { Duration, Stack } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { AWS_LIMITS, wholeNumberOutOfRange } from "../aws-limits";

/** Properties of {@link EventBackboneBus}. */
export interface EventBackboneBusProps {
  /**
   * Name of the custom event bus.
   * @default "eventrail"
   */
  readonly eventBusName?: string;
  /**
   * Principals allowed to call PutEvents on the bus, beyond the grants given to this stack's own
   * consumers. Name other accounts or roles here to let them publish.
   * @default - this account only
   */
  readonly publisherPrincipals?: readonly iam.IPrincipal[];
  /**
   * How long the archive keeps events for replay. `Duration.days(0)` keeps them forever.
   * @default Duration.days(90)
   */
  readonly archiveRetention?: Duration;
}

/**
 * The custom event bus (classic EventBridge: rules, targets, archive, replay), its resource policy
 * and an archive of every event.
 *
 * The archive's pattern matches every event of this account; EventBridge's managed archive rule
 * itself leaves out replayed events, so a replay never re-archives what it replays.
 */
export class EventBackboneBus extends Construct {
  /** The bus producers publish to. */
  public readonly eventBus: events.EventBus;
  /** Every event published on the bus, the source of replays. */
  public readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: EventBackboneBusProps = {}) {
    super(scope, id);
    const eventBusName = props.eventBusName ?? "eventrail";
    if (!/^[A-Za-z0-9._-]{1,256}$/.test(eventBusName) || eventBusName === "default") {
      throw new Error(
        `EventBackboneBus: eventBusName "${eventBusName}" is invalid; expected 1-256 letters, digits, '.', '_' or '-', and not "default" (this project needs its own bus)`,
      );
    }
    const retention = props.archiveRetention ?? Duration.days(90);
    const retentionProblem = wholeNumberOutOfRange(
      "archiveRetention",
      retention.toDays({ integral: false }),
      { ...AWS_LIMITS.eventBridgeArchiveRetentionDays, defaultValue: "90 days" },
    );
    if (retentionProblem !== undefined) {
      throw new Error(`EventBackboneBus: ${retentionProblem}`);
    }

    this.eventBus = new events.EventBus(this, "Bus", { eventBusName });

    const principals = props.publisherPrincipals ?? [new iam.AccountRootPrincipal()];
    if (principals.length === 0) {
      throw new Error(
        "EventBackboneBus: publisherPrincipals is empty; name at least one principal, or leave it out to allow this account",
      );
    }
    this.eventBus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "AllowNamedPublishers",
        principals: [...principals],
        actions: ["events:PutEvents"],
        resources: [this.eventBus.eventBusArn],
      }),
    );

    this.archive = this.eventBus.archive("Archive", {
      archiveName: `${eventBusName}-all`,
      description: `Every event on ${eventBusName}, for replay`,
      eventPattern: { account: [Stack.of(this).account] },
      retention,
    });
  }
}
