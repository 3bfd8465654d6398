// Drive the MCP Apps reference host (ext-apps basic-host) in headless Chromium and report what a tool's view
// shows, as JSON lines on stdout.
//
//   scripts/apps-host drive --url http://127.0.0.1:HOST_PORT/ --tool run_skill --args '{"prompt": "..."}' \
//       [--sandbox http://localhost:SANDBOX_PORT/] [--server NAME] [--timeout 90] [--interval 0.5] \
//       [--cancel] [--until-video] [--until-images N] [--until-text REGEX] [--until-result] [--screenshot FILE]
//       [--verbose]
//
// It starts nothing but the browser: the host (scripts/apps-host serve) and the MCP servers it names must be
// running. It opens the host page, picks the server (by name, else the first) and the tool in the host's
// form, fills in the arguments, presses "Call Tool", and from then on prints, every --interval seconds, an
// observation of the view (host page -> sandbox iframe -> app iframe) and of the host's "Tool Result" panel:
//
//   {"event": "observe", "t": 1.5, "view": {"text": <its visible text>, "videos": [{"readyState",
//    "duration", "currentSrc", "visible", ...}], "images": [{"complete", "loaded", "naturalWidth", "visible",
//    ...}], "buttons": [<"text | aria-label | title" of each button shown>]} | null, "result": true | false}
//
// and, when the host shows the tool's result (or it changes), {"event": "result", "text": "<the result JSON
// as the host shows it>"}. It goes on until --timeout seconds have passed or every stop condition given
// holds: --until-video (a <video> has readyState >= 2), --until-images N (N <img>s are complete with
// naturalWidth > 0 and visible: a batch's contact sheets arrive one by one), --until-text (the view's text matches REGEX, case-insensitively), --until-result (the
// host shows the tool's result). With --cancel it clicks, once the view shows some text, the first button
// whose text, aria-label or title contains "Cancel". A tool whose result came without the host reading a
// ui:// resource has no view: the run ends then.
//
// Other lines: "tools" (the server's tools as the host lists them), "called", "ui_resource" (the host reads
// the tool's ui:// resource), "frame" (the view's frame appeared), "clicked", "console" (console errors and
// warnings of the host, sandbox and view; every line with --verbose), "pageerror", "requestfailed", "http"
// (an answer >= 400), "error" and "end" ({"reason": "condition" | "timeout" | "no view"}).
//
// The built host points the sandbox at http://localhost:8081/sandbox.html. With --sandbox naming another
// address (where `serve` put SANDBOX_PORT), the browser's requests for the built-in one are answered from
// that address, so the sandbox keeps an origin of its own and tests can use free ports.
//
// Exits 0 when the stop conditions held (or none was given and the timeout passed), 3 when the timeout
// passed first or the tool has no view, 1 on any other failure (the host did not load, the server or the
// tool is missing, ...), 2 on bad usage. playwright-core is loaded from the host's node_modules
// (NEMO_APPS_HOST, else .apps-host/ in the repo); Chromium is Debian's /usr/bin/chromium (or CHROMIUM).

import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const BUILT_IN_SANDBOX = "http://localhost:8081/";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const started = Date.now();
let uiResource = null;
let calledAt = null;
const since = () => Math.round(((Date.now() - (calledAt ?? started)) / 1000) * 10) / 10;
function emit(event, fields = {}) {
  process.stdout.write(JSON.stringify({ event, t: since(), ...fields }) + "\n");
}

function usage(message) {
  const self = fileURLToPath(import.meta.url);
  process.stderr.write(`drive.mjs: ${message}\nsee the comment at the top of ${self}\n`);
  process.exit(2);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      url: { type: "string" },
      tool: { type: "string" },
      args: { type: "string", default: "{}" },
      server: { type: "string" },
      sandbox: { type: "string" },
      timeout: { type: "string", default: "90" },
      interval: { type: "string", default: "0.5" },
      cancel: { type: "boolean", default: false },
      "until-video": { type: "boolean", default: false },
      "until-images": { type: "string" },
      "until-text": { type: "string" },
      "until-result": { type: "boolean", default: false },
      screenshot: { type: "string" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (error) {
  usage(error.message);
}
if (options.help) {
  const { readFileSync } = await import("node:fs");
  const head = readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n\n")[0];
  process.stdout.write(head.replace(/^\/\/ ?/gm, "") + "\n");
  process.exit(0);
}
if (!options.url) usage("--url is required");
if (!options.tool) usage("--tool is required");
let toolArgs;
try {
  toolArgs = JSON.parse(options.args);
} catch (error) {
  usage(`--args is not JSON: ${error.message}`);
}
const timeoutMs = Number(options.timeout) * 1000;
const intervalMs = Number(options.interval) * 1000;
if (!(timeoutMs > 0) || !(intervalMs > 0)) usage("--timeout and --interval must be positive numbers");
const untilText = options["until-text"] ? new RegExp(options["until-text"], "i") : null;
const imagesWanted = options["until-images"] === undefined ? 0 : Number(options["until-images"]);
if (!(Number.isInteger(imagesWanted) && imagesWanted >= 0)) usage("--until-images must be a whole number");

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const hostDir = resolve(process.env.NEMO_APPS_HOST || join(repo, ".apps-host"));
let chromium;
try {
  ({ chromium } = createRequire(join(hostDir, "basic-host", "package.json"))("playwright-core"));
} catch (error) {
  process.stderr.write(`drive.mjs: no playwright-core under ${hostDir}: run scripts/apps-host setup\n`);
  process.exit(1);
}

// What the view shows, read inside the app frame (open shadow roots included).
function observeView() {
  const all = (selector) => {
    const found = [];
    const walk = (root) => {
      found.push(...root.querySelectorAll(selector));
      for (const el of root.querySelectorAll("*")) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    return found;
  };
  const round = (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);
  const visible = (el) => (el.checkVisibility ? el.checkVisibility() : el.getClientRects().length > 0);
  return {
    text: (document.body?.innerText ?? "").trim(),
    videos: all("video").map((v) => ({
      readyState: v.readyState,
      duration: round(v.duration),
      currentSrc: (v.currentSrc || "").slice(0, 30),
      networkState: v.networkState,
      error: v.error ? { code: v.error.code, message: v.error.message } : null,
      width: v.videoWidth,
      height: v.videoHeight,
      visible: visible(v),
    })),
    images: all("img").map((i) => ({
      complete: i.complete,
      loaded: i.complete && i.naturalWidth > 0,
      naturalWidth: i.naturalWidth,
      src: (i.currentSrc || i.src || "").slice(0, 30),
      alt: i.alt,
      visible: visible(i),
    })),
    // Each button's text, aria-label and title; only the buttons shown.
    buttons: all("button, [role=button]")
      .filter(visible)
      .map((b) => [b.innerText, b.getAttribute("aria-label"), b.title].filter(Boolean).join(" | ").trim()),
  };
}

const profile = mkdtempSync(join(tmpdir(), "apps-host-chromium-"));
let context;
let exitCode = 1;
const closeAll = async () => {
  try {
    await context?.close();
  } catch {
    // already gone
  }
  rmSync(profile, { recursive: true, force: true });
};
// A reader that went away (a closed pipe) ends the run like a signal does.
process.stdout.on("error", () => closeAll().finally(() => process.exit(1)));
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => closeAll().finally(() => process.exit(1)));
}

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 1000 },
  });
  const page = context.pages()[0] ?? (await context.newPage());

  page.on("console", (msg) => {
    const type = msg.type();
    const resource = /^\[HOST\] Reading UI resource: (\S+)/.exec(msg.text());
    if (resource) {
      uiResource = resource[1];
      emit("ui_resource", { uri: uiResource });
    }
    if (options.verbose || type === "error" || type === "warning") {
      const source = (msg.location()?.url ?? "").slice(0, 100);
      emit("console", { type, text: msg.text().slice(0, 2000), source });
    }
  });
  page.on("pageerror", (error) => emit("pageerror", { text: String(error).slice(0, 2000) }));
  // A request cut after its answer's headers came (status set) is a body the client did not read, such as the
  // MCP SDK dropping the empty body of a 202.
  page.on("requestfailed", async (request) =>
    emit("requestfailed", {
      url: request.url().slice(0, 200),
      method: request.method(),
      status: (await request.response().catch(() => null))?.status() ?? null,
      error: request.failure()?.errorText ?? "",
    }),
  );
  page.on("response", (response) => {
    if (response.status() >= 400) {
      const request = response.request();
      const url = response.url().slice(0, 200);
      emit("http", { url, status: response.status(), method: request.method() });
    }
  });

  if (options.sandbox && new URL(options.sandbox).origin !== new URL(BUILT_IN_SANDBOX).origin) {
    const target = new URL(options.sandbox).origin;
    await context.route(
      (url) => url.origin === new URL(BUILT_IN_SANDBOX).origin,
      async (route) => {
        const wanted = new URL(route.request().url());
        const response = await route.fetch({ url: target + wanted.pathname + wanted.search });
        await route.fulfill({ response });
      },
    );
  }

  await page.goto(options.url);
  const serverSelect = page.locator("select").first();
  // The host's error boundary: <div><strong>ERROR:</strong> message</div>.
  const failed = page.locator("div", { has: page.locator("strong", { hasText: "ERROR:" }) });
  await Promise.race([
    serverSelect.and(page.locator("select:enabled")).waitFor({ timeout: 30000 }),
    failed.last().waitFor({ timeout: 30000 }).then(async () => {
      throw new Error(`the host says: ${await failed.last().innerText()}`);
    }),
  ]);
  // The server <select> is enabled once the host has connected to every server and listed their tools.
  const servers = await serverSelect.locator("option").allInnerTexts();
  if (options.server) {
    const match = servers.find((name) => name.includes(options.server));
    if (!match) throw new Error(`no server named like ${options.server}; the host has ${servers.join(", ")}`);
    await serverSelect.selectOption({ label: match });
  }
  const toolSelect = page.locator("select").nth(1);
  await toolSelect.locator("option").first().waitFor({ state: "attached", timeout: 10000 });
  const tools = await toolSelect.locator("option").allInnerTexts();
  emit("tools", { servers, server: await serverSelect.locator("option:checked").innerText(), tools });
  if (!tools.includes(options.tool)) throw new Error(`the host lists no tool ${options.tool}`);
  await toolSelect.selectOption(options.tool);
  await page.locator("textarea").fill(JSON.stringify(toolArgs, null, 2));
  await page.locator('button:has-text("Call Tool")').click();
  calledAt = Date.now();
  emit("called", { tool: options.tool, arguments: toolArgs });

  // The view: a frame whose parent is a frame of the host page (the sandbox proxy).
  const viewFrame = () =>
    page.frames().findLast((frame) => frame.parentFrame()?.parentFrame() === page.mainFrame());
  // The host's "Tool Result" panel: its label <span>, in the panel's header <div>, in the panel.
  const resultPanel = page.locator("span", { hasText: "Tool Result" }).last().locator("xpath=../..");
  let sawFrame = false;
  let clicked = false;
  let expanded = false;
  let lastResult = null;
  let reason = "timeout";
  while (Date.now() - calledAt < timeoutMs) {
    const frame = viewFrame();
    let view = null;
    if (frame) {
      if (!sawFrame) {
        sawFrame = true;
        emit("frame", { url: frame.url().slice(0, 100), parent: frame.parentFrame().url().slice(0, 100) });
      }
      try {
        view = await frame.evaluate(observeView);
      } catch (error) {
        view = { error: String(error).split("\n")[0] };
      }
    }
    let result = null;
    if ((await resultPanel.count()) > 0) {
      if (!expanded) {
        // The panel shows its first 100 characters until clicked.
        await resultPanel.click({ timeout: 2000 }).catch(() => {});
        expanded = true;
      }
      const full = resultPanel.locator("pre");
      const shown = (await full.count()) > 0 ? await full.first().innerText() : await resultPanel.innerText();
      result = shown.slice(0, 4000);
      if (result !== lastResult) emit("result", { text: result });
      lastResult = result;
    }
    emit("observe", { view, result: result !== null });
    if (result !== null && uiResource === null && !frame) {
      reason = "no view";
      break;
    }

    if (options.cancel && !clicked && frame && view?.text) {
      const button = frame.getByRole("button", { name: /cancel/i });
      if ((await button.count()) > 0) {
        try {
          const name = await button.first().innerText({ timeout: 1000 }).catch(() => "");
          await button.first().click({ timeout: 3000 });
          clicked = true;
          emit("clicked", { name: name || "Cancel" });
        } catch (error) {
          emit("error", { text: `could not click Cancel: ${String(error).split("\n")[0]}` });
        }
      }
    }
    const conditions = [];
    if (options["until-video"]) conditions.push(!!view?.videos?.some((v) => v.readyState >= 2));
    if (imagesWanted > 0) {
      conditions.push((view?.images ?? []).filter((i) => i.loaded && i.visible).length >= imagesWanted);
    }
    if (untilText) conditions.push(!!view?.text && untilText.test(view.text));
    if (options["until-result"]) conditions.push(result !== null);
    if (conditions.length > 0 && conditions.every(Boolean)) {
      reason = "condition";
      break;
    }
    await new Promise((done) => setTimeout(done, intervalMs));
  }
  if (options.screenshot) {
    // The host animates the frame's height for 300 ms after the view asks for a new size.
    await page.waitForTimeout(500);
    await page.screenshot({ path: options.screenshot, fullPage: true });
  }
  const hasConditions =
    options["until-video"] || imagesWanted > 0 || untilText || options["until-result"];
  exitCode = reason === "condition" || (!hasConditions && reason === "timeout") ? 0 : 3;
  emit("end", { reason });
} catch (error) {
  emit("error", { text: String(error?.message ?? error).slice(0, 4000) });
  exitCode = 1;
} finally {
  await closeAll();
}
process.exit(exitCode);
