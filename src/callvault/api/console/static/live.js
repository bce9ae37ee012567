// The live calls page: refreshes the active calls every two seconds, pauses/resumes recordings, and
// shows each call that ends with a link to its recording once that is saved.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("live-calls");
  if (!table) return;
  const body = table.querySelector("tbody");
  const status = document.getElementById("live-status");
  const feed = table.dataset.feed;
  const actionsUrl = table.dataset.actions;
  let calls = [];
  const endedSection = document.getElementById("ended");
  const endedList = document.getElementById("ended-calls");

  const cell = (label, content) => {
    const td = document.createElement("td");
    td.dataset.label = label;
    if (content instanceof Node) td.append(content);
    else td.textContent = content;
    return td;
  };
  const badge = (text) => Object.assign(document.createElement("span"), { className: `badge ${text}`, textContent: text });

  const render = () => {
    body.replaceChildren();
    if (!calls.length) {
      const row = document.createElement("tr");
      const td = cell("", "No call is in progress.");
      td.colSpan = 6;
      td.className = "muted";
      row.append(td);
      body.append(row);
      return;
    }
    const now = Date.now();
    for (const call of calls) {
      const row = document.createElement("tr");
      row.dataset.callId = call.callId;
      const started = Object.assign(document.createElement("time"), { dateTime: call.startTime });
      started.textContent = callvault.localTime(call.startTime);
      const state = call.recordingState || "not recording";
      let action = document.createTextNode("—");
      if (call.recordingState === "recording" || call.recordingState === "paused") {
        const wanted = call.recordingState === "recording" ? "paused" : "recording";
        action = document.createElement("button");
        action.type = "button";
        action.textContent = wanted === "paused" ? "Pause recording" : "Resume recording";
        action.setAttribute("aria-label", `${action.textContent} of the call from ${call.from || "unknown"}`);
        action.addEventListener("click", async () => {
          action.disabled = true;
          try {
            await callvault.post(`${actionsUrl}/${encodeURIComponent(call.callId)}/recording`, { state: wanted });
            status.textContent = `Recording ${wanted === "paused" ? "paused" : "resumed"}.`;
            await refresh();
          } catch (error) {
            status.textContent = `Could not change the recording: ${error.message}`;
            action.disabled = false;
          }
        });
      }
      row.append(
        cell("From → To", `${call.from || "?"} → ${call.to || "?"}`),
        cell("Started", started),
        cell("Elapsed", callvault.clock((now - Date.parse(call.startTime)) / 1000)),
        cell("Direction", call.direction),
        cell("Recording", badge(state.replace(" ", "-"))),
        cell("Action", action),
      );
      row.cells[4].querySelector(".badge").textContent = state;
      body.append(row);
    }
  };

  const getJson = async (url) => {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  };

  // A call that left the feed has ended: say so, then link its recordings once they are saved.
  const showEnded = async (call) => {
    const who = `${call.from || "?"} → ${call.to || "?"}`;
    status.textContent = `The call ${who} has ended.`;
    const item = document.createElement("li");
    item.dataset.callId = call.callId;
    const text = document.createElement("span");
    text.textContent = `${who}: ended. `;
    const outcome = Object.assign(document.createElement("span"), { className: "muted", textContent: "Saving the recording…" });
    item.append(text, outcome);
    endedList.prepend(item);
    endedSection.hidden = false;
    const url = `${actionsUrl}/${encodeURIComponent(call.callId)}/recordings`;
    for (let attempt = 0; attempt < 30; attempt += 1) {
      try {
        const { recordings } = await getJson(url);
        if (recordings.length) {
          outcome.replaceChildren();
          recordings.forEach((recording, index) => {
            const link = Object.assign(document.createElement("a"), { href: recording.url });
            link.textContent = `Open the recording (${recording.duration}, ${recording.status})`;
            outcome.append(...(index ? [" · ", link] : [link]));
          });
          outcome.className = "";
          return;
        }
      } catch (error) {
        outcome.textContent = `Could not find its recording: ${error.message}`;
      }
      if (!call.recordingState) break;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    outcome.textContent = "No recording of this call.";
  };

  const refresh = async () => {
    try {
      const before = calls;
      calls = (await getJson(feed)).calls;
      const still = new Set(calls.map((call) => call.callId));
      for (const call of before) if (!still.has(call.callId)) showEnded(call);
      table.dataset.updated = String(Date.now());
      render();
    } catch (error) {
      status.textContent = `Could not refresh the calls: ${error.message}`;
    }
  };

  refresh();
  setInterval(refresh, 2000);
});
