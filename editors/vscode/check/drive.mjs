// Drives the chromium that shows code-server (Chrome DevTools Protocol, port 9333): opens the policy
// with Quick Open, then prints what the workbench shows: the language, the problems, the highlighting.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const page = (await (await fetch("http://127.0.0.1:9333/json")).json()).find((t) => t.type === "page");
const ws = new WebSocket(page.webSocketDebuggerUrl);
const waiting = new Map();
let next = 0;
ws.onmessage = (message) => {
  const data = JSON.parse(message.data);
  if (waiting.has(data.id)) waiting.get(data.id)(data), waiting.delete(data.id);
};
await new Promise((resolve) => (ws.onopen = resolve));
const send = (method, params = {}) =>
  new Promise((resolve) => {
    next += 1;
    waiting.set(next, resolve);
    ws.send(JSON.stringify({ id: next, method, params }));
  });
const read = async (expression) => (await send("Runtime.evaluate", { expression, returnByValue: true })).result.result.value;
const press = async (key, code, modifiers, keyCode, text) => {
  await send("Input.dispatchKeyEvent", { type: "keyDown", key, code, modifiers, windowsVirtualKeyCode: keyCode, text });
  await send("Input.dispatchKeyEvent", { type: "keyUp", key, code, modifiers, windowsVirtualKeyCode: keyCode });
};

await sleep(8000); // the workbench loads
await press("p", "KeyP", 2, 80); // Ctrl+P: Quick Open
await sleep(1500);
await send("Input.insertText", { text: process.argv[2] });
await sleep(2500);
await press("Enter", "Enter", 0, 13, "\r");
await sleep(15000); // the extension starts `policyc lsp`, which checks the file
const status = await read(
  "[...document.querySelectorAll('.statusbar-item')].map(e => e.getAttribute('aria-label') || e.textContent)",
);
const tokens = await read("new Set([...document.querySelectorAll('.view-line span span')].map(e => e.className)).size");
console.log(JSON.stringify({ status, tokenKinds: tokens }));
ws.close();
