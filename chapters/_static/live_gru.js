/*
 * A live GRU: the sentiment classifier of chapter 7, run in the reader's browser.
 *
 * Chapter 11 ("A live GRU") explains it. No library, no build step, no network: the model comes
 * from live_gru_model.js, written by utils.live.export_live_model when the book is built; it
 * sets window.LIVE_GRU_MODEL (a script, not a JSON file, because a page opened from disk may
 * not fetch() a file). This script computes, as the reader types:
 *
 *   1. the words: the steps of utils.text.standardize_review (lower case, <br /> and punctuation
 *      to spaces, apostrophes kept inside words only), split on spaces, as Keras'
 *      TextVectorization does in the saved model;
 *   2. the ids: 1 (start), then each word's id (2 for a word outside the vocabulary), cut to
 *      the model's maxlen (utils.text.ImdbIds);
 *   3. the GRU in Keras' reset_after=True form (utils.gru explains the layout), and the output
 *      unit applied to the state after every word: P(positive) if the review ended there.
 *
 * Everything the reader types is shown with textContent, never as HTML.
 * window.liveGru exposes the pieces for the book's browser test (tests/test_browser.py).
 */
(function () {
  "use strict";

  const root = document.getElementById("live-gru");
  const spec = window.LIVE_GRU_MODEL;
  if (!root) return;
  if (!spec) {
    root.textContent = "The live model (live_gru_model.js) did not load.";
    return;
  }

  // ---------------------------------------------------------------------------------------
  // 1. The model file: base64 little-endian float32 arrays, a vocabulary, the settings.
  // ---------------------------------------------------------------------------------------

  function decode(entry) {
    const bytes = atob(entry.data);
    const view = new DataView(new ArrayBuffer(bytes.length));
    for (let i = 0; i < bytes.length; i++) view.setUint8(i, bytes.charCodeAt(i));
    const values = new Float64Array(bytes.length / 4);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(4 * i, true);
    return values;  // row-major, shape entry.shape
  }

  const U = spec.units;
  const D = spec.arrays.embedding.shape[1];
  const W = {};
  for (const name of Object.keys(spec.arrays)) W[name] = decode(spec.arrays[name]);
  const wordId = new Map(spec.vocabulary.map((word, k) => [word, k + spec.ids.first_word]));
  const steps = spec.standardize.steps.map(
    ([pattern, replacement]) => [new RegExp(pattern, spec.standardize.flags), replacement]);
  const model = {maxlen: spec.maxlen, truncating: spec.truncating};

  // ---------------------------------------------------------------------------------------
  // 2. Text to words to ids.
  // ---------------------------------------------------------------------------------------

  function standardize(text) {
    let s = text.toLowerCase();
    for (const [re, replacement] of steps) s = s.replace(re, replacement);
    return s;
  }

  function words(text) {
    // After standardisation the only whitespace left is the plain space.
    return standardize(text).split(" ").filter((w) => w.length > 0);
  }

  // The ids the model reads and the word shown for each: [start] first, cut to maxlen.
  function encode(text) {
    const all = words(text);
    let ids = [spec.ids.start];
    let shown = ["[start]"];
    for (const w of all) {
      ids.push(wordId.has(w) ? wordId.get(w) : spec.ids.oov);
      shown.push(w);
    }
    const cut = Math.max(0, ids.length - model.maxlen);
    if (model.truncating === "pre") {
      ids = ids.slice(cut);
      shown = shown.slice(cut);
    } else {
      ids = ids.slice(0, model.maxlen);
      shown = shown.slice(0, model.maxlen);
    }
    return {ids, words: shown, cut};
  }

  // ---------------------------------------------------------------------------------------
  // 3. The forward pass: Embedding -> GRU (reset_after=True) -> Dense(1, sigmoid).
  // ---------------------------------------------------------------------------------------

  const sigmoid = (a) => 1 / (1 + Math.exp(-a));

  // Returns z, r, h as Float64Arrays of shape (time, U) and the running probability p (time).
  function forward(ids) {
    const T = ids.length;
    const z = new Float64Array(T * U), r = new Float64Array(T * U), h = new Float64Array(T * U);
    const p = new Float64Array(T);
    const K = W.kernel, R = W.recurrent_kernel, B = W.bias, E = W.embedding;
    const fromX = new Float64Array(3 * U), fromH = new Float64Array(3 * U);
    let prev = new Float64Array(U);  // h_0 = 0
    for (let t = 0; t < T; t++) {
      // x W + b (input bias, row 0 of the bias) and h_{t-1} U + c (recurrent bias, row 1).
      const x = ids[t] * D;
      for (let j = 0; j < 3 * U; j++) { fromX[j] = B[j]; fromH[j] = B[3 * U + j]; }
      for (let i = 0; i < D; i++) {
        const xi = E[x + i], row = i * 3 * U;
        for (let j = 0; j < 3 * U; j++) fromX[j] += xi * K[row + j];
      }
      for (let i = 0; i < U; i++) {
        const hi = prev[i], row = i * 3 * U;
        for (let j = 0; j < 3 * U; j++) fromH[j] += hi * R[row + j];
      }
      // Gates in Keras' order z | r | h; the reset gate scales the recurrent part only.
      const o = t * U;
      let logit = W.dense_bias[0];
      for (let u = 0; u < U; u++) {
        const zu = sigmoid(fromX[u] + fromH[u]);
        const ru = sigmoid(fromX[U + u] + fromH[U + u]);
        const candidate = Math.tanh(fromX[2 * U + u] + ru * fromH[2 * U + u]);
        const hu = zu * prev[u] + (1 - zu) * candidate;
        z[o + u] = zu; r[o + u] = ru; h[o + u] = hu;
        logit += hu * W.dense_kernel[u];
      }
      prev = h.subarray(o, o + U);
      p[t] = sigmoid(logit);
    }
    return {T, z, r, h, p};
  }

  function analyse(text) {
    const enc = encode(text);
    return Object.assign(enc, forward(enc.ids));
  }

  // ---------------------------------------------------------------------------------------
  // 4. The page: a text box, examples, P(positive), the words, the heat maps.
  // ---------------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;  // text, never HTML
    return node;
  }

  const style = el("style");
  style.textContent = `
    .live-gru textarea { width: 100%; font: inherit; padding: .4em; box-sizing: border-box; }
    .live-gru .lg-examples button { margin: 0 .4em .4em 0; font-size: .85em; }
    .live-gru .lg-verdict { font-size: 1.3em; margin: .4em 0; }
    .live-gru .lg-bar { height: .6em; background: #d7301f33; border-radius: 3px; }
    .live-gru .lg-bar div { height: 100%; background: #1a9850; border-radius: 3px; }
    .live-gru .lg-words { line-height: 2; margin: .6em 0; }
    .live-gru .lg-word { padding: .1em .25em; margin: 0 .1em; border-radius: 3px;
                         white-space: nowrap; }
    .live-gru .lg-oov { font-style: italic; text-decoration: underline dotted; }
    .live-gru .lg-start { opacity: .7; font-family: monospace; }
    .live-gru .lg-note { font-size: .85em; opacity: .8; }
    .live-gru .lg-maps { overflow-x: auto; }
    .live-gru canvas { display: block; margin: .2em 0 .6em 0; image-rendering: pixelated; }
    .live-gru .lg-hover { font-family: monospace; font-size: .85em; min-height: 1.4em; }`;
  root.classList.add("live-gru");
  root.textContent = "";  // drops the page's "needs JavaScript" message
  root.appendChild(style);

  const box = el("textarea");
  box.rows = 6;
  box.setAttribute("aria-label", "a movie review to classify");
  const examples = el("div", "lg-examples");
  (spec.examples || []).forEach((example, k) => {
    const button = el("button", "", `example ${k + 1}: ${example.slice(0, 28)}…`);
    button.type = "button";
    button.title = example;
    button.addEventListener("click", () => { box.value = example; update(); });
    examples.appendChild(button);
  });
  const verdict = el("div", "lg-verdict");
  verdict.setAttribute("aria-live", "polite");  // screen readers hear the new verdict
  const bar = el("div", "lg-bar");
  const barFill = el("div");
  bar.appendChild(barFill);
  const note = el("div", "lg-note");
  const wordsOut = el("div", "lg-words");
  const maps = el("div", "lg-maps");
  const hover = el("div", "lg-hover", "Point at a heat map to read a value.");
  const canvases = {};
  for (const [gate, label] of [["z", "update gate z (0 white … 1 dark)"],
                               ["r", "reset gate r (0 white … 1 dark)"],
                               ["h", "state h (−1 red … 0 white … +1 green)"]]) {
    maps.appendChild(el("div", "lg-note", `${label}; one row per unit, one column per word`));
    canvases[gate] = el("canvas");
    canvases[gate].dataset.gate = gate;
    maps.appendChild(canvases[gate]);
  }
  for (const node of [examples, box, verdict, bar, note, wordsOut, maps, hover]) {
    root.appendChild(node);
  }

  // Colours: green pushes towards positive, red towards negative (|change| 0.25 is full).
  function pushColour(change) {
    const a = Math.min(1, Math.abs(change) / 0.25) * 0.75;
    return change >= 0 ? `rgba(26, 152, 80, ${a})` : `rgba(215, 48, 31, ${a})`;
  }

  const CELL_H = 4;
  let current = null;

  function drawMap(canvas, values, T, diverging) {
    const cellW = Math.max(2, Math.min(14, Math.floor(720 / T)));
    canvas.width = T * cellW;
    canvas.height = U * CELL_H;
    canvas.dataset.cellW = cellW;
    const image = new ImageData(T, U);  // one pixel per (word, unit), scaled up below
    for (let t = 0; t < T; t++) {
      for (let u = 0; u < U; u++) {
        const v = values[t * U + u], k = 4 * (u * T + t);
        let rgb;
        if (diverging) {  // -1 red, 0 white, +1 green
          const a = Math.min(1, Math.abs(v));
          rgb = v >= 0 ? [255 - 229 * a, 255 - 103 * a, 255 - 175 * a]
                       : [255 - 40 * a, 255 - 207 * a, 255 - 224 * a];
        } else {  // 0 white, 1 purple
          rgb = [255 - 171 * v, 255 - 216 * v, 255 - 112 * v];
        }
        image.data[k] = rgb[0]; image.data[k + 1] = rgb[1]; image.data[k + 2] = rgb[2];
        image.data[k + 3] = 255;
      }
    }
    const small = document.createElement("canvas");
    small.width = T; small.height = U;
    small.getContext("2d").putImageData(image, 0, 0);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  }

  function render(result) {
    const P = result.p[result.T - 1];
    verdict.textContent = `P(positive) = ${P.toFixed(3)}: ` +
      (P >= 0.5 ? "positive" : "negative");
    verdict.dataset.p = String(P);
    barFill.style.width = `${(100 * P).toFixed(1)}%`;
    const oov = result.ids.filter((id) => id === spec.ids.oov).length;
    note.textContent = `${result.T} ids read (maxlen ${model.maxlen}); ` +
      `${oov} word${oov === 1 ? "" : "s"} outside the vocabulary (italic, dotted)` +
      (result.cut ? `; the first ${result.cut} ids were cut` : "") +
      ". Colour: how much each word moved P(positive) (green up, red down).";

    const fragment = document.createDocumentFragment();
    let before = 0.5;  // no opinion before the first word, as in chapter 8
    for (let t = 0; t < result.T; t++) {
      const change = result.p[t] - before;
      const isStart = result.words[t] === "[start]";  // no word has brackets
      const isOov = result.ids[t] === spec.ids.oov;
      const span = el("span", "lg-word" + (isOov ? " lg-oov" : "") +
                      (isStart ? " lg-start" : ""), result.words[t]);
      span.style.backgroundColor = pushColour(change);
      span.title = `${result.words[t]}${isOov ? " (outside the vocabulary)" : ""}: ` +
        `P ${before.toFixed(3)} → ${result.p[t].toFixed(3)} (${change >= 0 ? "+" : ""}` +
        `${change.toFixed(3)})`;
      fragment.appendChild(span);
      fragment.appendChild(document.createTextNode(" "));
      before = result.p[t];
    }
    wordsOut.replaceChildren(fragment);
    drawMap(canvases.z, result.z, result.T, false);
    drawMap(canvases.r, result.r, result.T, false);
    drawMap(canvases.h, result.h, result.T, true);
  }

  function update(event) {
    const start = performance.now();
    current = analyse(box.value);
    render(current);
    api.current = current;
    const timing = {event: event ? event.timeStamp : start, start, end: performance.now()};
    api.timing = timing;
    requestAnimationFrame(() => { timing.frame = performance.now(); });
  }

  function onHover(event) {
    const canvas = event.target, gate = canvas.dataset.gate;
    if (!current) return;
    const rect = canvas.getBoundingClientRect();
    const t = Math.floor((event.clientX - rect.left) / Number(canvas.dataset.cellW));
    const u = Math.floor((event.clientY - rect.top) / CELL_H);
    if (t < 0 || t >= current.T || u < 0 || u >= U) return;
    hover.textContent = `word ${t} “${current.words[t]}”, unit ${u}: ` +
      `${gate} = ${current[gate][t * U + u].toFixed(3)}`;
  }

  for (const canvas of Object.values(canvases)) canvas.addEventListener("mousemove", onHover);
  box.addEventListener("input", update);

  // For the browser test: the pieces, the last result shown, and how long it took.
  const api = {model, standardize, words, encode, forward, analyse, update,
               current: null, timing: null};
  window.liveGru = api;
  box.value = (spec.examples && spec.examples[0]) || "";  // none configured: an empty box
  update();
})();
