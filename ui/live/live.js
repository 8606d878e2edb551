// Live sliders (ui/live.py): drag a value and the charts redraw on every pointer move, looked up in
// runs the server computed for every value (viz/live.py packs them); no optimizer runs here and
// nothing is sent while dragging. On release (debounced) the values go to the server once.
//
// The message: uint32 length of a JSON header, the header, padding to 8 bytes, float64 arrays.
// header.sliders[s] = {key, label, values, texts, index}; header.updates[s][v] = what the charts
// show with slider s at value v and the others where they stand: {c, t, x, y, a} restyles trace t
// of chart c, {c, tail, marker, s, x, y, n} rewrites the animation frames of one run.

const RELEASE_MS = 350; // quiet time after a release (or a key press) before the server is told
const LABEL_MS = 150; // names and legends follow once the pointer has rested this long
const STATE = new WeakMap(); // parentElement -> the component's state, kept across reruns

function decode(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
  const start = 4 + length + ((8 - ((4 + length) % 8)) % 8);
  // A copy, so that the float64 view is aligned whatever the message's offset in its buffer.
  const floats = new Float64Array(bytes.slice(start).buffer);
  return { header, floats };
}

function graphDiv(selector) {
  return document.querySelector(`${selector} .js-plotly-plot`);
}

function array(floats, ref) {
  return floats.subarray(ref[0], ref[0] + ref[1]);
}

// The position in sorted `steps` of `step`, or of the last step when `step` is beyond it.
function position(steps, step) {
  let low = 0;
  let high = steps.length - 1;
  if (step >= steps[high]) return high;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (steps[mid] < step) low = mid + 1;
    else high = mid;
  }
  return low;
}

function rewriteFrames(div, op, floats) {
  const frames = div._transitionData && div._transitionData._frames;
  if (!frames || !frames.length) return;
  const steps = array(floats, op.s);
  const xs = array(floats, op.x);
  const ys = array(floats, op.y);
  const shown = frames.map((frame) => position(steps, Number(frame.name)));
  frames.forEach((frame, k) => {
    const tail = frame.traces.indexOf(op.tail);
    const marker = frame.traces.indexOf(op.marker);
    if (tail < 0 || marker < 0) return;
    const kept = shown.slice(Math.max(0, k - op.n), k + 1);
    const at = kept[kept.length - 1];
    frame.data[tail] = { ...frame.data[tail], x: kept.map((p) => xs[p]), y: kept.map((p) => ys[p]) };
    frame.data[marker] = { ...frame.data[marker], x: [xs[at]], y: [ys[at]] };
  });
}

// Every chart's traces as they are at these updates. Paths move with Plotly.animate (redraw off:
// only the moved traces are recomputed and redrawn, a fraction of a restyle's full replot);
// names, symbols and hover texts, which need the legend redrawn, follow once the pointer rests.
const STILL = { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" };

function byChart(ops) {
  const charts = new Map();
  for (const op of ops) {
    if (!charts.has(op.c)) charts.set(op.c, []);
    charts.get(op.c).push(op);
  }
  return charts;
}

function draw(ops, floats, charts) {
  const Plotly = window.Plotly;
  if (!Plotly) return null;
  const drawn = [];
  for (const [chart, list] of byChart(ops)) {
    const div = graphDiv(charts[chart]);
    if (!div || !div._fullLayout) continue;
    for (const op of list) if (op.tail !== undefined) rewriteFrames(div, op, floats);
    const traces = list.filter((op) => op.t !== undefined);
    const data = traces.map((op) => ({ x: array(floats, op.x), y: array(floats, op.y) }));
    drawn.push(Plotly.animate(div, { data, traces: traces.map((op) => op.t) }, STILL));
  }
  return Promise.all(drawn);
}

function label(ops, charts) {
  const Plotly = window.Plotly;
  if (!Plotly) return;
  for (const [chart, list] of byChart(ops)) {
    const div = graphDiv(charts[chart]);
    if (!div || !div._fullLayout) continue;
    const traces = list.filter((op) => op.t !== undefined && Object.keys(op.a).length);
    const changed = traces.filter((op) =>
      Object.entries(op.a).some(([name, value]) => attribute(div.data[op.t], name) !== value)
    );
    if (!changed.length) continue;
    const update = {};
    for (const name of new Set(changed.flatMap((op) => Object.keys(op.a)))) {
      update[name] = changed.map((op) => op.a[name]); // undefined: left as it is
    }
    Plotly.restyle(div, update, changed.map((op) => op.t));
  }
}

function attribute(trace, path) {
  return path.split(".").reduce((node, part) => (node == null ? node : node[part]), trace);
}

function create(parentElement) {
  const root = document.createElement("div");
  root.className = "live";
  parentElement.appendChild(root);
  const state = {
    root,
    rows: new Map(), // slider key -> {row, input, output}
    message: null,
    sent: null, // the values last sent, awaiting the server's answer
    timer: null,
    dragging: null,
    pendingFrame: 0,
    dirty: false, // moved again since this frame's drawing
    since: null, // timeStamp of the first input not yet drawn
    touched: new Set(), // sliders moved since their value was last sent: a rerun must not undo them
    setTriggerValue: null,
  };
  return state;
}

function indices(state) {
  return state.message.header.sliders.map((s) => Number(state.rows.get(s.key).input.value));
}

// Which slider is away from where the server left it (at most one: the others wait).
function moved(state) {
  const sliders = state.message.header.sliders;
  const now = indices(state);
  return sliders.findIndex((s, i) => now[i] !== s.index);
}

function refresh(state) {
  const { header } = state.message;
  const now = indices(state);
  const away = moved(state);
  header.sliders.forEach((s, i) => {
    const { input, output } = state.rows.get(s.key);
    output.textContent = s.texts[now[i]];
    input.setAttribute("aria-valuetext", s.texts[now[i]]);
    input.dataset.value = String(s.values[now[i]]);
    // The other sliders' runs were computed with this one where the server left it.
    const wait = away >= 0 && away !== i;
    input.disabled = wait;
    input.closest(".row").classList.toggle("waiting", wait);
  });
}

// Draw at once (Chromium already delivers pointer moves once per frame), then at most once more
// per animation frame for whatever arrived meanwhile.
function redraw(state, since) {
  if (state.since === null) state.since = since;
  if (state.pendingFrame) {
    state.dirty = true;
    return;
  }
  paint(state);
  state.pendingFrame = requestAnimationFrame(() => {
    state.pendingFrame = 0;
    if (state.dirty) {
      state.dirty = false;
      redraw(state, state.since);
    }
  });
}

function paint(state) {
  const { header, floats } = state.message;
  const away = moved(state);
  const slider = away >= 0 ? away : 0;
  const ops = header.updates[slider][indices(state)[slider]];
  refresh(state);
  const first = state.since;
  state.since = null;
  const drawn = draw(ops, floats, header.charts);
  if (!drawn) return;
  clearTimeout(state.labelTimer);
  state.labelTimer = setTimeout(() => label(ops, header.charts), LABEL_MS);
  drawn.then(() => {
    const done = performance.now();
    requestAnimationFrame(() => {
      const detail = { since: first, drawn: done, painted: performance.now() };
      document.dispatchEvent(new CustomEvent("live-drawn", { detail })); // bench_live times it
    });
  });
}

function release(state) {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => {
    state.timer = null;
    if (state.dragging !== null) return;
    const { sliders } = state.message.header;
    const now = indices(state);
    const values = Object.fromEntries(sliders.map((s, i) => [s.key, s.values[now[i]]]));
    // What the server will show: the values last sent, else where it left the sliders.
    const expected = state.sent || Object.fromEntries(sliders.map((s) => [s.key, s.values[s.index]]));
    state.touched.clear();
    if (JSON.stringify(values) === JSON.stringify(expected)) return;
    state.sent = values;
    state.setTriggerValue("release", values);
  }, RELEASE_MS);
}

function valueAt(input, clientX) {
  const box = input.getBoundingClientRect();
  const thumb = 8; // half the thumb: the ends of the track are its centre's ends
  const fraction = (clientX - box.left - thumb) / Math.max(1, box.width - 2 * thumb);
  const last = Number(input.max);
  return Math.min(last, Math.max(0, Math.round(fraction * last)));
}

function buildRow(state, slider) {
  const row = document.createElement("div");
  row.className = "row";
  const label = document.createElement("label");
  const name = document.createElement("span");
  const output = document.createElement("output");
  const input = document.createElement("input");
  input.type = "range";
  input.min = "0";
  input.step = "1";
  label.append(name, output);
  row.append(label, input);
  // Pointer events for mouse, pen and touch alike: the value under the pointer, every move.
  input.addEventListener("pointerdown", (event) => {
    if (input.disabled || event.button !== 0) return;
    event.preventDefault();
    clearTimeout(state.timer);
    input.focus();
    input.setPointerCapture(event.pointerId);
    state.dragging = event.pointerId;
    const index = valueAt(input, event.clientX);
    if (index !== Number(input.value)) {
      input.value = String(index);
      state.touched.add(slider.key);
      redraw(state, event.timeStamp);
    }
  });
  input.addEventListener("pointermove", (event) => {
    if (state.dragging !== event.pointerId) return;
    const index = valueAt(input, event.clientX);
    if (index !== Number(input.value)) {
      input.value = String(index);
      state.touched.add(slider.key);
      redraw(state, event.timeStamp);
    }
  });
  const end = (event) => {
    if (state.dragging !== event.pointerId) return;
    state.dragging = null;
    release(state);
  };
  input.addEventListener("pointerup", end);
  input.addEventListener("pointercancel", end);
  input.addEventListener("mousedown", (event) => event.preventDefault()); // no native drag too
  input.addEventListener("touchstart", (event) => event.preventDefault(), { passive: false });
  // The keyboard (arrows, Home, End, Page keys) moves the native input: one value per key.
  input.addEventListener("input", (event) => {
    state.touched.add(slider.key);
    redraw(state, event.timeStamp);
  });
  input.addEventListener("change", () => {
    if (state.dragging === null) release(state);
  });
  return { row, name, output, input };
}

function load(state, bytes) {
  const message = decode(bytes);
  const previous = state.message;
  state.message = message;
  state.sent = null;
  const keys = message.header.sliders.map((s) => s.key);
  for (const [key, parts] of state.rows) {
    if (!keys.includes(key)) {
      parts.row.remove();
      state.rows.delete(key);
    }
  }
  message.header.sliders.forEach((s) => {
    let parts = state.rows.get(s.key);
    if (!parts) {
      parts = buildRow(state, s);
      state.rows.set(s.key, parts);
    }
    state.root.appendChild(parts.row); // in the message's order
    parts.name.textContent = s.label;
    parts.input.setAttribute("aria-label", s.label);
    parts.input.max = String(s.values.length - 1);
    // A slider moved since its value was last sent (held, or a key pressed while the page
    // reran) keeps its value, and its release follows; the others show where the server left them.
    const keep = state.touched.has(s.key) && previous && sameValues(previous.header, s);
    if (!keep) parts.input.value = String(s.index);
  });
  refresh(state);
  if (moved(state) >= 0) redraw(state, performance.now());
}

function sameValues(header, slider) {
  const old = header.sliders.find((s) => s.key === slider.key);
  return old && old.values.length === slider.values.length && old.values.every((v, i) => v === slider.values[i]);
}

function sameBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let state = STATE.get(parentElement);
  if (!state) {
    state = create(parentElement);
    STATE.set(parentElement, state);
  }
  state.setTriggerValue = setTriggerValue;
  if (data && !sameBytes(data, state.bytes)) {
    state.bytes = data;
    load(state, data);
  }
  return () => {
    clearTimeout(state.timer);
    clearTimeout(state.labelTimer);
  };
}
