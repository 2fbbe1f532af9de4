/** The console's view logic, without the DOM: unit-tested in test/console. */

/** `incoming` events before `current` ones, newest first, each id once, at most `limit`. */
export function mergeLive(current, incoming, limit) {
  const seen = new Set();
  const merged = [];
  for (const event of [...[...incoming].reverse(), ...current]) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    merged.push(event);
    if (merged.length >= limit) break;
  }
  return merged;
}

/** The events that pass the filters: exact detail-type and source, text anywhere in the detail. */
export function eventsMatching(events, filter) {
  const text = (filter.text ?? "").toLowerCase();
  return events.filter(
    (event) =>
      (!filter.detailType || event.detailType === filter.detailType) &&
      (!filter.source || event.source === filter.source) &&
      (!text || JSON.stringify(event.detail).toLowerCase().includes(text)),
  );
}

/** A duration as the DLQ table shows it. */
export function formatAge(ms) {
  if (ms === undefined || ms === null) return "n/a";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function describeStep(step) {
  switch (step.kind) {
    case "accepted":
      return { text: `accepted on bus ${step.bus}`, failed: false };
    case "matched":
      return { text: `matched rule ${step.rule}`, failed: false };
    case "delivered":
      return {
        text: step.ok
          ? `delivered to ${step.target.split(":").at(-1)}`
          : `NOT delivered to ${step.target.split(":").at(-1)}: ${step.detail ?? ""}`,
        failed: !step.ok,
      };
    case "received":
      return { text: `received by ${step.functionName} (receive count ${step.receiveCount})`, failed: false };
    case "handled":
      return {
        text: step.ok
          ? `handled by ${step.functionName} in ${Math.round(step.durationMs)} ms`
          : `FAILED in ${step.functionName} after ${Math.round(step.durationMs)} ms: ${step.error ?? ""}`,
        failed: !step.ok,
      };
    default:
      return { text: step.kind, failed: false };
  }
}

/**
 * A flow answer as the timeline shows it: each event (in acceptance order) with its steps as rows
 * timed from the flow's first step, the follow-ups it caused, and the log lines of its invocations.
 */
export function flowTimeline(flow) {
  const start = Math.min(...flow.events.flatMap((event) => event.steps.map((step) => step.at)));
  const events = flow.events.map((event) => {
    const requestIds = new Set(event.steps.map((step) => step.requestId).filter((id) => id !== undefined));
    const followUps = flow.events.filter(
      (other) => other.causationId !== undefined && other.causationId === event.eventId,
    );
    const rows = [...event.steps]
      .sort((a, b) => a.at - b.at)
      .map((step) => ({ offsetMs: step.at - start, ...describeStep(step) }));
    for (const followUp of followUps) {
      const at = followUp.steps[0]?.at ?? start;
      rows.push({ offsetMs: at - start, text: `published follow-up ${followUp.detailType}`, failed: false });
    }
    rows.sort((a, b) => a.offsetMs - b.offsetMs);
    return { ...event, rows, logs: flow.logs.filter((line) => requestIds.has(line.requestId)) };
  });
  return { events };
}

/**
 * The topology as a graph: the bus, its archive and audit stream, each rule, each target (queue,
 * delivery stream), each queue's DLQ and rule-target DLQ and each consumer, with the live numbers
 * on them; a DLQ holding messages is an alarm. Positions come from the layout library.
 */
export function topologyGraph(topology, metrics) {
  const nodes = [];
  const edges = [];
  const live = (arn) => metrics?.queues?.find((q) => q.arn === arn) ?? { visible: 0, inFlight: 0 };
  const short = (arn) => arn.split(/[:/]/).at(-1);
  const add = (node) => {
    if (!nodes.some((n) => n.id === node.id)) nodes.push(node);
  };
  // A DLQ and the dashed edge from what fails into it; holding messages, it is an alarm.
  const deadLetter = (from, arn, label) => {
    const depth = live(arn).visible;
    add({ id: arn, kind: "dlq", label, detail: `${depth} message(s)`, alarm: depth > 0 });
    edges.push({ from, to: arn, dashed: true });
  };
  for (const bus of topology.buses)
    add({ id: bus.arn, kind: "bus", label: `bus ${bus.name}`, detail: `${metrics?.accepted ?? 0} accepted` });
  const busArn = (name) => topology.buses.find((b) => b.name === name)?.arn ?? name;
  for (const archive of topology.archives) {
    add({ id: `archive:${archive.name}`, kind: "archive", label: `archive ${archive.name}`, detail: "" });
    edges.push({ from: busArn(archive.bus), to: `archive:${archive.name}` });
  }
  for (const rule of topology.rules) {
    const ruleId = `rule:${rule.name}`;
    add({
      id: ruleId,
      kind: "rule",
      label: `rule ${short(rule.name)}`,
      detail: `${metrics?.matchedByRule?.[rule.name] ?? 0} matched`,
    });
    edges.push({ from: busArn(rule.bus), to: ruleId });
    for (const target of rule.targets) {
      const queue = topology.queues.find((q) => q.arn === target.arn);
      if (queue) {
        const q = live(queue.arn);
        add({
          id: queue.arn,
          kind: "queue",
          label: `queue ${short(queue.name)}`,
          detail: `${q.visible} waiting, ${q.inFlight} in flight`,
        });
        if (queue.deadLetterArn) deadLetter(queue.arn, queue.deadLetterArn, "DLQ");
        for (const consumer of topology.consumers.filter((c) => c.queueArn === queue.arn)) {
          add({
            id: `fn:${consumer.functionName}`,
            kind: "function",
            label: `λ ${short(consumer.functionName)}`,
            detail: `batch ${consumer.batchSize}`,
          });
          edges.push({ from: queue.arn, to: `fn:${consumer.functionName}` });
        }
      } else {
        const stream = topology.deliveryStreams.find((s) => s.arn === target.arn);
        add({
          id: target.arn,
          kind: stream ? "stream" : target.kind,
          label: stream ? `audit stream → ${stream.bucket}` : `${target.kind} ${short(target.arn)}`,
          detail: "",
        });
      }
      edges.push({ from: ruleId, to: target.arn });
      if (target.deadLetterArn) deadLetter(ruleId, target.deadLetterArn, "rule-target DLQ");
    }
  }
  // The transactional outbox: the functions that write it, its table, the pipe and the bus it feeds.
  for (const pipe of topology.pipes ?? []) {
    const tableId = `table:${pipe.tableName}`;
    const pipeId = `pipe:${pipe.name}`;
    add({ id: tableId, kind: "table", label: `outbox ${short(pipe.tableName)}`, detail: "stream" });
    add({
      id: pipeId,
      kind: "pipe",
      label: `pipe ${short(pipe.name)}`,
      detail:
        pipe.state === "RUNNING" ? `${pipe.backlog} to deliver` : `${pipe.state}, ${pipe.backlog} to deliver`,
      alarm: pipe.state !== "RUNNING",
    });
    for (const writer of pipe.writers) {
      add({ id: `fn:${writer}`, kind: "function", label: `λ ${short(writer)}`, detail: "" });
      edges.push({ from: `fn:${writer}`, to: tableId });
    }
    edges.push({ from: tableId, to: pipeId });
    edges.push({ from: pipeId, to: pipe.busArn });
    if (pipe.deadLetterArn) deadLetter(pipeId, pipe.deadLetterArn, "pipe DLQ");
  }
  return { nodes, edges };
}
