import { type Clock, systemClock } from "../clock";
import type { ArchiveStore } from "./archive-store";
import type { BusEvent } from "./bus-event";

/** The states of a replay, as EventBridge names them. */
export type ReplayState = "STARTING" | "RUNNING" | "CANCELLING" | "COMPLETED" | "CANCELLED" | "FAILED";

/** A replay and its progress. */
export interface Replay {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly archive: ArchiveStore;
  readonly destinationBusArn: string;
  /** Rule ARNs the replay is limited to; empty means every rule of the bus. */
  readonly filterArns: readonly string[];
  readonly eventStartTime: Date;
  readonly eventEndTime: Date;
  readonly replayStartTime: Date;
  state: ReplayState;
  stateReason?: string;
  eventLastReplayedTime?: Date;
  replayEndTime?: Date;
  replayedCount: number;
}

/** Re-injects one replayed event into the destination bus, limited to the given rules. */
export type ReplayInjector = (
  event: BusEvent,
  destinationBusArn: string,
  filterArns: readonly string[],
) => Promise<void>;

/** Properties of {@link ReplayManager}. */
export interface ReplayManagerProps {
  readonly accountId: string;
  readonly region: string;
  readonly inject: ReplayInjector;
  /** Stamps the replays' start and end. @default systemClock */
  readonly clock?: Clock;
  /** Receives progress lines for the log. */
  readonly onProgress?: (replay: Replay) => void;
}

/**
 * Runs replays from archives: reads the window's events from the archive and re-injects each with
 * `replay-name` set, to every rule of the source bus or only the chosen ones. Replayed events are
 * not archived again (the archive refuses events that carry `replay-name`).
 */
export class ReplayManager {
  private readonly replays = new Map<string, Replay>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly props: ReplayManagerProps) {}

  private now(): Date {
    return new Date((this.props.clock ?? systemClock).now());
  }

  /** Starts a replay; it runs in the background. */
  public start(input: {
    name: string;
    description?: string;
    archive: ArchiveStore;
    destinationBusArn: string;
    filterArns: readonly string[];
    eventStartTime: Date;
    eventEndTime: Date;
  }): Replay {
    const replay: Replay = {
      ...input,
      arn: `arn:aws:events:${this.props.region}:${this.props.accountId}:replay/${input.name}`,
      replayStartTime: this.now(),
      state: "STARTING",
      replayedCount: 0,
    };
    this.replays.set(input.name, replay);
    const run = this.run(replay).finally(() => this.running.delete(run));
    this.running.add(run);
    return replay;
  }

  public get(name: string): Replay | undefined {
    return this.replays.get(name);
  }

  public list(): Replay[] {
    return [...this.replays.values()];
  }

  /** Asks a running replay to stop; it stops before its next event. */
  public cancel(replay: Replay): void {
    replay.state = "CANCELLING";
  }

  /** Waits for every running replay to end. */
  public async idle(): Promise<void> {
    await Promise.all(this.running);
  }

  private async run(replay: Replay): Promise<void> {
    // Let StartReplay answer STARTING before the first event moves, as EventBridge does.
    await new Promise((resolve) => setImmediate(resolve));
    if (replay.state === "CANCELLING") return this.finish(replay, "CANCELLED");
    replay.state = "RUNNING";
    try {
      for await (const archived of replay.archive.between(replay.eventStartTime, replay.eventEndTime)) {
        if ((replay.state as ReplayState) === "CANCELLING") return this.finish(replay, "CANCELLED");
        const event: BusEvent = { ...archived.event, "replay-name": replay.name };
        await this.props.inject(event, replay.destinationBusArn, replay.filterArns);
        replay.replayedCount++;
        replay.eventLastReplayedTime = new Date(Date.parse(archived.event.time));
        this.props.onProgress?.(replay);
      }
      this.finish(replay, "COMPLETED");
    } catch (error) {
      replay.stateReason = error instanceof Error ? error.message : String(error);
      this.finish(replay, "FAILED");
    }
  }

  private finish(replay: Replay, state: ReplayState): void {
    replay.state = state;
    replay.replayEndTime = this.now();
    this.props.onProgress?.(replay);
  }
}
