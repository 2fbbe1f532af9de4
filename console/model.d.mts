/** Types of the console's view logic (console/model.mjs), for its unit tests. */
export interface ViewEvent {
  readonly id: string;
  readonly detailType: string;
  readonly source: string;
  readonly detail: unknown;
  readonly eventId?: string;
  readonly causationId?: string;
  readonly steps: readonly { readonly kind: string; readonly at: number; readonly [key: string]: unknown }[];
}
export function mergeLive<E extends { readonly id: string }>(
  current: readonly E[],
  incoming: readonly E[],
  limit: number,
): E[];
export function eventsMatching<E extends ViewEvent>(
  events: readonly E[],
  filter: { readonly detailType?: string; readonly source?: string; readonly text?: string },
): E[];
export function formatAge(ms: number | undefined): string;
export function flowTimeline(flow: {
  readonly events: readonly ViewEvent[];
  readonly logs: readonly {
    readonly requestId: string;
    readonly functionName: string;
    readonly message: string;
  }[];
}): {
  events: (ViewEvent & {
    rows: { offsetMs: number; text: string; failed: boolean }[];
    logs: { requestId: string; functionName: string; message: string }[];
  })[];
};
export interface GraphNode {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly detail: string;
  readonly alarm?: boolean;
}
export function topologyGraph(
  topology: unknown,
  metrics: unknown,
): { nodes: GraphNode[]; edges: { from: string; to: string; dashed?: boolean }[] };
