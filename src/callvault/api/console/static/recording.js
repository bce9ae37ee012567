// The recording page: waveform lanes (wavesurfer.js on the cached peaks), playback keys, and the
// transcript clips tied to the audio's time.
"use strict";

// The page's CSP nonce, which wavesurfer.js puts on the <style> of its shadow root (read now: later
// document.currentScript is null).
const cspNonce = document.currentScript?.nonce || "";

document.addEventListener("DOMContentLoaded", () => {
  const audio = document.getElementById("player");
  if (!audio) return;
  const playButton = document.getElementById("play");
  const clockEl = document.getElementById("clock");
  const waveformEl = document.getElementById("waveform");
  const clips = Array.from(document.querySelectorAll("button.clip"));
  const duration = Number(waveformEl?.dataset.duration || 0);
  const startAt = Number(audio.dataset.start || 0);

  const seekTo = (seconds) => {
    const end = Number.isFinite(audio.duration) ? audio.duration : duration;
    audio.currentTime = Math.min(Math.max(0, seconds), end || seconds);
  };
  const toggle = () => (audio.paused ? audio.play().catch(() => {}) : audio.pause());
  const showState = () => {
    playButton.textContent = audio.paused ? "▶ Play" : "❚❚ Pause";
    playButton.setAttribute("aria-pressed", String(!audio.paused));
  };

  let current = null;
  const follow = () => {
    const t = audio.currentTime;
    const total = duration || audio.duration || 0;
    clockEl.textContent = `${callvault.clock(audio.ended ? total : t)} / ${callvault.clock(total)}`;
    const now = clips.find((c) => t >= Number(c.dataset.start) && t < Number(c.dataset.end)) || null;
    if (now === current) return;
    current?.classList.remove("current");
    current?.removeAttribute("aria-current");
    current = now;
    if (current) {
      current.classList.add("current");
      current.setAttribute("aria-current", "true");
      if (!audio.paused) current.scrollIntoView({ block: "nearest" });
    }
  };

  playButton.addEventListener("click", toggle);
  document.getElementById("back").addEventListener("click", () => seekTo(audio.currentTime - 5));
  document.getElementById("forward").addEventListener("click", () => seekTo(audio.currentTime + 5));
  audio.addEventListener("play", showState);
  audio.addEventListener("pause", showState);
  audio.addEventListener("timeupdate", follow);
  audio.addEventListener("seeked", follow);
  audio.addEventListener("loadedmetadata", () => {
    if (startAt && audio.currentTime === 0) seekTo(startAt); // where the #t= fragment was not applied
    follow();
  });
  for (const clip of clips) {
    clip.addEventListener("click", () => {
      seekTo(Number(clip.dataset.start));
      follow();
    });
  }

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, textarea, select, dialog, [contenteditable]")) return;
    const onButton = event.target.closest("button, a");
    const keys = {
      k: toggle,
      ArrowLeft: () => seekTo(audio.currentTime - 5),
      ArrowRight: () => seekTo(audio.currentTime + 5),
      j: () => seekTo(audio.currentTime - 10),
      l: () => seekTo(audio.currentTime + 10),
      Home: () => seekTo(0),
    };
    if (event.key === " " && !onButton) keys[" "] = toggle;
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  if (waveformEl && window.WaveSurfer) {
    const colours = [["#2f6fd0", "#173d78"], ["#b2468f", "#6a1f52"]];
    fetch(waveformEl.dataset.peaksUrl, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`HTTP ${response.status}`))))
      .then((body) => {
        const wave = WaveSurfer.create({
          container: waveformEl,
          media: audio,
          peaks: body.peaks,
          duration: body.duration,
          height: body.peaks.length > 1 ? 56 : 80,
          normalize: true,
          barWidth: 2,
          barGap: 1,
          barRadius: 1,
          cursorColor: "#1b1f29",
          splitChannels: body.peaks.map((_, i) => ({
            waveColor: colours[i % 2][0],
            progressColor: colours[i % 2][1],
          })),
          cspNonce,
        });
        // The cursor follows the audio's time updates, so one that came before the waveform (the
        // start from ?t=) is drawn now and again whenever the audio's metadata arrives.
        const showPosition = () => wave.setTime(audio.currentTime);
        wave.once("ready", showPosition);
        audio.addEventListener("loadedmetadata", showPosition);
        if (audio.readyState > 0) showPosition();
        waveformEl.setAttribute("data-ready", "true");
      })
      .catch((error) => {
        waveformEl.textContent = `The waveform could not be drawn: ${error.message}`;
      });
  }
  showState();
  follow();
});
