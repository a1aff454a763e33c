// The dashboard: reads the scorecard and time-series API and shows them. No build step, no
// framework. Every value from the API is inserted with textContent, never as HTML: department
// names are typed by people and may hold markup.
"use strict";

(() => {
  const API = "api/v1/";
  // sessionStorage only: the tab's lifetime, never shared with other tabs, never in a URL.
  const CREDENTIALS = "livechat-analytics.credentials";

  // The eleven metrics, in the API's order. `good`: the direction that is an improvement
  // ("down": fewer or shorter is better), null where more or less is neither.
  const METRICS = [
    { name: "chats", label: "Chats", unit: "count", good: null, table: true },
    { name: "answeredChats", label: "Answered chats", unit: "count", good: null },
    { name: "unansweredChats", label: "Chats waiting for an answer", unit: "count", good: "down" },
    { name: "averageChatDurationSeconds", label: "Avg. chat duration", unit: "duration", good: null, table: true, perChat: true },
    { name: "averageServiceTimeSeconds", label: "Avg. service time", unit: "duration", good: null, table: true, perChat: true },
    { name: "averageWaitingTimeSeconds", label: "Avg. waiting time", unit: "duration", good: "down", table: true, perChat: true },
    { name: "serviceTimeChats", label: "Chats with a service time", unit: "count", good: null },
    { name: "totalServiceTimeSeconds", label: "Total service time", unit: "duration", good: null },
    { name: "transferredChats", label: "Transferred chats", unit: "count", good: "down", table: true },
    { name: "abandonedChats", label: "Abandoned chats", unit: "count", good: "down", table: true },
    { name: "abandonedPercentage", label: "Abandoned %", unit: "percent", good: "down", table: true, perChat: true },
  ];
  const BY_NAME = new Map(METRICS.map((m) => [m.name, m]));
  // The table's columns: the numbers a manager reads first; all eleven are in the CSV and chart.
  const TABLE_ORDER = [
    "chats", "averageWaitingTimeSeconds", "averageServiceTimeSeconds",
    "averageChatDurationSeconds", "transferredChats", "abandonedChats", "abandonedPercentage",
  ];
  const COLOURS = [
    "#1f5fbf", "#d9480f", "#2b8a3e", "#ae3ec9", "#e67700", "#0c8599",
    "#c2255c", "#5c940d", "#364fc7", "#862e9c", "#495057", "#a61e4d",
  ];

  const $ = (id) => document.getElementById(id);
  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = String(text);
    return node;
  };

  // ------------------------------------------------------------------ formatting

  const integer = new Intl.NumberFormat("en");
  const pad = (n) => String(n).padStart(2, "0");

  function formatDuration(seconds) {
    const s = Math.round(Math.abs(seconds));
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} m ${pad(s % 60)} s`;
    return `${integer.format(Math.floor(s / 3600))} h ${pad(Math.floor((s % 3600) / 60))} m`;
  }

  function formatValue(metric, value) {
    if (value === null || value === undefined) return "–";
    if (metric.unit === "duration") return formatDuration(value);
    if (metric.unit === "percent") return `${integer.format(value)}%`;
    return integer.format(value);
  }

  function formatChange(metric, delta) {
    const sign = delta > 0 ? "+" : delta < 0 ? "−" : "±";
    if (metric.unit === "duration") return `${sign}${formatDuration(delta)}`;
    if (metric.unit === "percent") return `${sign}${integer.format(Math.abs(delta))} pts`;
    return `${sign}${integer.format(Math.abs(delta))}`;
  }

  // A deleted department's id is one long word: on a line of its own, breakable, so it cannot
  // widen the table.
  function nameCell(row) {
    if (row.name === null && row._id !== null) return ["Deleted department ", el("span", "id", row._id)];
    return [departmentName(row)];
  }

  // An average or a share over no chats is no number at all (the API sends 0): shown as "–",
  // and compared with nothing, so a department that went quiet does not look "faster".
  function shown(metric, values) {
    return metric.perChat && values.chats === 0 ? null : values[metric.name];
  }

  function departmentName(row) {
    if (row.name !== null && row.name !== undefined) return row.name;
    if (row._id === null) return "No department";
    return `Deleted department ${row._id}`;
  }

  // ------------------------------------------------------------------ dates and time zones

  const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
  const dayMs = (day) => Date.parse(`${day}T00:00:00Z`);
  const addDays = (day, n) => isoDay(dayMs(day) + n * 86400000);

  function todayIn(timeZone) {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone, year: "numeric", month: "2-digit", day: "2-digit",
    }).formatToParts(new Date());
    const part = (type) => parts.find((p) => p.type === type).value;
    return `${part("year")}-${part("month")}-${part("day")}`;
  }

  function presetWindow(preset, timeZone) {
    const today = todayIn(timeZone);
    const firstOfMonth = `${today.slice(0, 8)}01`;
    switch (preset) {
      case "last7": return [addDays(today, -6), today];
      case "thisMonth": return [firstOfMonth, today];
      case "lastMonth": {
        const lastDay = addDays(firstOfMonth, -1);
        return [`${lastDay.slice(0, 8)}01`, lastDay];
      }
      default: return [addDays(today, -29), today];
    }
  }

  // Buckets follow the window's length, so the chart has a readable number of points.
  function intervalFor(start, end) {
    const days = (dayMs(end) - dayMs(start)) / 86400000 + 1;
    if (days <= 2) return "hour";
    if (days <= 92) return "day";
    if (days <= 732) return "week";
    return "month";
  }

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // Labels as the API gives them (hour `2026-10-25T02:00+01:00`, day `2026-10-25`, week
  // `2026-W43`, month `2026-10`), shortened for an axis.
  function shortLabel(label, interval) {
    if (interval === "hour") return label.slice(11, 16);
    if (interval === "day") return `${MONTHS[Number(label.slice(5, 7)) - 1]} ${Number(label.slice(8, 10))}`;
    if (interval === "week") return label.slice(5);
    return `${MONTHS[Number(label.slice(5, 7)) - 1]} ${label.slice(0, 4)}`;
  }

  function timeZones(current) {
    const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    return [...new Set(["UTC", current, ...zones])];
  }

  // ------------------------------------------------------------------ credentials and the API

  function storedCredentials() {
    try {
      const value = JSON.parse(sessionStorage.getItem(CREDENTIALS) || "null");
      return value && typeof value.userId === "string" && typeof value.token === "string" ? value : null;
    } catch {
      return null;
    }
  }

  class ApiError extends Error {
    constructor(status, body) {
      super(body && typeof body.error === "string" ? body.error : `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  // Signed in by the form: the headers. Otherwise Rocket.Chat's own cookies, which the browser
  // sends on this origin (the API accepts them only from a same-origin request).
  async function request(path, params, signal) {
    const headers = { Accept: "application/json" };
    const credentials = storedCredentials();
    if (credentials) {
      headers["X-User-Id"] = credentials.userId;
      headers["X-Auth-Token"] = credentials.token;
    }
    let response;
    try {
      response = await fetch(`${API}${path}?${params}`, { headers, credentials: "same-origin", signal });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, null);
    }
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch { /* not JSON: the status says enough */ }
      throw new ApiError(response.status, body);
    }
    return response;
  }

  // ------------------------------------------------------------------ state

  const state = {
    departments: new Map(), // id -> name, from unfiltered scorecards, for the filter
    load: null, // the AbortController of the table and chart's requests in flight
    chartLoad: null, // the chart's alone (another metric or split)
    chart: null,
    series: null,
  };

  function query(extra) {
    const params = new URLSearchParams();
    params.set("start", $("start").value);
    params.set("end", $("end").value);
    params.set("timezone", $("timezone").value.trim());
    if ($("department").value) params.append("departmentId", $("department").value);
    for (const [key, value] of Object.entries(extra)) params.set(key, value);
    return params;
  }

  const scorecardQuery = () => query($("compare").checked ? { compare: "previous" } : {});
  const timeseriesQuery = () => {
    const extra = { metric: $("metric").value, interval: intervalFor($("start").value, $("end").value) };
    if ($("split").value) extra.split = "department";
    return query(extra);
  };

  // ------------------------------------------------------------------ views

  function show(id, visible) { $(id).hidden = !visible; }

  // What the page is showing, for people's tools and the tests: loading, ready, empty, error,
  // signed-out.
  function setState(name) { document.body.dataset.state = name; }

  function setStatus(text) {
    $("status").textContent = text || "";
    show("status", Boolean(text));
  }

  function setProblem(text, canRetry) {
    $("problem-text").textContent = text || "";
    show("retry", Boolean(canRetry));
    show("problem", Boolean(text));
  }

  function describe(error) {
    switch (error.status) {
      case 0: return ["The service could not be reached. Check the connection, then try again.", true];
      case 400: return [`The service refused these settings: ${error.message}`, false];
      case 403: return ["You are signed in, but your user lacks the view-livechat-manager permission. Ask a Rocket.Chat administrator for the Livechat Manager role, or sign in as another user.", false];
      case 503: return ["The analytics database is unavailable right now. Try again in a minute.", true];
      case 504: return ["This window took too long to compute. Narrow it (fewer days, or one department), then try again.", true];
      default: return [`Something went wrong (HTTP ${error.status}). Try again; if it keeps happening, the service's logs say why.`, true];
    }
  }

  // Who the requests go out as; with the form's credentials, a way to drop them (also after a
  // 403 or an outage, to sign in as someone else).
  function showAccount() {
    const credentials = storedCredentials();
    $("who").textContent = credentials ? `Signed in as ${credentials.userId}` : "Signed in with your Rocket.Chat session";
    show("sign-out", Boolean(credentials));
  }

  function showSignedIn() {
    showAccount();
    show("sign-in", false);
    show("report", true);
  }

  function showSignedOut(message) {
    setState("signed-out");
    state.load?.abort();
    state.chartLoad?.abort();
    $("who").textContent = "Not signed in";
    show("sign-out", false);
    show("report", false);
    show("sign-in", true);
    $("sign-in-error").textContent = message || "";
    show("sign-in-error", Boolean(message));
    const demo = demoCredentials();
    show("demo-note", Boolean(demo));
    if (demo && !$("user-id").value && !$("token").value) {
      $("user-id").value = demo.userId;
      $("token").value = demo.token;
    }
  }

  function handleFailure(error) {
    if (error.name === "AbortError") return;
    if (error.status === 401) {
      const hadCredentials = storedCredentials() !== null;
      sessionStorage.removeItem(CREDENTIALS);
      showSignedOut(hadCredentials ? "That user id and token were not accepted (wrong, expired or revoked). Check them and sign in again." : "");
      return;
    }
    const [text, canRetry] = describe(error);
    showAccount();
    show("sign-in", false);
    setStatus("");
    setState("error");
    setProblem(text, canRetry);
    $("report").setAttribute("aria-busy", "false");
  }

  function renderScorecard(data) {
    const compare = "previousWindow" in data;
    const columns = TABLE_ORDER.filter((name) => data.metrics.includes(name)).map((name) => BY_NAME.get(name));

    const head = $("scorecard-head");
    head.replaceChildren(el("th", "name", "Department"));
    head.firstChild.scope = "col";
    for (const metric of columns) {
      const th = el("th", "num", metric.label);
      th.scope = "col";
      head.append(th);
    }

    const row = (cells, values, label, isTotal) => {
      const tr = el("tr", isTotal ? "total" : "");
      const th = el("th", "name");
      th.append(...label);
      th.scope = "row";
      tr.append(th);
      for (const metric of columns) {
        const td = el("td", "num");
        td.dataset.metric = metric.name;
        td.dataset.value = String(values[metric.name]);
        const now = shown(metric, values);
        td.append(el("span", "value", formatValue(metric, now)));
        if (compare && values.previous) {
          const before = shown(metric, values.previous);
          td.dataset.previous = String(values.previous[metric.name]);
          const delta = now === null || before === null ? null : now - before;
          const line = el("span", "compare");
          line.append(el("span", "previous", `was ${formatValue(metric, before)}`));
          const verdict = !delta || metric.good === null ? "neutral"
            : (delta < 0) === (metric.good === "down") ? "better" : "worse";
          const change = el("span", `change ${verdict}`, delta === null ? "–"
            : `${delta > 0 ? "▲" : delta < 0 ? "▼" : "="} ${formatChange(metric, delta)}`);
          if (verdict !== "neutral") change.append(el("span", "visually-hidden", ` (${verdict})`));
          line.append(" ", change);
          td.append(line);
        }
        tr.append(td);
      }
      cells.append(tr);
    };

    const body = $("scorecard-body");
    body.replaceChildren();
    for (const department of data.departments) {
      const tr = document.createDocumentFragment();
      row(tr, department, nameCell(department), false);
      tr.firstChild.dataset.department = department._id === null ? "" : department._id;
      body.append(tr);
    }
    const foot = $("scorecard-foot");
    foot.replaceChildren();
    row(foot, data.total, ["Total"], true);

    const caption = `${$("start").value} to ${$("end").value}, ${data.window.timezone}` +
      (compare ? `; compared with ${describeWindow(data.previousWindow, data.window.timezone)}` : "");
    $("window-caption").textContent = caption;

    if (!$("department").value) rememberDepartments(data.departments);
  }

  // The previous window as local days (its UTC instants converted back to the chosen zone).
  function describeWindow(window, timeZone) {
    const day = (iso) => new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
    return `${day(window.start)} to ${day(window.end)}`;
  }

  function rememberDepartments(rows) {
    for (const row of rows) {
      if (row._id !== null) state.departments.set(row._id, departmentName(row));
    }
    const select = $("department");
    const chosen = select.value;
    const options = [...state.departments].sort((a, b) => a[1].localeCompare(b[1]));
    select.replaceChildren(el("option", "", "All departments"));
    select.firstChild.value = "";
    for (const [id, name] of options) {
      const option = el("option", "", name);
      option.value = id;
      select.append(option);
    }
    select.value = chosen;
  }

  function renderChart(data) {
    const metric = BY_NAME.get(data.metric);
    const labels = data.buckets.map((b) => b.label);
    const lines = [{ label: "All departments", values: data.values }];
    for (const department of data.departments || []) {
      lines.push({ label: departmentName(department), values: department.values });
    }
    $("chart-caption").textContent = `${metric.label} per ${data.interval}, ${data.window.timezone}`;
    state.series = { labels, interval: data.interval };

    const container = $("chart");
    state.chart?.destroy();
    state.chart = null;
    container.replaceChildren();
    const x = labels.map((_, i) => i);
    const many = labels.length > 60;
    const options = {
      width: Math.max(container.clientWidth, 280),
      height: container.clientWidth < 500 ? 240 : 320,
      scales: { x: { time: false } },
      cursor: { drag: { x: false, y: false } },
      axes: [
        {
          space: 64,
          incrs: [1, 2, 3, 4, 6, 7, 12, 14, 24, 28, 48, 52, 96, 104],
          values: (u, splits) => splits.map((i) => (Number.isInteger(i) && labels[i] !== undefined ? shortLabel(labels[i], data.interval) : "")),
        },
        {
          size: metric.unit === "duration" ? 84 : 56,
          values: (u, splits) => splits.map((v) => formatValue(metric, v)),
        },
      ],
      series: [
        { label: data.interval[0].toUpperCase() + data.interval.slice(1), value: (u, i) => (i === null || labels[i] === undefined ? "–" : labels[i]) },
        ...lines.map((line, i) => ({
          label: line.label,
          stroke: COLOURS[i % COLOURS.length],
          width: i === 0 ? 2.5 : 1.5,
          points: { show: !many },
          value: (u, v) => formatValue(metric, v),
        })),
      ],
    };
    if (metric.unit !== "duration") options.scales.y = { range: (u, min, max) => [0, Math.max(max, 1) * 1.05] };
    state.chart = new uPlot(options, [x, ...lines.map((line) => line.values)], container);
  }

  // ------------------------------------------------------------------ loading

  async function load() {
    if (!$("controls").reportValidity()) return;
    if ($("start").value > $("end").value) {
      setProblem("The window ends before it starts: pick a “To” date on or after the “From” date.", false);
      return;
    }
    state.load?.abort();
    state.chartLoad?.abort();
    const controller = new AbortController();
    state.load = controller;
    setProblem("");
    setStatus("Loading…");
    setState("loading");
    $("report").setAttribute("aria-busy", "true");
    try {
      const [scorecard, series] = await Promise.all([
        request("scorecard", scorecardQuery(), controller.signal).then((r) => r.json()),
        request("timeseries", timeseriesQuery(), controller.signal).then((r) => r.json()),
      ]);
      if (controller.signal.aborted) return;
      showSignedIn();
      renderScorecard(scorecard);
      const empty = scorecard.total.chats === 0;
      show("chart-empty", empty);
      show("chart", !empty);
      if (!empty) renderChart(series);
      setStatus(empty ? "No chats in this window. Pick a longer window, another department, or check the time zone." : "");
      setState(empty ? "empty" : "ready");
      $("report").setAttribute("aria-busy", "false");
    } catch (error) {
      if (!controller.signal.aborted) handleFailure(error);
    }
  }

  async function loadChart() {
    state.chartLoad?.abort();
    const controller = new AbortController();
    state.chartLoad = controller;
    setState("loading");
    try {
      const series = await (await request("timeseries", timeseriesQuery(), controller.signal)).json();
      if (controller.signal.aborted) return;
      if (!$("chart").hidden) renderChart(series);
      setState($("chart").hidden ? "empty" : "ready");
    } catch (error) {
      if (!controller.signal.aborted) handleFailure(error);
    }
  }

  // The CSV comes from the API (format=csv), fetched with the same credentials as the JSON, so
  // it works when signed in by the form too (a plain link could not send the headers).
  async function download(path, params, button) {
    params.set("format", "csv");
    button.disabled = true;
    try {
      const response = await request(path, params);
      const blob = await response.blob();
      const disposition = response.headers.get("Content-Disposition") || "";
      const name = (/filename="([^"]+)"/.exec(disposition) || [])[1] || `${path}.csv`;
      const link = el("a");
      link.href = URL.createObjectURL(blob);
      link.download = name;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    } catch (error) {
      handleFailure(error);
    } finally {
      button.disabled = false;
    }
  }

  // ------------------------------------------------------------------ start

  function hasRocketChatSession() {
    const names = document.cookie.split(";").map((c) => c.trim().split("=")[0]);
    return names.includes("rc_uid") && names.includes("rc_token");
  }

  function demoCredentials() {
    const meta = document.querySelector('meta[name="demo-sign-in"]');
    if (!meta || !meta.content) return null;
    try { return JSON.parse(meta.content); } catch { return null; }
  }

  function applyPreset() {
    const preset = $("preset").value;
    if (preset === "custom") return;
    try {
      const [start, end] = presetWindow(preset, $("timezone").value.trim());
      $("start").value = start;
      $("end").value = end;
    } catch {
      setProblem("Unknown time zone: pick one from the list (for example Europe/Berlin or UTC).", false);
    }
  }

  function start() {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    $("timezone").value = zone;
    const list = $("timezones");
    for (const name of timeZones(zone)) {
      const option = el("option");
      option.value = name;
      list.append(option);
    }
    const picker = $("metric");
    for (const metric of METRICS) {
      const option = el("option", "", metric.label);
      option.value = metric.name;
      picker.append(option);
    }
    applyPreset();

    $("preset").addEventListener("change", () => { applyPreset(); load(); });
    for (const id of ["start", "end"]) {
      $(id).addEventListener("change", () => { $("preset").value = "custom"; load(); });
    }
    $("timezone").addEventListener("change", () => { applyPreset(); load(); });
    $("department").addEventListener("change", load);
    $("compare").addEventListener("change", load);
    $("metric").addEventListener("change", loadChart);
    $("split").addEventListener("change", loadChart);
    $("controls").addEventListener("submit", (event) => { event.preventDefault(); load(); });
    $("retry").addEventListener("click", load);
    $("scorecard-csv").addEventListener("click", (event) => download("scorecard", scorecardQuery(), event.currentTarget));
    $("timeseries-csv").addEventListener("click", (event) => download("timeseries", timeseriesQuery(), event.currentTarget));

    $("sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const userId = $("user-id").value.trim();
      const token = $("token").value.trim();
      if (!userId || !token) return;
      sessionStorage.setItem(CREDENTIALS, JSON.stringify({ userId, token }));
      $("token").value = "";
      show("sign-in-error", false);
      show("report", true);
      load();
    });
    $("sign-out").addEventListener("click", () => {
      sessionStorage.removeItem(CREDENTIALS);
      $("user-id").value = "";
      showSignedOut("");
      $("user-id").focus();
    });

    let width = $("chart").clientWidth;
    new ResizeObserver(() => {
      const now = $("chart").clientWidth;
      if (state.chart && now !== width && now > 0) {
        width = now;
        state.chart.setSize({ width: Math.max(now, 280), height: now < 500 ? 240 : 320 });
      }
    }).observe($("chart"));

    // Signed in by this tab's form, or by Rocket.Chat's session cookies (its web client sets
    // them from script, so they are visible here): load. Neither: the form, without a request
    // that could only fail.
    if (storedCredentials() || hasRocketChatSession()) {
      show("report", true);
      load();
    } else {
      showSignedOut("");
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
