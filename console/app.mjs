import dagre from "@dagrejs/dagre";
import addFormats from "ajv-formats";
import { html } from "htm/preact";
import { render } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { createAjvValidator, createJSONEditor } from "vanilla-jsoneditor";
import { eventsMatching, flowTimeline, formatAge, mergeLive, topologyGraph } from "./model.mjs";

const API = "/console/api";

async function getJson(path, init) {
  const response = await fetch(`${API}/${path}`, init);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

/** The live stream: metrics every second and accepted events; reconnects by itself. */
function useLive() {
  const [state, setState] = useState({ connected: false, metrics: undefined, events: [] });
  useEffect(() => {
    const source = new EventSource(`${API}/stream`);
    source.onopen = () => setState((s) => ({ ...s, connected: true }));
    source.onerror = () => setState((s) => ({ ...s, connected: false }));
    source.addEventListener("metrics", (m) =>
      setState((s) => ({ ...s, connected: true, metrics: JSON.parse(m.data) })),
    );
    source.addEventListener("event", (m) =>
      setState((s) => ({ ...s, events: mergeLive(s.events, [JSON.parse(m.data)], 200) })),
    );
    return () => source.close();
  }, []);
  return state;
}

function navigate(path) {
  history.pushState(null, "", path);
  dispatchEvent(new PopStateEvent("popstate"));
}

function Link({ href, children, active }) {
  return html`<a href=${href} class=${active ? "active" : ""} onClick=${(e) => {
    e.preventDefault();
    navigate(href);
  }}>${children}</a>`;
}

const NODE_WIDTH = 250;
const NODE_HEIGHT = 46;

/** Lays the topology graph out left to right with dagre and draws it as SVG. */
function TopologyGraph({ graph }) {
  const layout = new dagre.graphlib.Graph();
  layout.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 48 });
  layout.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) layout.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of graph.edges) layout.setEdge(edge.from, edge.to);
  dagre.layout(layout);
  const { width, height } = layout.graph();
  return html`<svg class="topology" width=${width + 20} height=${height + 20} viewBox=${`-10 -10 ${width + 20} ${height + 20}`}>
    ${graph.edges.map((edge) => {
      const points = layout.edge(edge.from, edge.to)?.points ?? [];
      return html`<polyline class=${edge.dashed ? "edge dashed" : "edge"} points=${points.map((p) => `${p.x},${p.y}`).join(" ")} />`;
    })}
    ${graph.nodes.map((node) => {
      const { x, y } = layout.node(node.id);
      return html`<g class=${`node-${node.kind}${node.alarm ? " alarm" : ""}`} data-node=${node.kind} data-label=${node.label} transform=${`translate(${x - NODE_WIDTH / 2},${y - NODE_HEIGHT / 2})`}>
        <rect width=${NODE_WIDTH} height=${NODE_HEIGHT} rx="6" />
        <text x="8" y="18" class="label">${node.label.slice(0, 38)}</text>
        <text x="8" y="36" class="detail">${node.detail}${node.alarm ? " — ALARM" : ""}</text>
      </g>`;
    })}
  </svg>`;
}

function Topology({ metrics }) {
  const [topology, setTopology] = useState();
  const [error, setError] = useState();
  useEffect(() => {
    getJson("topology").then(setTopology, (e) => setError(e.message));
  }, []);
  if (error) return html`<p class="failed">${error}</p>`;
  if (!topology) return html`<p class="muted">Loading…</p>`;
  return html`<section>
    <h2>${topology.stackName}</h2>
    <p class="muted">Accepted since start: ${metrics?.accepted ?? 0}; failed handlings: ${metrics?.failedHandlings ?? 0}. Dashed: where failures go.</p>
    <${TopologyGraph} graph=${topologyGraph(topology, metrics)} />
    <h2>Rules</h2>
    ${topology.rules.map((rule) => html`<div class="card" data-rule=${rule.name}><b>${rule.name}</b> <span class="muted">matched ${metrics?.matchedByRule?.[rule.name] ?? 0}</span><pre>${JSON.stringify(rule.pattern)}</pre></div>`)}
  </section>`;
}

function EventRow({ event }) {
  const [open, setOpen] = useState(false);
  return html`<tr>
    <td>${event.time}</td>
    <td><a href="#" onClick=${(e) => {
      e.preventDefault();
      setOpen(!open);
    }}>${event.detailType}</a></td>
    <td>${event.source}</td>
    <td>${event.correlationId ? html`<${Link} href=${`/console/flow/${encodeURIComponent(event.correlationId)}`}>flow</${Link}>` : ""}</td>
  </tr>
  ${open ? html`<tr><td colspan="4"><pre>${JSON.stringify(event.detail, null, 2)}</pre></td></tr>` : null}`;
}

function Events({ live }) {
  const [filter, setFilter] = useState({ detailType: "", source: "", text: "" });
  const [initial, setInitial] = useState([]);
  useEffect(() => {
    getJson("events?limit=200").then(
      (b) => setInitial(b.events),
      () => {},
    );
  }, []);
  const events = eventsMatching(mergeLive(initial, live.events, 200), filter);
  const field = (name) =>
    html`<input placeholder=${name} value=${filter[name]} onInput=${(e) => setFilter({ ...filter, [name]: e.currentTarget.value })} />`;
  return html`<section>
    <h2>Live events</h2>
    <p>${field("detailType")} ${field("source")} ${field("text")} <span class="muted">${live.metrics?.leftOut ? `(${live.metrics.leftOut} more in the last second, not shown)` : ""}</span></p>
    <table><thead><tr><th>time</th><th>detail-type</th><th>source</th><th></th></tr></thead>
    <tbody>${events.map((event) => html`<${EventRow} key=${event.id} event=${event} />`)}</tbody></table>
  </section>`;
}

function Flow({ correlationId }) {
  const [flow, setFlow] = useState();
  const [error, setError] = useState();
  useEffect(() => {
    let stopped = false;
    const load = () =>
      getJson(`flow/${encodeURIComponent(correlationId)}`).then(
        (f) => !stopped && setFlow(f),
        (e) => !stopped && setError(e.message),
      );
    load();
    const timer = setInterval(load, 1000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [correlationId]);
  if (error) return html`<p class="failed">${error}</p>`;
  if (!flow) return html`<p class="muted">Loading…</p>`;
  const timeline = flowTimeline(flow);
  return html`<section>
    <h2>Flow ${correlationId}</h2>
    ${timeline.events.length === 0 ? html`<p class="muted">No event with this correlation id is kept (the console keeps the last ${flow.kept} events).</p>` : null}
    ${timeline.events.map(
      (event) => html`<div class="card" data-event=${event.detailType}>
      <b>${event.detailType}</b> <span class="muted">${event.source} · ${event.eventId ?? event.id}${event.causationId ? ` · caused by ${event.causationId}` : ""}</span>
      <ol class="timeline">${event.rows.map((row) => html`<li class=${row.failed ? "failed" : ""}><span class="at">+${row.offsetMs} ms</span>${row.text}</li>`)}</ol>
      ${event.logs.length > 0 ? html`<details open=${event.rows.some((r) => r.failed)}><summary>consumer log lines (${event.logs.length})</summary><pre>${event.logs.map((l) => `${l.functionName} | ${l.message}`).join("\n")}</pre></details>` : null}
    </div>`,
    )}
  </section>`;
}

function DeadLetterQueues() {
  const [dlqs, setDlqs] = useState();
  const [message, setMessage] = useState("");
  const [peeked, setPeeked] = useState();
  const load = useCallback(
    () =>
      getJson("dlqs").then(
        (b) => setDlqs(b.deadLetterQueues),
        (e) => setMessage(e.message),
      ),
    [],
  );
  useEffect(() => {
    load();
    const t = setInterval(load, 2000);
    return () => clearInterval(t);
  }, [load]);
  const redrive = async (name, max) => {
    if (!confirm(max === 1 ? `Redrive one message of ${name}?` : `Redrive every message of ${name}?`)) return;
    try {
      const result = await getJson("redrive", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(max === undefined ? { dlq: name } : { dlq: name, max }),
      });
      setMessage(result.message);
    } catch (e) {
      setMessage(e.message);
    }
    load();
  };
  const peek = async (name) => {
    try {
      setPeeked({ name, ...(await getJson(`peek?dlq=${encodeURIComponent(name)}`)) });
    } catch (e) {
      setMessage(e.message);
    }
  };
  if (!dlqs) return html`<p class="muted">Loading…</p>`;
  return html`<section>
    <h2>Dead-letter queues</h2>
    ${message ? html`<p class="card" id="dlq-message">${message}</p>` : null}
    <table><thead><tr><th>DLQ</th><th>depth</th><th>in flight</th><th>oldest</th><th></th></tr></thead>
    <tbody>${dlqs.map(
      (d) => html`<tr data-dlq=${d.name} class=${d.depth > 0 ? "failed" : ""}>
      <td>${d.name}</td><td>${d.depth}</td><td>${d.inFlight}</td><td>${formatAge(d.oldestAgeMs)}</td>
      <td><button onClick=${() => peek(d.name)}>peek</button> <button onClick=${() => redrive(d.name, 1)}>redrive one</button> <button onClick=${() => redrive(d.name)}>redrive all</button></td>
    </tr>`,
    )}</tbody></table>
    ${
      peeked
        ? html`<div class="card"><b>${peeked.name}</b>: ${peeked.messages.length} message(s)
      ${peeked.messages.map((m) => html`<pre>${JSON.stringify(m, null, 2)}</pre>`)}</div>`
        : null
    }
  </section>`;
}

function Publish() {
  const [types, setTypes] = useState();
  const [selected, setSelected] = useState();
  const [result, setResult] = useState();
  const [editor, setEditor] = useState();
  const host = useRef();
  useEffect(() => {
    getJson("catalog").then(
      (b) => {
        setTypes(b.eventTypes);
        setSelected(b.eventTypes[0]?.detailType);
      },
      (e) => setResult({ error: e.message }),
    );
  }, []);
  const type = types?.find((t) => t.detailType === selected);
  useEffect(() => {
    if (!type || !host.current) return undefined;
    const created = createJSONEditor({
      target: host.current,
      props: {
        content: { json: type.example },
        mode: "text",
        mainMenuBar: false,
        validator: createAjvValidator({ schema: type.editorSchema, onCreateAjv: (ajv) => addFormats(ajv) }),
      },
    });
    setEditor(created);
    return () => created.destroy();
  }, [type]);
  const send = async () => {
    setResult(undefined);
    let data;
    try {
      const content = editor.get();
      data = content.json !== undefined ? content.json : JSON.parse(content.text);
    } catch (e) {
      return setResult({ error: `The data is not JSON: ${e.message}` });
    }
    const response = await fetch(`${API}/publish`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ detailType: selected, data }),
    });
    setResult(await response.json());
  };
  if (!types) return html`<p class="muted">Loading…</p>`;
  return html`<section>
    <h2>Publish</h2>
    <p><select id="publish-type" value=${selected} onChange=${(e) => {
      setResult(undefined);
      setSelected(e.currentTarget.value);
    }}>${types.map((t) => html`<option value=${t.detailType}>${t.detailType}</option>`)}</select>
      <span class="muted"> ${type?.source} · ${type?.description}</span></p>
    <div ref=${host} class="editor" id="publish-editor"></div>
    <p><button id="publish-send" onClick=${send}>Publish to the bus</button></p>
    ${result?.error ? html`<div class="card failed" id="publish-result">${result.error}${result.issues ? html`<ul>${result.issues.map((i) => html`<li>${i}</li>`)}</ul>` : null}</div>` : null}
    ${result?.eventId ? html`<div class="card" id="publish-result">Published ${result.eventId}. <${Link} href=${`/console/flow/${encodeURIComponent(result.correlationId)}`}>Follow its flow</${Link}></div>` : null}
  </section>`;
}

function Replay() {
  const [subscriptions, setSubscriptions] = useState([]);
  const [chosen, setChosen] = useState([]);
  const [from, setFrom] = useState("1h");
  const [to, setTo] = useState("now");
  const [answer, setAnswer] = useState();
  const [status, setStatus] = useState();
  useEffect(() => {
    getJson("subscriptions").then(
      (b) => setSubscriptions(b.subscriptions),
      () => {},
    );
  }, []);
  useEffect(() => {
    if (!answer?.name) return undefined;
    const load = () => getJson(`replay?name=${encodeURIComponent(answer.name)}`).then(setStatus, () => {});
    load();
    const timer = setInterval(load, 1000);
    return () => clearInterval(timer);
  }, [answer?.name]);
  const call = async (dryRun) => {
    setStatus(undefined);
    const response = await fetch(`${API}/replay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ from, to, subscriptions: chosen, dryRun }),
    });
    setAnswer({ ...(await response.json()), dryRun });
  };
  const toggle = (name) =>
    setChosen(chosen.includes(name) ? chosen.filter((n) => n !== name) : [...chosen, name]);
  return html`<section>
    <h2>Replay from the archive</h2>
    <p>From <input id="replay-from" value=${from} onInput=${(e) => setFrom(e.currentTarget.value)} /> to <input id="replay-to" value=${to} onInput=${(e) => setTo(e.currentTarget.value)} />
      <span class="muted"> (2h, 30m, 1d or an ISO time)</span></p>
    <p>To: ${subscriptions.map((name) => html`<label><input type="checkbox" checked=${chosen.includes(name)} onChange=${() => toggle(name)} /> ${name} </label>`)}<span class="muted">(none: every rule)</span></p>
    <p><button id="replay-dry-run" onClick=${() => call(true)}>Dry run</button> <button id="replay-start" onClick=${() => confirm("Start the replay?") && call(false)}>Start</button></p>
    ${answer?.error ? html`<p class="card failed" id="replay-result">${answer.error}</p>` : null}
    ${answer && !answer.error && answer.dryRun ? html`<p class="card" id="replay-result">${answer.events} event(s) in the window (counted from ${answer.countedWith}); nothing was replayed.</p>` : null}
    ${answer && !answer.error && !answer.dryRun ? html`<p class="card" id="replay-result">Replay ${answer.name}: ${status?.state ?? answer.state}${status?.progress !== undefined ? ` (${Math.round(status.progress * 100)}%)` : ""}</p>` : null}
  </section>`;
}

/** A result as CSV (RFC 4180 quoting), for the download link. */
function toCsv(columns, rows) {
  const cell = (value) =>
    value === null || value === undefined
      ? ""
      : /[",\n]/.test(String(value))
        ? `"${String(value).replaceAll('"', '""')}"`
        : String(value);
  return [columns, ...rows].map((row) => row.map(cell).join(",")).join("\n");
}

function Audit() {
  const [queries, setQueries] = useState([]);
  const [sql, setSql] = useState(
    "SELECT detail_type, count(*) AS events FROM audit_events GROUP BY 1 ORDER BY 2 DESC",
  );
  const [result, setResult] = useState();
  useEffect(() => {
    getJson("saved-queries").then(
      (b) => setQueries(b.savedQueries),
      () => {},
    );
  }, []);
  const run = async (query, params) => {
    setResult({ running: true });
    const response = await fetch(`${API}/audit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, params }),
    });
    setResult(await response.json());
  };
  const runSaved = (q) => {
    const params = {};
    for (const p of q.parameters.filter((p) => p.type === "text")) {
      const value = prompt(`${q.name}: ${p.name}`, p.example);
      if (value === null) return;
      params[p.name] = value;
    }
    run(q.name, params);
  };
  const csv = result?.columns
    ? URL.createObjectURL(new Blob([toCsv(result.columns, result.rows)], { type: "text/csv" }))
    : undefined;
  return html`<section>
    <h2>Audit</h2>
    <p>Saved queries: ${queries.map((q) => html`<button title=${q.description} data-query=${q.name} onClick=${() => runSaved(q)}>${q.name}</button> `)}</p>
    <p><textarea id="audit-sql" rows="4" cols="100" value=${sql} onInput=${(e) => setSql(e.currentTarget.value)}></textarea><br />
      <button id="audit-run" onClick=${() => run(sql, {})}>Run SQL</button> <span class="muted">DuckDB over the local audit files, as <code>eventrail audit query --local</code></span></p>
    ${result?.running ? html`<p class="muted">Running…</p>` : null}
    ${result?.error ? html`<p class="card failed" id="audit-error">${result.error}</p>` : null}
    ${
      result?.columns
        ? html`<p><a href=${csv} download="audit.csv">Download CSV</a> <span class="muted">${result.rows.length} row(s)</span></p>
      <table id="audit-result"><thead><tr>${result.columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
      <tbody>${result.rows.map((row) => html`<tr>${row.map((v) => html`<td>${v}</td>`)}</tr>`)}</tbody></table>`
        : null
    }
  </section>`;
}

function App() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = () => setPath(location.pathname);
    addEventListener("popstate", on);
    return () => removeEventListener("popstate", on);
  }, []);
  const live = useLive();
  const flowMatch = path.match(/^\/console\/flow\/(.+)$/);
  const routes = [
    ["/console/events", () => html`<${Events} live=${live} />`],
    ["/console/dlqs", () => html`<${DeadLetterQueues} />`],
    ["/console/replay", () => html`<${Replay} />`],
    ["/console/audit", () => html`<${Audit} />`],
    ["/console/publish", () => html`<${Publish} />`],
  ];
  const route = routes.find(([prefix]) => path.startsWith(prefix));
  const view = flowMatch
    ? html`<${Flow} correlationId=${decodeURIComponent(flowMatch[1])} />`
    : route
      ? route[1]()
      : html`<${Topology} metrics=${live.metrics} />`;
  return html`<header>
      <b>eventrail</b>
      <${Link} href="/console" active=${path === "/console" || path === "/console/"}>Topology</${Link}>
      <${Link} href="/console/events" active=${path.startsWith("/console/events")}>Events</${Link}>
      <${Link} href="/console/dlqs" active=${path.startsWith("/console/dlqs")}>DLQs</${Link}>
      <${Link} href="/console/replay" active=${path.startsWith("/console/replay")}>Replay</${Link}>
      <${Link} href="/console/audit" active=${path.startsWith("/console/audit")}>Audit</${Link}>
      <${Link} href="/console/publish" active=${path.startsWith("/console/publish")}>Publish</${Link}>
      <span id="connection" class=${`status ${live.connected ? "" : "down"}`}>${live.connected ? "live" : "reconnecting…"}</span>
    </header>
    <main>${view}</main>`;
}

render(html`<${App} />`, document.getElementById("app"));
